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
import { f, i, ints, NHWC, s } from './helpers.js';

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

// Open fuzz findings, fixed (their inputs are replayed from test/fixtures/fuzz/ by fuzz.test.ts).
describe('empty tensors with huge dims in Softmax, Concat and the DNNLOWP ops', () => {
  const emptyF = (dims: number[]) => new Tensor('float32', dims, new Float32Array(0));
  const DNNLOWP = { engine: 'DNNLOWP' };
  const Y = [f('Y_scale', 1), i('Y_zero_point', 0)];
  const quick = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    expect(performance.now() - t0).toBeLessThan(1000);
  };

  it('Softmax of [2^40, 0], [0, 2^40] and [0, 8, 2^40, 1] gives the same empty shape, quickly', () => {
    quick(() => {
      for (const dims of [[2 ** 40, 0], [0, 2 ** 40], [0, 8, 2 ** 40, 1]]) {
        const y = runOp('Softmax', { X: emptyF(dims) }, []).FetchBlob('Y') as Tensor;
        expect(y.dims, String(dims)).toEqual(dims);
        expect(y.size).toBe(0);
      }
    });
  });

  it('Concat of empty [2^40, 0] slabs on axis 1, and of an int32 [8, 1, 2^40, 0] in NHWC, copies nothing', () => {
    quick(() => {
      const ws = new Workspace();
      ws.setBlob('A', emptyF([2 ** 40, 0]));
      ws.setBlob('B', emptyF([2 ** 40, 0]));
      ws.RunOperatorOnce({ type: 'Concat', input: ['A', 'B'], output: ['Y', 'S'], arg: [i('axis', 1)] });
      expect((ws.FetchBlob('Y') as Tensor).dims).toEqual([2 ** 40, 0]);
      expect(Array.from((ws.FetchBlob('S') as Tensor).data as Int32Array)).toEqual([0, 0]);
      const ws2 = runOp('Concat', { X: new Tensor('int32', [8, 1, 2 ** 40, 0], new Int32Array(0)) }, [s('order', 'NHWC')], ['Y', 'S']);
      expect((ws2.FetchBlob('Y') as Tensor).dims).toEqual([8, 1, 2 ** 40, 0]);
    });
  });

  it('Int8FC (DNNLOWP): 2^40 empty rows and no output columns give an empty [2^40, 0]', () => {
    quick(() => {
      const ws = new Workspace();
      ws.setBlob('X', empty([2 ** 40, 0], 0.5));
      ws.setBlob('W', empty([0, 0], 1));
      ws.setBlob('B', new Int8Tensor(new Int32Array(0), [0], 0.5, 0));
      ws.RunOperatorOnce({ type: 'Int8FC', input: ['X', 'W', 'B'], output: ['Y'], arg: Y, ...DNNLOWP });
      expect(ws.FetchInt8Blob('Y').dims).toEqual([2 ** 40, 0]);
    });
  });

  it('Int8FC (DNNLOWP): an empty W of 2^40 rows needs 2^40 column offsets: refused, not a RangeError', () => {
    const blobs = { X: empty([2 ** 40, 4, 0, 8]), W: empty([2 ** 40, 4, 0, 8]), B: empty([2 ** 40, 4, 0, 8]) };
    const ws = new Workspace();
    for (const [k, v] of Object.entries(blobs)) ws.setBlob(k, v);
    refused(() => ws.RunOperatorOnce({ type: 'Int8FC', input: ['X', 'W', 'B'], output: ['Y'], arg: Y, ...DNNLOWP }), { reason: /int32 tensor of shape \[1099511627776\]/ });
  });

  it('Int8Conv (DNNLOWP): batch 0 with a 100000x100000 kernel and 3 groups, NHWC and NCHW', () => {
    quick(() => {
      const run = (x: number[], w: number[], ord: string) => {
        const ws = new Workspace();
        ws.setBlob('X', empty(x));
        ws.setBlob('W', empty(w));
        ws.RunOperatorOnce({ type: 'Int8Conv', input: ['X', 'W'], output: ['Y'], arg: [s('order', ord), i('kernel', K), i('group', 3), ...Y], ...DNNLOWP });
        return ws.FetchInt8Blob('Y').dims;
      };
      expect(run([0, K, K, 3], [0, K, K, 1], 'NHWC')).toEqual([0, 1, 1, 0]);
      expect(run([0, 3, K, K], [0, 1, K, K], 'NCHW')).toEqual([0, 0, 1, 1]);
    });
  });

  it('Int8ConvPackWeight / Int8FCPackWeight (DNNLOWP): an empty W with 2^31 filters or rows is refused before its tables', () => {
    const pack = (type: string, w: BlobValue, args: Argument[] = []) => {
      const ws = new Workspace();
      ws.setBlob('W', w);
      return () => ws.RunOperatorOnce({ type, input: ['W'], output: ['P'], arg: args, ...DNNLOWP });
    };
    quick(() => {
      refused(pack('Int8ConvPackWeight', empty([2 ** 31 - 1, 4, 2, 0])), { reason: /int32 tensor of shape \[2147483647\] needs 8589934588 bytes/ });
      refused(pack('Int8FCPackWeight', empty([2 ** 31, 0])), { reason: /int32 tensor of shape \[2147483648\] needs/ });
      // quantize_channelwise: one qparams entry per row, bounded the same way
      refused(pack('Int8FCPackWeight', emptyF([2 ** 31, 0]), [i('quantize_channelwise', 1)]), { reason: /int32 tensor of shape \[2147483648,3\] needs/ });
      // a modest empty W still packs
      pack('Int8FCPackWeight', empty([4, 0]))();
    });
  });
});

describe('maxOpWork: the float and DNNLOWP conv, FC and pooling ops check it before computing', () => {
  const DNNLOWP = { engine: 'DNNLOWP' };
  const tooMuch = (type: string, blobs: Record<string, BlobValue>, args: Argument[], reason: RegExp, extra: object = {}) => {
    const ws = new Workspace({ maxOpWork: 1000 });
    for (const [k, v] of Object.entries(blobs)) ws.setBlob(k, v);
    refused(() => ws.RunOperatorOnce({ type, input: Object.keys(blobs), output: ['Y'], arg: args, ...extra }), { reason });
  };
  const zf = (dims: number[]) => new Tensor('float32', dims, new Float32Array(dims.reduce((p, d) => p * d, 1)));
  const zq = (dims: number[], scale = 0.5) => new Int8Tensor(new Uint8Array(dims.reduce((p, d) => p * d, 1)), dims, scale, 0);

  it('Conv / ConvRelu: 4608 multiply-adds over a limit of 1000', () => {
    for (const type of ['Conv', 'ConvRelu']) {
      tooMuch(type, { X: zf([1, 4, 10, 10]), W: zf([2, 4, 3, 3]) }, [i('kernel', 3)], /a 3x3 convolution to \[1,2,8,8\] needs 4608 multiply-adds, over this runtime's per-op work limit of 1000/);
    }
  });

  it('FC: M 10, N 10, K 20', () => {
    tooMuch('FC', { X: zf([10, 20]), W: zf([10, 20]), B: zf([10]) }, [], /a fully connected layer \(M 10, N 10, K 20\) needs 2000 multiply-adds/);
  });

  it('AveragePool / MaxPool: 2304 window taps', () => {
    for (const type of ['AveragePool', 'MaxPool']) {
      tooMuch(type, { X: zf([1, 4, 10, 10]) }, [i('kernel', 3)], /a 3x3 pooling to \[1,4,8,8\] needs 2304 multiply-adds/);
    }
  });

  it('Int8Conv / Int8ConvRelu (DNNLOWP) and Int8FC / Int8FCRelu (DNNLOWP)', () => {
    const yArgs = [f('Y_scale', 1), i('Y_zero_point', 0)];
    for (const type of ['Int8Conv', 'Int8ConvRelu']) {
      tooMuch(type, { X: zq([1, 10, 10, 4]), W: zq([2, 3, 3, 4], 1) }, [NHWC, i('kernel', 3), ...yArgs], /a 3x3 convolution to \[1,8,8,2\] needs 4608 multiply-adds/, DNNLOWP);
    }
    for (const type of ['Int8FC', 'Int8FCRelu']) {
      tooMuch(type, { X: zq([10, 20]), W: zq([10, 20], 1), B: new Int8Tensor(new Int32Array(10), [10], 0.5, 0) }, yArgs, /a fully connected layer \(M 10, N 10, K 20\) needs 2000 multiply-adds/, DNNLOWP);
    }
  });
});
