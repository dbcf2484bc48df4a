// Empty tensors with huge dimensions cost no bytes, so they pass every allocation limit, but every
// size computed from their dims is huge: a kernel's tap table, a channel accumulator, a column
// table. These ran into "Invalid typed array length" RangeErrors (or multi-gigabyte allocations)
// before; now an empty output allocates nothing more and a legal but large output is produced
// without per-element allocations (a 30000x30000 resize took 80 s, a concat of 10^8 one-byte
// slabs as long).
import { describe, expect, it } from 'vitest';
import type { Argument } from '../src/proto/types.js';
import { Int8Tensor, Tensor, type BlobValue } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { f, i, ints, NHWC } from './helpers.js';

const K = 100000;

const empty = (dims: number[], scale = 0.5, zp = 0) => new Int8Tensor(new Uint8Array(0), dims, scale, zp);
const bias = (m: number) => new Int8Tensor(new Int32Array(m), [m], 1, 0);

function runOp(type: string, blobs: Record<string, BlobValue>, args: Argument[], outputs = ['Y']): Workspace {
  const ws = new Workspace();
  for (const [k, v] of Object.entries(blobs)) ws.setBlob(k, v);
  ws.RunOperatorOnce({ type, input: Object.keys(blobs), output: outputs, arg: args });
  return ws;
}

describe('empty outputs with huge windows or channel counts allocate nothing', () => {
  it('Int8Conv: batch 0, a 100000x100000 kernel and weights with no output channels', () => {
    const ws = runOp('Int8Conv', { X: empty([0, K, K, 1]), W: empty([0, K, K, 1]), B: bias(0) }, [NHWC, i('kernel', K), f('Y_scale', 1)]);
    expect(ws.FetchInt8Blob('Y').dims).toEqual([0, 1, 1, 0]);
  });

  it('Int8ConvTranspose: no output channels, a 100000x100000 kernel', () => {
    const x = new Int8Tensor(new Uint8Array(1), [1, 1, 1, 1], 0.5, 0);
    const ws = runOp('Int8ConvTranspose', { X: x, W: empty([1, K, K, 0]), B: bias(0) }, [NHWC, i('kernel', K), f('Y_scale', 1)]);
    expect(ws.FetchInt8Blob('Y').dims).toEqual([1, K, K, 0]);
  });

  it('Int8MaxPool and Int8AveragePool: batch 0 with 2^40 channels', () => {
    for (const type of ['Int8MaxPool', 'Int8AveragePool']) {
      const ws = runOp(type, { X: empty([0, 3, 3, 2 ** 40]) }, [NHWC, i('kernel', 2), f('Y_scale', 0.5)]);
      expect(ws.FetchInt8Blob('Y').dims, type).toEqual([0, 2, 2, 2 ** 40]);
    }
  });

  it('Int8ResizeNearest: batch 0 with a 2^30-wide output', () => {
    const ws = runOp('Int8ResizeNearest', { X: empty([0, 1, 2 ** 29, 1]) }, [f('width_scale', 2), f('Y_scale', 0.5)]);
    expect(ws.FetchInt8Blob('Y').dims).toEqual([0, 1, 2 ** 30, 1]);
  });

  it('NCHW2NHWC / NHWC2NCHW: a batch of 2^40 with 0 channels loops over nothing', () => {
    const t0 = performance.now();
    for (const type of ['NCHW2NHWC', 'NHWC2NCHW']) {
      const ws = runOp(type, { X: new Tensor('float32', [2 ** 40, 0, 5], new Float32Array(0)) }, []);
      expect((ws.FetchBlob('Y') as Tensor).size, type).toBe(0);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('Int8RoIAlign: a channel count whose accumulators would be over the tensor limit is refused', () => {
    const x = new Int8Tensor(new Uint8Array(1 << 16), [1, 1, 1, 1 << 16], 0.5, 0);
    const rois = new Tensor('float32', [1, 4], Float32Array.from([0, 0, 1, 1]));
    const ws = new Workspace({ maxTensorBytes: 1 << 18 });
    ws.setBlob('X', x);
    ws.setBlob('R', rois);
    refused(() => ws.RunOperatorOnce({ type: 'Int8RoIAlign', input: ['X', 'R'], output: ['Y'], arg: [f('Y_scale', 0.5)] }), { reason: /a float64 tensor of shape \[65536\] needs 524288 bytes, over the limit of 262144/ });
  });
});

describe('large legal outputs are produced without per-element allocations', () => {
  it('Int8ResizeNearest 1x1 -> 6000x6000 (36 MB) in well under a second per 10^7 bytes', () => {
    const x = new Int8Tensor(Uint8Array.of(7), [1, 1, 1, 1], 0.5, 0);
    const t0 = performance.now();
    const ws = runOp('Int8ResizeNearest', { X: x }, [f('width_scale', 6000), f('height_scale', 6000), f('Y_scale', 0.5)]);
    const ms = performance.now() - t0;
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([1, 6000, 6000, 1]);
    expect(y.data[0]).toBe(7);
    expect(y.data[y.data.length - 1]).toBe(7);
    expect(ms).toBeLessThan(3000);
  });

  it('Int8ResizeNearest with 3 channels keeps the bytes of the source pixels', () => {
    const x = new Int8Tensor(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), [1, 2, 2, 3], 0.5, 0);
    const ws = runOp('Int8ResizeNearest', { X: x }, [f('width_scale', 2), f('height_scale', 1.5), f('Y_scale', 0.5)]);
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([1, 3, 4, 3]);
    // rows: iy = trunc(oy / 1.5) = 0, 0, 1; cols: ix = trunc(ox / 2) = 0, 0, 1, 1
    const row = (a: number[], b: number[]) => [...a, ...a, ...b, ...b];
    expect(Array.from(y.data)).toEqual([...row([1, 2, 3], [4, 5, 6]), ...row([1, 2, 3], [4, 5, 6]), ...row([7, 8, 9], [10, 11, 12])]);
  });

  it('Int8Concat of 4·10^6 one-byte slabs along the last axis', () => {
    const n = 4_000_000;
    const a = new Int8Tensor(new Uint8Array(n).fill(1), [n, 1], 0.5, 0);
    const b = new Int8Tensor(new Uint8Array(n).fill(2), [n, 1], 0.5, 0);
    const t0 = performance.now();
    const ws = runOp('Int8Concat', { A: a, B: b }, [i('axis', 1), f('Y_scale', 0.5)]);
    expect(performance.now() - t0).toBeLessThan(3000);
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([n, 2]);
    expect(Array.from(y.data.subarray(0, 6))).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('Int8Slice of 4·10^6 one-byte blocks', () => {
    const n = 4_000_000;
    const x = new Int8Tensor(Uint8Array.from({ length: 3 * n }, (_, k) => k % 3), [n, 3], 0.5, 0);
    const t0 = performance.now();
    const ws = runOp('Int8Slice', { X: x }, [ints('starts', [0, 1]), ints('ends', [-1, 2]), f('Y_scale', 0.5)]);
    expect(performance.now() - t0).toBeLessThan(3000);
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([n, 1]);
    expect(y.data.every((v) => v === 1)).toBe(true);
  });
});
