// Float Conv and ConvRelu: hand-worked cases, random cases against an independent zero-padding
// reference in NCHW (NHWC runs compare through explicit layout transposes), argument forms, and
// every error the op raises.
import { describe, expect, it } from 'vitest';
import type { Argument } from '../src/proto/types.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { expectClose, expectExact, run1, runOp, toNhwc } from './float-utils.js';
import { expectError, f32, i, ints, op, order, randomFloats, rng, tensor } from './helpers.js';

interface RefConv {
  n: number;
  c: number;
  h: number;
  w: number;
  m: number;
  kh: number;
  kw: number;
  group?: number;
  stride?: [number, number];
  dilation?: [number, number];
  pads?: [number, number, number, number]; // t, l, b, r
}

/** Independent NCHW reference: zero-pad the image, then slide the dilated kernel over it. */
function refConvNchw(p: RefConv, x: Float32Array, w: Float32Array, b?: Float32Array): { dims: number[]; y: number[] } {
  const g = p.group ?? 1;
  const [sh, sw] = p.stride ?? [1, 1];
  const [dh, dw] = p.dilation ?? [1, 1];
  const [pt, pl, pb, pr] = p.pads ?? [0, 0, 0, 0];
  const ph = p.h + pt + pb;
  const pw = p.w + pl + pr;
  const padded = new Float64Array(p.n * p.c * ph * pw);
  for (let n = 0; n < p.n; n++)
    for (let c = 0; c < p.c; c++)
      for (let y = 0; y < p.h; y++)
        for (let xx = 0; xx < p.w; xx++) padded[((n * p.c + c) * ph + y + pt) * pw + xx + pl] = x[((n * p.c + c) * p.h + y) * p.w + xx]!;
  const oh = Math.floor((ph - (dh * (p.kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((pw - (dw * (p.kw - 1) + 1)) / sw) + 1;
  const cg = p.c / g;
  const mg = p.m / g;
  const out: number[] = [];
  for (let n = 0; n < p.n; n++)
    for (let m = 0; m < p.m; m++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const grp = Math.floor(m / mg);
          let acc = b ? b[m]! : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < p.kh; ky++)
              for (let kx = 0; kx < p.kw; kx++) {
                const xv = padded[((n * p.c + grp * cg + ci) * ph + oy * sh + ky * dh) * pw + ox * sw + kx * dw]!;
                acc += xv * w[((m * cg + ci) * p.kh + ky) * p.kw + kx]!;
              }
          out.push(Math.fround(acc));
        }
  return { dims: [p.n, p.m, oh, ow], y: out };
}

describe('Conv: hand-worked', () => {
  it('Conv NCHW x=[1,1,3,3] w=[1,1,2,2] -> [1,1,2,2] with bias', () => {
    // x = 1..9 (row-major 3x3), w = [[1,2],[3,4]], b = 0.5:
    // y00 = 1·1+2·2+4·3+5·4 = 37, y01 = 2+6+15+24 = 47, y10 = 4+10+21+32 = 67, y11 = 5+12+24+36 = 77; +0.5 each.
    const y = run1(op('Conv', ['x', 'w', 'b'], ['y'], [i('kernel', 2)]), {
      x: f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]),
      w: f32([1, 1, 2, 2], [1, 2, 3, 4]),
      b: f32([1], [0.5]),
    });
    expectExact(y, 'float32', [1, 1, 2, 2], [37.5, 47.5, 67.5, 77.5]);
  });

  it('Conv NCHW x=[1,1,3,3] w=[1,1,3,3] ones, pad=1 stride=2 -> [1,1,2,2]', () => {
    // Windows (rows, cols) clipped to the image: (0..1,0..1) 1+2+4+5 = 12, (0..1,1..2) 2+3+5+6 = 16,
    // (1..2,0..1) 4+5+7+8 = 24, (1..2,1..2) 5+6+8+9 = 28.
    const y = run1(op('Conv', ['x', 'w'], ['y'], [i('kernel', 3), i('pad', 1), i('stride', 2)]), {
      x: f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]),
      w: f32([1, 1, 3, 3], new Array(9).fill(1)),
    });
    expectExact(y, 'float32', [1, 1, 2, 2], [12, 16, 24, 28]);
  });

  it('Conv NHWC x=[1,2,2,2] w=[2,1,1,2] 1x1 -> [1,2,2,2]', () => {
    // Pixel (c0, c1) -> (c0 + 2·c1, c0 - c1): (1,2)->(5,-1), (3,4)->(11,-1), (5,6)->(17,-1), (7,8)->(23,-1).
    const y = run1(op('Conv', ['x', 'w'], ['y'], [i('kernel', 1), order('NHWC')]), {
      x: f32([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]),
      w: f32([2, 1, 1, 2], [1, 2, 1, -1]),
    });
    expectExact(y, 'float32', [1, 2, 2, 2], [5, -1, 11, -1, 17, -1, 23, -1]);
  });

  it('Conv NCHW grouped 1x1 x=[1,2,1,2] w=[2,1,1,1] group=2 -> [1,2,1,2]', () => {
    // Each channel is scaled by its own filter: c0·3, c1·(-2).
    const y = run1(op('Conv', ['x', 'w'], ['y'], [i('kernel', 1), i('group', 2)]), {
      x: f32([1, 2, 1, 2], [1, 2, 10, 20]),
      w: f32([2, 1, 1, 1], [3, -2]),
    });
    expectExact(y, 'float32', [1, 2, 1, 2], [3, 6, -20, -40]);
  });

  it('ConvRelu x=[1,1,1,3] w=[2,1,1,1] -> negatives and NaN become 0', () => {
    // Filters 1 and -1 over [2, NaN, -3]: [2, NaN, -3] -> [2, 0, 0]; [-2, NaN, 3] -> [0, 0, 3].
    const y = run1(op('ConvRelu', ['x', 'w'], ['y'], [i('kernel', 1)]), {
      x: f32([1, 1, 1, 3], [2, NaN, -3]),
      w: f32([2, 1, 1, 1], [1, -1]),
    });
    expectExact(y, 'float32', [1, 2, 1, 3], [2, 0, 0, 0, 0, 3]);
  });

  it('Conv result is rounded once to float32 (x=[1,1,1,2] w=[1,1,1,2])', () => {
    // 0.1f·1 + 0.2f·1 in double, rounded once, equals fround(fround(0.1) + fround(0.2)).
    const y = run1(op('Conv', ['x', 'w'], ['y'], [i('kernel_h', 1), i('kernel_w', 2)]), {
      x: f32([1, 1, 1, 2], [0.1, 0.2]),
      w: f32([1, 1, 1, 2], [1, 1]),
    });
    expectExact(y, 'float32', [1, 1, 1, 1], [Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  });
});

describe('Conv: random cases against the reference', () => {
  const cases: Array<{ name: string; p: RefConv; args: Argument[]; bias: boolean }> = [
    { name: 'Conv NCHW x=[1,3,5,5] w=[4,3,3,3] s=2 p=1 -> [1,4,3,3]', p: { n: 1, c: 3, h: 5, w: 5, m: 4, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1] }, args: [i('kernel', 3), i('stride', 2), i('pad', 1)], bias: true },
    { name: 'Conv NCHW x=[2,4,6,5] w=[6,2,3,3] group=2 -> [2,6,4,3]', p: { n: 2, c: 4, h: 6, w: 5, m: 6, kh: 3, kw: 3, group: 2 }, args: [i('kernel', 3), i('group', 2)], bias: true },
    { name: 'Conv NCHW depthwise x=[1,4,5,5] w=[4,1,3,3] group=4 p=1 -> [1,4,5,5]', p: { n: 1, c: 4, h: 5, w: 5, m: 4, kh: 3, kw: 3, group: 4, pads: [1, 1, 1, 1] }, args: [i('kernel', 3), i('group', 4), i('pad', 1)], bias: false },
    { name: 'Conv NCHW dilation=2 x=[1,2,7,7] w=[3,2,3,3] -> [1,3,3,3]', p: { n: 1, c: 2, h: 7, w: 7, m: 3, kh: 3, kw: 3, dilation: [2, 2] }, args: [i('kernel', 3), i('dilation', 2)], bias: true },
    { name: 'Conv NCHW dilation_h=2 dilation_w=1 group=2 x=[1,4,7,6] w=[2,2,2,3] -> [1,2,5,4]', p: { n: 1, c: 4, h: 7, w: 6, m: 2, kh: 2, kw: 3, group: 2, dilation: [2, 1] }, args: [i('kernel_h', 2), i('kernel_w', 3), i('dilation_h', 2), i('dilation_w', 1), i('group', 2)], bias: true },
    { name: 'Conv NCHW asymmetric pads t=0 l=2 b=1 r=0 x=[1,2,4,4] w=[2,2,2,2] -> [1,2,4,5]', p: { n: 1, c: 2, h: 4, w: 4, m: 2, kh: 2, kw: 2, pads: [0, 2, 1, 0] }, args: [i('kernel', 2), i('pad_t', 0), i('pad_l', 2), i('pad_b', 1), i('pad_r', 0)], bias: true },
    { name: 'Conv NCHW pads list [1,0,2,1] kernels [3,2] strides [2,1] x=[1,1,6,5] w=[2,1,3,2] -> [1,2,4,5]', p: { n: 1, c: 1, h: 6, w: 5, m: 2, kh: 3, kw: 2, stride: [2, 1], pads: [1, 0, 2, 1] }, args: [ints('kernels', [3, 2]), ints('strides', [2, 1]), ints('pads', [1, 0, 2, 1])], bias: false },
    // legacy_pad SAME, stride 2, 5x5, kernel 3: out = ceil(5/2) = 3, needed = (3-1)·2 + 3 - 5 = 2 -> pads 1/1.
    { name: 'Conv NCHW legacy_pad=SAME x=[1,2,5,5] w=[2,2,3,3] s=2 -> [1,2,3,3]', p: { n: 1, c: 2, h: 5, w: 5, m: 2, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1] }, args: [i('kernel', 3), i('stride', 2), i('legacy_pad', 2)], bias: true },
    // legacy_pad SAME, stride 1, 4x4, kernel 2: needed = 1 -> head 0, tail 1 (Caffe2 pads the tail more).
    { name: 'Conv NCHW legacy_pad=SAME x=[1,1,4,4] w=[1,1,2,2] s=1 -> [1,1,4,4]', p: { n: 1, c: 1, h: 4, w: 4, m: 1, kh: 2, kw: 2, pads: [0, 0, 1, 1] }, args: [i('kernel', 2), i('legacy_pad', 2)], bias: false },
    { name: 'Conv NCHW legacy_pad=VALID x=[1,2,6,6] w=[3,2,3,3] s=2 -> [1,3,2,2]', p: { n: 1, c: 2, h: 6, w: 6, m: 3, kh: 3, kw: 3, stride: [2, 2] }, args: [i('kernel', 3), i('stride', 2), i('legacy_pad', 1)], bias: true },
    { name: 'Conv NCHW 1x1 x=[3,5,4,4] w=[7,5,1,1] -> [3,7,4,4]', p: { n: 3, c: 5, h: 4, w: 4, m: 7, kh: 1, kw: 1 }, args: [i('kernel', 1)], bias: true },
  ];

  cases.forEach(({ name, p, args, bias }, idx) => {
    const r = rng(100 + idx);
    const g = p.group ?? 1;
    const x = randomFloats(r, p.n * p.c * p.h * p.w);
    const w = randomFloats(r, p.m * (p.c / g) * p.kh * p.kw);
    const b = bias ? randomFloats(r, p.m) : undefined;
    const ref = refConvNchw(p, x, w, b);
    const inputs = bias ? ['x', 'w', 'b'] : ['x', 'w'];

    it(name, () => {
      const feeds: Record<string, Tensor> = { x: f32([p.n, p.c, p.h, p.w], x), w: f32([p.m, p.c / g, p.kh, p.kw], w) };
      if (b) feeds.b = f32([p.m], b);
      expectClose(run1(op('Conv', inputs, ['y'], args), feeds), ref.dims, ref.y);
    });

    it(`${name.replace('NCHW', 'NHWC')} (NHWC layout)`, () => {
      const feeds: Record<string, Tensor> = {
        x: f32([p.n, p.h, p.w, p.c], toNhwc(x, p.n, p.c, p.h, p.w)),
        w: f32([p.m, p.kh, p.kw, p.c / g], toNhwc(w, p.m, p.c / g, p.kh, p.kw)),
      };
      if (b) feeds.b = f32([p.m], b);
      const [n, m, oh, ow] = ref.dims as [number, number, number, number];
      expectClose(run1(op('Conv', inputs, ['y'], [...args, order('NHWC')]), feeds), [n, oh, ow, m], toNhwc(ref.y, n, m, oh, ow));
    });

    it(`${name.replace('Conv', 'ConvRelu')}`, () => {
      const feeds: Record<string, Tensor> = { x: f32([p.n, p.c, p.h, p.w], x), w: f32([p.m, p.c / g, p.kh, p.kw], w) };
      if (b) feeds.b = f32([p.m], b);
      expectClose(run1(op('ConvRelu', inputs, ['y'], args), feeds), ref.dims, ref.y.map((v) => (v > 0 ? v : 0)));
    });
  });

  it('Conv in a created net runs twice with new inputs (x=[1,1,2,2] w=[1,1,1,1])', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', f32([1, 1, 2, 2], [1, 2, 3, 4]));
    ws.FeedBlob('w', f32([1, 1, 1, 1], [2]));
    ws.CreateNet({ name: 'n', op: [op('Conv', ['x', 'w'], ['y'], [i('kernel', 1)])], external_input: ['x', 'w'] });
    ws.RunNet('n');
    expectExact(ws.FetchBlob('y') as Tensor, 'float32', [1, 1, 2, 2], [2, 4, 6, 8]);
    ws.FeedBlob('x', f32([1, 1, 1, 3], [1, 1, 1]));
    ws.FeedBlob('w', f32([1, 1, 1, 1], [-1]));
    ws.RunNet('n');
    expectExact(ws.FetchBlob('y') as Tensor, 'float32', [1, 1, 1, 3], [-1, -1, -1]);
  });
});

describe('Conv: errors', () => {
  const x = f32([1, 2, 3, 3], new Array(18).fill(1));
  const w = f32([2, 2, 2, 2], new Array(16).fill(1));

  it('input channels != kernel channels · group (x C=2, w C/G=1, group 1) -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2)]), { x, w: f32([2, 1, 2, 2], new Array(8).fill(1)) }), 'enforce', /input channels does not match/);
  });

  it('output channels not divisible by group (M=3, group=2) -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2), i('group', 2)]), { x, w: f32([3, 1, 2, 2], new Array(12).fill(1)) }), 'enforce', /not divisible by group/);
  });

  it('filter 2x2 but kernel=3 -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 3)]), { x, w }), 'enforce', /kernel_\[0\] is 3/);
  });

  it('NHWC filter [M,KH,KW,C/G] with the wrong KW -> enforce', () => {
    const xh = f32([1, 3, 3, 2], new Array(18).fill(1));
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2), order('NHWC')]), { x: xh, w: f32([2, 2, 3, 2], new Array(24).fill(1)) }), 'enforce', /filter dim 2 is 3/);
  });

  it('input and filter ranks differ (x 4-D, w 3-D) -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2)]), { x, w: f32([2, 2, 4], new Array(16).fill(1)) }), 'enforce', /same rank/);
  });

  it('bias of the wrong length (3 for M=2) and 2-D bias -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w', 'b'], ['y'], [i('kernel', 2)]), { x, w, b: f32([3], [1, 2, 3]) }), 'enforce', /one per output channel/);
    expectError(() => runOp(op('Conv', ['x', 'w', 'b'], ['y'], [i('kernel', 2)]), { x, w, b: f32([1, 2], [1, 2]) }), 'enforce', /bias must be 1-D/);
  });

  it('float64 input -> Tensor type mismatch (enforce)', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2)]), { x: tensor('float64', [1, 2, 3, 3], new Array(18).fill(1)), w }), 'enforce', /type mismatch.*float.*double/);
  });

  it('empty batch x=[0,2,3,3] -> invalid (Caffe2 divides by N·C)', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2)]), { x: f32([0, 2, 3, 3], []), w }), 'invalid', /N = 0/);
  });

  it('zero output channels w=[0,2,2,2] -> invalid', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2)]), { x, w: f32([0, 2, 2, 2], []) }), 'invalid', /M = 0/);
  });

  it('image smaller than the kernel (3x3 input, kernel 2, dilation 3) -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2), i('dilation', 3)]), { x, w }), 'enforce', /dilated kernel/);
  });

  it('no kernel on an unnamed op -> enforce at run (kernel_[0] > 0)', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], []), { x, w }), 'enforce', /kernel_\[0\] > 0/);
  });

  it('no kernel on an op named "Conv1" -> enforce at creation', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [], { name: 'Conv1' }), { x, w }), 'enforce', /kernel size must be given/);
  });

  it('unknown order "CHWN" -> enforce', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 2), order('CHWN')]), { x, w }), 'enforce', /Unknown Storage order/);
  });

  it('1 input, or in-place (x -> x) -> schema errors', () => {
    expectError(() => runOp(op('Conv', ['x'], ['y'], [i('kernel', 2)]), { x }), 'enforce', /schema/);
    expectError(() => runOp(op('Conv', ['x', 'w'], ['x'], [i('kernel', 2)]), { x, w }), 'enforce', /in-place/);
  });

  it('1-D convolution (kernels [3], x=[1,1,5]) -> unsupported', () => {
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], [ints('kernels', [3])]), { x: f32([1, 1, 5], [1, 2, 3, 4, 5]), w: f32([1, 1, 3], [1, 1, 1]) }), 'unsupported', /only 2-D/);
  });

  it('NHWC 3-D input with a 2-D kernel -> invalid', () => {
    // w=[2,1,2] passes the filter checks: dim 1 = kernel_h 1, dim 2 = kernel_w 2, and the last dim = C = 2.
    const args = [i('kernel_h', 1), i('kernel_w', 2), order('NHWC')];
    expectError(() => runOp(op('Conv', ['x', 'w'], ['y'], args), { x: f32([1, 3, 2], new Array(6).fill(1)), w: f32([2, 1, 2], [1, 1, 1, 1]) }), 'invalid', /4-D input/);
  });

  it('an Int8 tensor as input -> wrong blob type (enforce)', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(op('Int8GivenTensorFill', [], ['x'], [ints('shape', [1, 1, 1, 1]), { name: 'values', s: Uint8Array.of(1) }, { name: 'Y_scale', f: 1 }]));
    ws.FeedBlob('w', f32([1, 1, 1, 1], [1]));
    expectError(() => ws.RunOperatorOnce(op('Conv', ['x', 'w'], ['y'], [i('kernel', 1)])), 'enforce', /wrong type for the Blob/);
  });

  it('a failed run leaves the output blob empty', () => {
    const ws = new Workspace();
    expect(() => runOp(op('Conv', ['x', 'w'], ['y'], [i('kernel', 3)]), { x, w }, ws)).toThrow();
    expect(ws.FetchBlob('y')).toBe('y, a C++ native class of type nullptr (uninitialized).');
  });
});
