// Build step: tsc writes dist/src/cli/main.js without the executable bit, which the `bin` entry
// needs when the file is run directly rather than through a fresh `npx` install (which sets it).
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

chmodSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'main.js'), 0o755);
