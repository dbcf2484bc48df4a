// Project-level checks: the README's ops table matches the registry, and the library core
// (everything but the CLI and src/node) imports no Node-only module, so it runs in a browser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withOpsTable } from '../src/ops-table.js';
import { registeredOps } from '../src/registry.js';
import '../src/register-ops.js';
import { PROJECT_ROOT } from './golden-cases.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('project', () => {
  it('README.md supported-ops table is up to date (npm run ops-table)', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(readme).toBe(withOpsTable(readme));
  });

  it('every registered op has a summary and a schema', () => {
    for (const s of registeredOps()) {
      expect(s.summary.length, s.type).toBeGreaterThan(10);
      expect(s.schema.minInputs, s.type).toBeLessThanOrEqual(s.schema.maxInputs);
    }
  });

  it('the library core uses no Node-only module', () => {
    const core = [...tsFiles(join(PROJECT_ROOT, 'src')), ...tsFiles(join(PROJECT_ROOT, 'ops'))].filter((p) => {
      const rel = relative(PROJECT_ROOT, p);
      return !rel.startsWith(join('src', 'cli')) && !rel.startsWith(join('src', 'node'));
    });
    expect(core.length).toBeGreaterThan(10);
    const offenders = core.filter((p) => /from ['"](node:|fs['"]|path['"]|os['"]|worker_threads['"]|child_process['"])|\bBuffer\.|\bprocess\.|require\(/.test(readFileSync(p, 'utf8')));
    expect(offenders.map((p) => relative(PROJECT_ROOT, p))).toEqual([]);
  });
});
