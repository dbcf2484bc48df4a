// `npm run bench` entry: installs the bench's own dependencies (kept out of the root install),
// builds the root library if needed, compiles the bench and runs it with the given arguments.
// Everything this script and its tools print goes to stderr, so `--json` output stays clean.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = dirname(fileURLToPath(import.meta.url));
const root = dirname(bench);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(what, command, args, cwd, env = process.env) {
  process.stderr.write(`bench: ${what}\n`);
  const r = spawnSync(command, args, { cwd, env, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write(`bench: ${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
    process.exit(1);
  }
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : -Infinity);

// npm ci writes node_modules/.package-lock.json; older than the lock file means stale.
if (mtime(join(bench, 'node_modules', '.package-lock.json')) < mtime(join(bench, 'package-lock.json'))) {
  // ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install script would download GPU libraries.
  run('npm ci in bench/', npm, ['ci', '--no-audit', '--no-fund'], bench, { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' });
}
if (!existsSync(join(root, 'dist', 'src', 'index.js')) || !existsSync(join(root, 'dist', 'examples', 'random-nets.js'))) {
  run('npm run build (root)', npm, ['run', 'build'], root);
}
run('compiling bench/', process.execPath, [join(bench, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(bench, 'tsconfig.json')], bench);

const r = spawnSync(process.execPath, [join(bench, 'dist', 'main.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
