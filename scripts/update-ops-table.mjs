// Rewrites the supported-ops table in README.md from the op registry (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(join(root, 'dist', 'src', 'register-ops.js'));
const { withOpsTable } = await import(join(root, 'dist', 'src', 'ops-table.js'));
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, withOpsTable(readFileSync(readmePath, 'utf8')));
