// Float FC, AveragePool and MaxPool: hand-worked cases, random cases against independent
// reference loops, argument forms and errors.
import { describe, it } from 'vitest';
import type { Argument } from '../src/proto/types.js';
import { expectClose, expectExact, run1, runOp, toNhwc } from './float-utils.js';
import { expectError, f32, i, ints, op, randomFloats, rng, s, tensor } from './helpers.js';

// ---- FC ----------------------------------------------------------------------------------------

/** Reference: Y[m][n] = b[n] + Σ_k X[m][k]·W[n][k], rounded once. */
function refFc(x: Float32Array, w: Float32Array, b: Float32Array, M: number, N: number, K: number): number[] {
  const y: number[] = [];
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let acc = b[n]!;
      for (let k = 0; k < K; k++) acc += x[m * K + k]! * w[n * K + k]!;
      y.push(Math.fround(acc));
    }
  return y;
}

describe('FC', () => {
  it('FC x=[2,2] w=[3,2] b=[3] -> [2,3]', () => {
    // W rows (1,0), (0,1), (1,1); b = (0.5, -1, 0):
    // row (1,2) -> (1.5, 1, 3); row (3,4) -> (3.5, 3, 7).
    const y = run1(op('FC', ['x', 'w', 'b'], ['y']), {
      x: f32([2, 2], [1, 2, 3, 4]),
      w: f32([3, 2], [1, 0, 0, 1, 1, 1]),
      b: f32([3], [0.5, -1, 0]),
    });
    expectExact(y, 'float32', [2, 3], [1.5, 1, 3, 3.5, 3, 7]);
  });

  const cases: Array<{ name: string; xd: number[]; wd: number[]; args: Argument[]; M: number; N: number; K: number; yd: number[] }> = [
    { name: 'FC x=[4,10] w=[5,10] -> [4,5]', xd: [4, 10], wd: [5, 10], args: [], M: 4, N: 5, K: 10, yd: [4, 5] },
    { name: 'FC axis=1 x=[3,2,4] (K=8) w=[6,8] -> [3,6]', xd: [3, 2, 4], wd: [6, 8], args: [], M: 3, N: 6, K: 8, yd: [3, 6] },
    { name: 'FC axis=2 x=[2,3,4] (M=6) w=[5,4] -> [2,3,5]', xd: [2, 3, 4], wd: [5, 4], args: [i('axis', 2)], M: 6, N: 5, K: 4, yd: [2, 3, 5] },
    { name: 'FC axis=-1 x=[2,3,4] w=[5,4] -> [2,3,5]', xd: [2, 3, 4], wd: [5, 4], args: [i('axis', -1)], M: 6, N: 5, K: 4, yd: [2, 3, 5] },
    { name: 'FC axis_w=2 w=[2,3,7] (N=6) x=[3,7] -> [3,6]', xd: [3, 7], wd: [2, 3, 7], args: [i('axis_w', 2)], M: 3, N: 6, K: 7, yd: [3, 6] },
    { name: 'FC axis=0 x=[2,3] (M=1, K=6) w=[4,6] -> [4]', xd: [2, 3], wd: [4, 6], args: [i('axis', 0)], M: 1, N: 4, K: 6, yd: [4] },
  ];
  cases.forEach(({ name, xd, wd, args, M, N, K, yd }, idx) => {
    it(name, () => {
      const r = rng(200 + idx);
      const x = randomFloats(r, M * K);
      const w = randomFloats(r, N * K);
      const b = randomFloats(r, N);
      const y = run1(op('FC', ['x', 'w', 'b'], ['y'], args), { x: f32(xd, x), w: f32(wd, w), b: f32([N], b) });
      expectClose(y, yd, refFc(x, w, b, M, N, K));
    });
  });

  it('FC empty batch x=[0,4] w=[3,4] -> [0,3]', () => {
    const y = run1(op('FC', ['x', 'w', 'b'], ['y']), { x: f32([0, 4], []), w: f32([3, 4], new Array(12).fill(1)), b: f32([3], [1, 2, 3]) });
    expectExact(y, 'float32', [0, 3], []);
  });

  const w = f32([3, 2], [1, 0, 0, 1, 1, 1]);
  const b = f32([3], [0, 0, 0]);
  const x = f32([2, 2], [1, 2, 3, 4]);

  it('FC errors: 2-D bias, wrong K, wrong bias length -> enforce', () => {
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x, w, b: f32([1, 3], [0, 0, 0]) }), 'enforce', /bias must be 1-D/);
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x: f32([2, 3], [1, 2, 3, 4, 5, 6]), w, b }), 'enforce', /Dimension mismatch: X: \[2,3\], W: \[3,2\]/);
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x, w, b: f32([2], [0, 0]) }), 'enforce', /Dimension mismatch/);
  });

  it('FC errors: K = 0 (x=[2,0]) and N = 0 (w=[0,2]) -> invalid', () => {
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x: f32([2, 0], []), w, b }), 'invalid', /K = 0/);
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x, w: f32([0, 2], []), b: f32([0], []) }), 'invalid', /N = 0/);
  });

  it('FC errors: axis 2 on a 2-D input, float64 input, 2 inputs', () => {
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y'], [i('axis', 2)]), { x, w, b }), 'enforce', /axis 2 is out of range/);
    expectError(() => runOp(op('FC', ['x', 'w', 'b'], ['y']), { x: tensor('float64', [2, 2], [1, 2, 3, 4]), w, b }), 'enforce', /type mismatch/);
    expectError(() => runOp(op('FC', ['x', 'w'], ['y']), { x, w }), 'enforce', /schema/);
  });
});

// ---- pooling ---------------------------------------------------------------------------------

interface RefPool {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride?: [number, number];
  pads?: [number, number, number, number];
}

/** Reference NCHW pooling: walk each window in padded coordinates, keep in-image taps. */
function refPool(p: RefPool, x: Float32Array, kind: 'avg' | 'avg_include_pad' | 'max'): { dims: number[]; y: number[] } {
  const [sh, sw] = p.stride ?? [1, 1];
  const [pt, pl, pb, pr] = p.pads ?? [0, 0, 0, 0];
  const oh = Math.floor((p.h + pt + pb - p.kh) / sh) + 1;
  const ow = Math.floor((p.w + pl + pr - p.kw) / sw) + 1;
  const y: number[] = [];
  for (let n = 0; n < p.n; n++)
    for (let c = 0; c < p.c; c++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const taps: number[] = [];
          for (let ky = 0; ky < p.kh; ky++)
            for (let kx = 0; kx < p.kw; kx++) {
              const yy = oy * sh + ky - pt;
              const xx = ox * sw + kx - pl;
              if (yy >= 0 && yy < p.h && xx >= 0 && xx < p.w) taps.push(x[((n * p.c + c) * p.h + yy) * p.w + xx]!);
            }
          if (kind === 'max') y.push(Math.max(...taps));
          else y.push(Math.fround(taps.reduce((a, v) => a + v, 0) / (kind === 'avg' ? taps.length : p.kh * p.kw)));
        }
  return { dims: [p.n, p.c, oh, ow], y };
}

const x33 = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('AveragePool / MaxPool: hand-worked', () => {
  it('AveragePool NCHW x=[1,1,3,3] k=2 s=1 -> [1,1,2,2]', () => {
    // (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7.
    expectExact(run1(op('AveragePool', ['x'], ['y'], [i('kernel', 2)]), { x: x33 }), 'float32', [1, 1, 2, 2], [3, 4, 6, 7]);
  });

  it('AveragePool x=[1,1,3,3] k=3 p=1: count_include_pad=0 divides by the in-image taps', () => {
    // Corner (0,0): taps 1,2,4,5 -> 12/4 = 3; edge (0,1): 1..6 -> 21/6 = 3.5; centre: 45/9 = 5.
    const y = run1(op('AveragePool', ['x'], ['y'], [i('kernel', 3), i('pad', 1)]), { x: x33 });
    expectExact(y, 'float32', [1, 1, 3, 3], [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7]);
  });

  it('AveragePool x=[1,1,3,3] k=3 p=1 count_include_pad=1 divides by 9', () => {
    // Corner: 12/9, edge: 21/9, centre: 45/9 = 5.
    const y = run1(op('AveragePool', ['x'], ['y'], [i('kernel', 3), i('pad', 1), i('count_include_pad', 1)]), { x: x33 });
    expectClose(y, [1, 1, 3, 3], [12 / 9, 21 / 9, 16 / 9, 27 / 9, 5, 33 / 9, 24 / 9, 39 / 9, 28 / 9]);
  });

  it('MaxPool NCHW x=[1,1,3,3] k=2 s=1 -> [1,1,2,2]', () => {
    expectExact(run1(op('MaxPool', ['x'], ['y'], [i('kernel', 2)]), { x: f32([1, 1, 3, 3], [1, 9, 2, -4, 0, 3, 7, -1, 5]) }), 'float32', [1, 1, 2, 2], [9, 9, 7, 5]);
  });

  it('global AveragePool / MaxPool NCHW x=[1,2,2,2] -> [1,2,1,1]', () => {
    const x = f32([1, 2, 2, 2], [1, 2, 3, 4, -1, -5, 8, 0]);
    expectExact(run1(op('AveragePool', ['x'], ['y'], [i('global_pooling', 1)]), { x }), 'float32', [1, 2, 1, 1], [2.5, 0.5]);
    expectExact(run1(op('MaxPool', ['x'], ['y'], [i('global_pooling', 1)]), { x }), 'float32', [1, 2, 1, 1], [4, 8]);
  });

  it('global AveragePool NHWC x=[1,2,2,2] -> [1,1,1,2]', () => {
    // Channel 0 holds 1,3,-1,8 (mean 2.75); channel 1 holds 2,4,-5,0 (mean 0.25).
    const x = f32([1, 2, 2, 2], [1, 2, 3, 4, -1, -5, 8, 0]);
    expectExact(run1(op('AveragePool', ['x'], ['y'], [i('global_pooling', 1), s('order', 'NHWC')]), { x }), 'float32', [1, 1, 1, 2], [2.75, 0.25]);
  });

  it('MaxPool of a window of -inf: NCHW gives -inf, NHWC gives the lowest float', () => {
    const x = f32([1, 1, 1, 2], [-Infinity, -Infinity]);
    expectExact(run1(op('MaxPool', ['x'], ['y'], [i('kernel_h', 1), i('kernel_w', 2)]), { x }), 'float32', [1, 1, 1, 1], [-Infinity]);
    const xh = f32([1, 1, 2, 1], [-Infinity, -Infinity]);
    expectExact(run1(op('MaxPool', ['x'], ['y'], [i('kernel_h', 1), i('kernel_w', 2), s('order', 'NHWC')]), { x: xh }), 'float32', [1, 1, 1, 1], [-3.4028234663852886e38]);
  });

  it('AveragePool empty batch x=[0,2,4,4] k=2 s=2 -> [0,2,2,2]', () => {
    expectExact(run1(op('AveragePool', ['x'], ['y'], [i('kernel', 2), i('stride', 2)]), { x: f32([0, 2, 4, 4], []) }), 'float32', [0, 2, 2, 2], []);
  });
});

describe('AveragePool / MaxPool: random cases against the reference', () => {
  const cases: Array<{ name: string; p: RefPool; args: Argument[] }> = [
    { name: 'x=[2,3,6,6] k=2 s=2 -> [2,3,3,3]', p: { n: 2, c: 3, h: 6, w: 6, kh: 2, kw: 2, stride: [2, 2] }, args: [i('kernel', 2), i('stride', 2)] },
    { name: 'x=[1,2,5,5] k=3 s=2 p=1 -> [1,2,3,3]', p: { n: 1, c: 2, h: 5, w: 5, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1] }, args: [i('kernel', 3), i('stride', 2), i('pad', 1)] },
    { name: 'x=[1,3,7,6] kernel_h=3 kernel_w=2 stride_h=2 stride_w=1 pads t1 l0 b2 r1 -> [1,3,4,6]', p: { n: 1, c: 3, h: 7, w: 6, kh: 3, kw: 2, stride: [2, 1], pads: [1, 0, 2, 1] }, args: [i('kernel_h', 3), i('kernel_w', 2), i('stride_h', 2), i('stride_w', 1), ints('pads', [1, 0, 2, 1])] },
    // legacy_pad SAME on 5x5, k=2, s=2: out 3, needed (3-1)·2 + 2 - 5 = 1 -> head 0, tail 1.
    { name: 'x=[1,2,5,5] k=2 s=2 legacy_pad=SAME -> [1,2,3,3]', p: { n: 1, c: 2, h: 5, w: 5, kh: 2, kw: 2, stride: [2, 2], pads: [0, 0, 1, 1] }, args: [i('kernel', 2), i('stride', 2), i('legacy_pad', 2)] },
    // CAFFE_LEGACY_POOLING on 6x6, k=3, s=2, pad 0: ceil((6-3)/2)+1 = 3 (Caffe2 floor would give 2); tail pad 0 + 2·1 = 2.
    { name: 'x=[1,1,6,6] k=3 s=2 legacy_pad=CAFFE_LEGACY_POOLING -> [1,1,3,3]', p: { n: 1, c: 1, h: 6, w: 6, kh: 3, kw: 3, stride: [2, 2], pads: [0, 0, 2, 2] }, args: [i('kernel', 3), i('stride', 2), i('legacy_pad', 3)] },
  ];
  cases.forEach(({ name, p, args }, idx) => {
    const r = rng(300 + idx);
    const x = randomFloats(r, p.n * p.c * p.h * p.w, -4, 4);
    for (const [type, kind, extra] of [
      ['AveragePool', 'avg', []],
      ['AveragePool', 'avg_include_pad', [i('count_include_pad', 1)]],
      ['MaxPool', 'max', []],
    ] as const) {
      const ref = refPool(p, x, kind);
      const label = `${type}${kind === 'avg_include_pad' ? ' count_include_pad=1' : ''} ${name}`;
      it(`${label} (NCHW)`, () => {
        expectClose(run1(op(type, ['x'], ['y'], [...args, ...extra]), { x: f32([p.n, p.c, p.h, p.w], x) }), ref.dims, ref.y);
      });
      it(`${label} (NHWC)`, () => {
        const [n, c, oh, ow] = ref.dims as [number, number, number, number];
        const y = run1(op(type, ['x'], ['y'], [...args, ...extra, s('order', 'NHWC')]), { x: f32([p.n, p.h, p.w, p.c], toNhwc(x, p.n, p.c, p.h, p.w)) });
        expectClose(y, [n, oh, ow, c], toNhwc(ref.y, n, c, oh, ow));
      });
    }
  });
});

describe('AveragePool / MaxPool: errors', () => {
  it('dilation 2 -> enforce at creation', () => {
    expectError(() => runOp(op('MaxPool', ['x'], ['y'], [i('kernel', 2), i('dilation', 2)]), { x: x33 }), 'enforce', /does not support dilation/);
  });

  it('pad 2 with kernel 2 -> enforce at creation (pad must be smaller than the kernel)', () => {
    expectError(() => runOp(op('AveragePool', ['x'], ['y'], [i('kernel', 2), i('pad', 2)]), { x: x33 }), 'enforce', /Pad should be smaller than kernel/);
  });

  it('no kernel, unnamed: the pad < kernel check fails at creation; named "MaxPool1": the kernel check does', () => {
    expectError(() => runOp(op('MaxPool', ['x'], ['y']), { x: x33 }), 'enforce', /Pad should be smaller than kernel/);
    expectError(() => runOp(op('MaxPool', ['x'], ['y'], [], { name: 'MaxPool1' }), { x: x33 }), 'enforce', /kernel size must be given/);
  });

  it('global pooling with stride 2 -> enforce at creation', () => {
    expectError(() => runOp(op('AveragePool', ['x'], ['y'], [i('global_pooling', 1), i('stride', 2)]), { x: x33 }), 'enforce', /global_pooling/);
  });

  it('kernel larger than the input (k=4 on 3x3) -> enforce', () => {
    expectError(() => runOp(op('MaxPool', ['x'], ['y'], [i('kernel', 4)]), { x: x33 }), 'enforce', /smaller than/);
  });

  it('float64 input -> type mismatch; 3-D input -> unsupported; 2 outputs -> schema', () => {
    expectError(() => runOp(op('MaxPool', ['x'], ['y'], [i('kernel', 2)]), { x: tensor('float64', [1, 1, 3, 3], new Array(9).fill(0)) }), 'enforce', /type mismatch/);
    expectError(() => runOp(op('MaxPool', ['x'], ['y'], [i('kernel', 2)]), { x: f32([1, 3, 3], new Array(9).fill(0)) }), 'unsupported', /2-D pooling/);
    expectError(() => runOp(op('MaxPool', ['x'], ['y', 'z'], [i('kernel', 2)]), { x: x33 }), 'enforce', /schema/);
  });

  it('empty channels x=[1,0,3,3] -> enforce (input.size_from_dim(1) > 0)', () => {
    expectError(() => runOp(op('AveragePool', ['x'], ['y'], [i('kernel', 2)]), { x: f32([1, 0, 3, 3], []) }), 'enforce', /size_from_dim/);
  });
});
