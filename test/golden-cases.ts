// Reads the golden cases in ../shared/golden (one folder per case; new ones appear over time).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNetFile } from '../src/node/files.js';
import type { NetDef } from '../src/proto/types.js';
import { canRun } from '../src/registry.js';
import '../src/register-ops.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = resolve(PROJECT_ROOT, '..', 'shared');
export const GOLDEN = join(SHARED, 'golden');

export interface GoldenOutput {
  name: string;
  file: string;
  blob_type: string;
  dtype: string;
  shape: number[];
  scale?: number;
  scale_f32_bits?: string;
  zero_point?: number;
}

export interface GoldenCase {
  name: string;
  dir: string;
  description: string;
  feeds: Array<{ name: string; file: string; dtype: string; shape: number[] }>;
  fetch: string[];
  outputs: GoldenOutput[];
  expect_error: null | { kind: string; source: string; op_type: string; message: string };
  init: NetDef;
  predict: NetDef;
  /** "Type" or "Type [engine E]" for each op this runtime cannot run yet. */
  missingOps: string[];
}

function missing(nets: NetDef[]): string[] {
  const out = new Set<string>();
  for (const net of nets) {
    for (const op of net.op ?? []) {
      if (!canRun(op.type ?? '', op.engine)) out.add(op.engine ? `${op.type} [engine ${op.engine}]` : op.type ?? '');
    }
  }
  return [...out];
}

export function loadGoldenCases(): GoldenCase[] {
  if (!existsSync(GOLDEN)) return [];
  return readdirSync(GOLDEN, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(GOLDEN, d.name, 'case.json')))
    .map((d) => {
      const dir = join(GOLDEN, d.name);
      const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const init = readNetFile(join(dir, meta.init_net ?? 'init_net.pb'));
      const predict = readNetFile(join(dir, meta.predict_net ?? 'predict_net.pb'));
      return {
        name: d.name,
        dir,
        description: meta.description ?? '',
        feeds: meta.feeds ?? [],
        fetch: meta.fetch ?? [],
        outputs: meta.outputs ?? [],
        expect_error: meta.expect_error ?? null,
        init,
        predict,
        missingOps: missing([init, predict]),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
