// The golden runner: every case folder in ../shared/golden, through the library and through
// the `caffe2-int8 run` CLI, compared bit for bit. A case using an op this runtime does not
// implement yet is reported as skipped, naming the op; it never passes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Caffe2Error } from '../src/errors.js';
import { readNpyFile } from '../src/node/files.js';
import { float32Bits } from '../src/quant/float32.js';
import { Tensor } from '../src/tensor.js';
import { Workspace, type WorkspaceOptions } from '../src/workspace.js';
import { loadGoldenCases, PROJECT_ROOT, type GoldenCase, type GoldenOutput } from './golden-cases.js';
import './kernel-workers.js';

const cases = loadGoldenCases();
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Expected-output variants: the exact bytes, and where a case has them, FBGEMM's AVX2 bytes. */
type Isa = 'vnni' | 'avx2';
function expectedFile(c: GoldenCase, out: GoldenOutput, isa: Isa): string | undefined {
  if (isa === 'vnni') return join(c.dir, out.file);
  const alt = join(c.dir, out.file.replace(/\.npy$/, '.avx2.npy'));
  return existsSync(alt) ? alt : undefined;
}
function isasOf(c: GoldenCase): Isa[] {
  return c.outputs.some((o) => expectedFile(c, o, 'avx2')) ? ['vnni', 'avx2'] : ['vnni'];
}

/**
 * Every kernel set the library has, each run over the whole golden set: the TypeScript reference
 * kernels and the WebAssembly SIMD kernels on one, two and three threads must all give the same bytes.
 */
const KERNEL_CONFIGS: WorkspaceOptions[] = [
  { kernels: 'js', threads: 1 },
  { kernels: 'wasm', threads: 1 },
  { kernels: 'wasm', threads: 2 },
  { kernels: 'wasm', threads: 3 },
];

function runLibrary(c: GoldenCase, isa: Isa, kernels: WorkspaceOptions): Workspace {
  const ws = new Workspace({ ...kernels, isa });
  ws.RunNetOnce(c.init);
  for (const f of c.feeds) ws.FeedBlob(f.name, readNpyFile(join(c.dir, f.file)));
  ws.RunNetOnce(c.predict);
  return ws;
}

function expectSameBytes(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.dtype, `${what} dtype`).toBe(expected.dtype);
  expect([...actual.dims], `${what} shape`).toEqual([...expected.dims]);
  const a = new Uint8Array((actual.data as Uint8Array).buffer, (actual.data as Uint8Array).byteOffset, (actual.data as Uint8Array).byteLength);
  const e = new Uint8Array((expected.data as Uint8Array).buffer, (expected.data as Uint8Array).byteOffset, (expected.data as Uint8Array).byteLength);
  let diffs = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) { diffs++; if (first < 0) first = i; }
  expect(diffs, `${what}: ${diffs} of ${a.length} bytes differ, first at byte ${first}`).toBe(0);
}

function checkQparams(out: GoldenOutput, scale: number, zeroPoint: number): void {
  if (out.scale_f32_bits !== undefined) expect(float32Bits(scale), `${out.name} scale bits`).toBe(parseInt(out.scale_f32_bits, 16) >>> 0);
  if (out.zero_point !== undefined) expect(zeroPoint, `${out.name} zero point`).toBe(out.zero_point);
}

function checkOutput(ws: Workspace, out: GoldenOutput, expected: Tensor, isa: Isa): void {
  if (out.blob_type === 'Int8TensorCPU') {
    const got = ws.FetchInt8Blob(out.name);
    const t = got.data instanceof Uint8Array ? new Tensor('uint8', got.dims, got.data) : new Tensor('int32', got.dims, got.data);
    expectSameBytes(t, expected, `${out.name} (${isa})`);
    checkQparams(out, got.scale, got.zero_point);
  } else {
    const got = ws.FetchBlob(out.name);
    expect(got).toBeInstanceOf(Tensor);
    expectSameBytes(got as Tensor, expected, `${out.name} (${isa})`);
  }
}

function label(c: GoldenCase): string {
  return c.missingOps.length ? `${c.name} (skipped: op not implemented yet: ${c.missingOps.join(', ')})` : c.name;
}

describe.each(KERNEL_CONFIGS)('golden cases through the library (kernels $kernels, threads $threads)', (kernels) => {
  it('finds the golden cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const c of cases) {
    it.skipIf(c.missingOps.length > 0)(label(c), () => {
      if (c.expect_error) {
        let error: unknown;
        try {
          runLibrary(c, 'vnni', kernels);
        } catch (e) {
          error = e;
        }
        expect(error, `${c.name} must be refused`).toBeInstanceOf(Caffe2Error);
        expect((error as Caffe2Error).context.opType).toBe(c.expect_error.op_type);
        expect((error as Caffe2Error).message).toContain(c.expect_error.op_type);
        return;
      }
      for (const isa of isasOf(c)) {
        const ws = runLibrary(c, isa, kernels);
        for (const out of c.outputs) {
          const file = expectedFile(c, out, isa);
          if (file) checkOutput(ws, out, readNpyFile(file), isa);
        }
      }
    });
  }
});

describe('golden cases through `caffe2-int8 run`', () => {
  it('the CLI is built', () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
  });
  for (const c of cases) {
    it.skipIf(c.missingOps.length > 0).concurrent(label(c), () => {
      const outDir = mkdtempSync(join(tmpdir(), 'caffe2-int8-golden-'));
      try {
        const args = [CLI, 'run', '--init', join(c.dir, 'init_net.pb'), '--net', join(c.dir, 'predict_net.pb'), '--out-dir', outDir];
        for (const f of c.feeds) args.push('--input', `${f.name}=${join(c.dir, f.file)}`);
        for (const name of c.fetch) args.push('--output', name);
        const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
        if (c.expect_error) {
          expect(r.status, `${c.name} must be refused`).toBe(1);
          const lines = r.stderr.trim().split('\n');
          expect(lines).toHaveLength(1);
          expect(lines[0]).toMatch(/^error: /);
          expect(lines[0]).toContain(c.expect_error.op_type);
          return;
        }
        expect(r.status, r.stderr).toBe(0);
        for (const isa of isasOf(c)) {
          const dir = isa === 'vnni' ? outDir : join(outDir, isa);
          if (isa !== 'vnni') {
            const r2 = spawnSync(process.execPath, [...args.map((a) => (a === outDir ? dir : a)), '--isa', isa], { encoding: 'utf8' });
            expect(r2.status, r2.stderr).toBe(0);
          }
          for (const out of c.outputs) {
            const file = expectedFile(c, out, isa);
            if (!file) continue;
            const base = join(dir, out.name.replace(/[/\\:*?"<>|]/g, '_'));
            expectSameBytes(readNpyFile(`${base}.npy`), readNpyFile(file), `${out.name} (${isa})`);
            if (out.blob_type === 'Int8TensorCPU') {
              const q = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
              checkQparams(out, q.scale, q.zero_point);
            }
          }
        }
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    });
  }
});

