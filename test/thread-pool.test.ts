// The kernel thread pool: Int8Conv layers (and Int8Add, Int8MaxPool, Int8AveragePool) big enough to be split give
// the same bytes on 1 to 4 threads, the workers really take chunks, small ops stay on the calling thread, and a process
// that ran a net on threads exits promptly (the idle workers do not keep it alive); the CLI's
// --threads gives the same files.
// Chunks are claimed dynamically, so a worker the OS has not scheduled yet simply takes none:
// which thread ran what varies from run to run, the bytes never do.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import './kernel-workers.js';
import '../src/register-ops.js';
import { MIN_SPLIT_WORK, poolStats } from '../src/kernels/thread-pool.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { cli, f, i, NHWC, op, rng, SEED, yArgs } from './helpers.js';
import { PROJECT_ROOT } from './golden-cases.js';

interface Layer {
  name: string;
  h: number; w: number; c: number; m: number; group: number; k: number; stride: number; pad: number;
}

// Output pixel counts 667, 323, 414, 1023 and 391: none a multiple of the kernel's 4-pixel tile.
const LAYERS: Layer[] = [
  { name: 'pointwise 23x29x32->48', h: 23, w: 29, c: 32, m: 48, group: 1, k: 1, stride: 1, pad: 0 },
  { name: 'dense 3x3 17x19x16->24', h: 17, w: 19, c: 16, m: 24, group: 1, k: 3, stride: 1, pad: 1 },
  { name: 'dense 3x3 stride 2 35x45x8->40', h: 35, w: 45, c: 8, m: 40, group: 1, k: 3, stride: 2, pad: 1 },
  { name: 'depthwise 3x3 33x31x64', h: 33, w: 31, c: 64, m: 64, group: 64, k: 3, stride: 1, pad: 1 },
  { name: 'grouped 5x5 17x23x12->12 g3', h: 17, w: 23, c: 12, m: 12, group: 3, k: 5, stride: 1, pad: 2 },
];

function work(l: Layer): number {
  const outH = Math.floor((l.h + 2 * l.pad - l.k) / l.stride) + 1;
  const outW = Math.floor((l.w + 2 * l.pad - l.k) / l.stride) + 1;
  return outH * outW * l.k * l.k * (l.c / l.group) * l.m;
}

const randomBytes = (r: () => number, count: number) => Uint8Array.from({ length: count }, () => Math.floor(r() * 256));

function runLayer(l: Layer, seed: number, threads: number): Uint8Array {
  const r = rng(seed);
  const bytes = (count: number) => randomBytes(r, count);
  const ws = new Workspace({ kernels: 'wasm', threads });
  ws.setBlob('x', new Int8Tensor(bytes(l.h * l.w * l.c), [1, l.h, l.w, l.c], 0.02, 131));
  ws.setBlob('w', new Int8Tensor(bytes(l.m * l.k * l.k * (l.c / l.group)), [l.m, l.k, l.k, l.c / l.group], 0.01, 127));
  ws.setBlob('b', new Int8Tensor(Int32Array.from({ length: l.m }, () => Math.floor((r() - 0.5) * 5000)), [l.m], 0.0002, 0));
  ws.RunOperatorOnce(op('Int8Conv', ['x', 'w', 'b'], ['y'], [NHWC, i('kernel', l.k), i('stride', l.stride), i('pad', l.pad), i('group', l.group), ...yArgs(0.3, 120)]));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

// The other range kernels, each far above the split threshold however its work is counted:
// 126945 elements (an odd count) to add, and 3363 pooled pixels of 9 taps x 24 channels.
function runAdd(seed: number, threads: number): Uint8Array {
  const r = rng(seed);
  const dims = [1, 63, 65, 31];
  const ws = new Workspace({ kernels: 'wasm', threads });
  ws.setBlob('a', new Int8Tensor(randomBytes(r, 63 * 65 * 31), dims, 0.1, 128));
  ws.setBlob('b', new Int8Tensor(randomBytes(r, 63 * 65 * 31), dims, 0.07, 100));
  ws.RunOperatorOnce(op('Int8Add', ['a', 'b'], ['y'], yArgs(0.13, 64)));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

// Average pooling: 2 images' 15x15x1280 global pools (160 items of 16 channels) and 3363 pixels'
// 3x3 windows over 24 channels (two blocks a pixel, the second overlapping the first).
function runAvgPool(global: boolean, seed: number, threads: number): Uint8Array {
  const ws = new Workspace({ kernels: 'wasm', threads });
  const dims = global ? [2, 15, 15, 1280] : [1, 57, 59, 24];
  ws.setBlob('x', new Int8Tensor(randomBytes(rng(seed), dims.reduce((a, b) => a * b)), dims, 0.5, 3));
  const where = global ? [i('global_pooling', 1)] : [i('kernel', 3), i('pad', 1)];
  ws.RunOperatorOnce(op('Int8AveragePool', ['x'], ['y'], [NHWC, ...where, f('Y_scale', 0.3), i('Y_zero_point', 7)]));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

function runMaxPool(seed: number, threads: number): Uint8Array {
  const ws = new Workspace({ kernels: 'wasm', threads });
  ws.setBlob('x', new Int8Tensor(randomBytes(rng(seed), 57 * 59 * 24), [1, 57, 59, 24], 0.5, 3));
  ws.RunOperatorOnce(op('Int8MaxPool', ['x'], ['y'], [NHWC, i('kernel', 3), i('pad', 1), f('Y_scale', 0.5), i('Y_zero_point', 3)]));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

const workerChunks = (): number => poolStats().chunksByWorker.reduce((a, b) => a + b, 0);

describe('kernel thread pool', () => {
  for (const [index, l] of LAYERS.entries()) {
    it(`${l.name}: the same bytes on 1, 2, 3 and 4 threads`, () => {
      expect(work(l)).toBeGreaterThan(MIN_SPLIT_WORK);
      const one = runLayer(l, 1000 + index, 1);
      for (const threads of [2, 3, 4]) {
        expect(Buffer.compare(runLayer(l, 1000 + index, threads), one), `${threads} threads`).toBe(0);
      }
    });
  }

  const ranges = [
    ['Int8Add', runAdd],
    ['Int8MaxPool', runMaxPool],
    ['Int8AveragePool global', (seed: number, threads: number) => runAvgPool(true, seed, threads)],
    ['Int8AveragePool 3x3', (seed: number, threads: number) => runAvgPool(false, seed, threads)],
  ] as const;
  for (const [name, run] of ranges) {
    it(`${name}: the same bytes on 1, 2, 3 and 4 threads`, () => {
      const one = run(77, 1);
      for (const threads of [2, 3, 4]) expect(Buffer.compare(run(77, threads), one), `${threads} threads`).toBe(0);
    });
  }

  it('has made and started the workers asked for, and they take chunks', () => {
    const stats = poolStats();
    expect(stats.lastError).toBeUndefined();
    expect(stats.workers).toBe(3);
    expect(stats.readyWorkers).toBe(3);
    // On a busy machine a worker may wake too late for a given op: retry for a while.
    const before = workerChunks();
    const big: Layer = { name: 'big', h: 40, w: 40, c: 32, m: 32, group: 1, k: 3, stride: 1, pad: 1 };
    for (const deadline = performance.now() + 5000; workerChunks() === before && performance.now() < deadline; ) runLayer(big, 5, 4);
    expect(workerChunks()).toBeGreaterThan(before);
  });

  it('runs an op below the split threshold on the calling thread', () => {
    const small: Layer = { name: 'small', h: 8, w: 8, c: 8, m: 8, group: 1, k: 3, stride: 1, pad: 1 };
    expect(work(small)).toBeLessThan(MIN_SPLIT_WORK);
    const before = workerChunks();
    runLayer(small, 7, 4);
    expect(workerChunks()).toBe(before);
  });

  it('a process that ran a net on threads exits promptly', () => {
    const entry = pathToFileURL(join(PROJECT_ROOT, 'dist', 'src', 'node', 'index.js')).href;
    const script = `
      import { Workspace, Int8Tensor, poolStats } from ${JSON.stringify(entry)};
      const ws = new Workspace({ threads: 2 });
      ws.setBlob('x', new Int8Tensor(new Uint8Array(40 * 40 * 32).fill(140), [1, 40, 40, 32], 0.02, 128));
      ws.setBlob('w', new Int8Tensor(new Uint8Array(32 * 9 * 32).fill(130), [32, 3, 3, 32], 0.01, 128));
      ws.setBlob('b', new Int8Tensor(new Int32Array(32), [32], 1, 0));
      const order = { name: 'order', s: new TextEncoder().encode('NHWC') };
      ws.CreateNet({ name: 'n', op: [{ type: 'Int8Conv', input: ['x', 'w', 'b'], output: ['y'], arg: [order, { name: 'kernel', i: 3 }, { name: 'pad', i: 1 }, { name: 'Y_scale', f: 0.5 }, { name: 'Y_zero_point', i: 0 }] }] });
      const deadline = performance.now() + 5000;
      do ws.RunNet('n'); while (poolStats().chunksByWorker[0] === 0 && performance.now() < deadline);
      console.log(JSON.stringify({ chunks: poolStats().chunksByWorker, end: performance.timeOrigin + performance.now() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    const exited = performance.timeOrigin + performance.now();
    expect(r.signal, 'killed: the process did not exit by itself').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const { chunks, end } = JSON.parse(r.stdout) as { chunks: number[]; end: number };
    expect(chunks.length, r.stdout).toBe(1);
    expect(chunks[0], r.stdout).toBeGreaterThan(0);
    expect(exited - end).toBeLessThan(1000);
  });

  it('caffe2-int8 run --threads N writes the same bytes for every N, and refuses a bad N', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caffe2-int8-threads-'));
    try {
      const outputs = [1, 3].map((threads) => {
        const out = join(dir, String(threads));
        const r = cli('run', '--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`, '--out-dir', out, '--threads', String(threads));
        expect(r.status, r.stderr).toBe(0);
        return readFileSync(join(out, 'res.npy'));
      });
      expect(Buffer.compare(outputs[0]!, outputs[1]!)).toBe(0);
      const bad = cli('run', '--net', join(SEED, 'predict_net.pb'), '--out-dir', dir, '--threads', '0');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/^error: --threads takes an integer from 1 to 64, got "0"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
