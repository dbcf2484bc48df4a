// Int8Conv / Int8ConvRelu (DNNLOWP) on hand-made nets: requantization rounding, the Relu
// rewrite, the vpmaddubsw pair saturation (depthwise always, GEMM only with isa 'avx2'), NCHW,
// first-run caching, the bias kept across runs, argument forms and every refusal.
// The golden dnnlowp-* cases run in golden.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { DNNLOWP, expectError, f, floatFill, i, int32Fill, int8Fill, ints, net, NHWC, op, runNet, s } from './helpers.js';

const f32 = Math.fround;
const NCHW = s('order', 'NCHW');

function conv(inputs: string[], args: Argument[], type = 'Int8Conv'): OperatorDef {
  return op(type, inputs, ['Y'], args, DNNLOWP);
}

function y(ws: Workspace): number[] {
  return [...ws.FetchInt8Blob('Y').data];
}

// The 1x1 hand example: x = [10, 20] (scale 0.5, zp 10) -> x - zp = [0, 10];
// w = [130, 125] (scale 0.25, zp 120) -> signed [2, -3], zp -8, w - zp = [10, 5];
// Σ (x - zp)(w - zp) = 50; bias -10 (scale 0.5·0.25 = 0.125) -> acc 40;
// M = f32(f32(0.5·0.25)/2) = 0.0625: 40·0.0625 = 2.5 -> rint 2 (QNNPACK's half-away rounding: 3); + 3 = 5.
const X1 = int8Fill('X', [1, 1, 1, 2], [10, 20], 0.5, 10);
const W1 = int8Fill('W', [1, 1, 1, 2], [130, 125], 0.25, 120);
const B1 = int32Fill('B', [1], [-10], 0.125, 0);
const Y23 = [f('Y_scale', 2), i('Y_zero_point', 3)];

describe('Int8Conv (DNNLOWP) arithmetic', () => {
  it('NHWC 1x1, C=2 M=1, Int8 W and bias: acc 40 · 0.0625 = 2.5 rounds half to even -> 2, + zp 3 = 5', () => {
    expect(y(runNet([X1, W1, B1, conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, ...Y23])]))).toEqual([5]);
  });

  it('same with bias -9: acc 41 · 0.0625 = 2.5625 -> 3, + 3 = 6; the output blob carries (2, 3)', () => {
    const ws = runNet([X1, W1, int32Fill('B', [1], [-9], 0.125, 0), conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, ...Y23])]);
    expect(y(ws)).toEqual([6]);
    const q = ws.FetchInt8Blob('Y');
    expect([q.scale, q.zero_point, q.dims]).toEqual([2, 3, [1, 1, 1, 1]]);
  });

  it('Int8ConvRelu with Y_scale 2, Y_zero_point 3: output qparams become (f32(504/255), 0); acc 40 · f32(0.125/1.976) = 2.53 -> 3', () => {
    // Max() = f32(2 · (255 - 3)) = 504 -> ChooseQuantizationParams(0, 504) = (f32(504/255), 0)
    const ws = runNet([X1, W1, B1, conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, ...Y23], 'Int8ConvRelu')]);
    const scale = f32(504 / 255);
    const q = ws.FetchInt8Blob('Y');
    expect([q.scale, q.zero_point]).toEqual([scale, 0]);
    expect(f32(40 * f32(f32(0.125) / scale))).toBeCloseTo(2.53, 2);
    expect(y(ws)).toEqual([3]);
  });

  it('Int8ConvRelu: a negative accumulator clamps at the new zero point 0 (bias -100: acc -50 -> 0)', () => {
    const ws = runNet([X1, W1, int32Fill('B', [1], [-100], 0.125, 0), conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, ...Y23], 'Int8ConvRelu')]);
    expect(y(ws)).toEqual([0]);
  });

  it('NCHW (the default order), X [1,2,1,2], 1x1: pixels [10,20] -> 5 and [12,18] -> acc 50 -> 3.125 -> 3 -> 6', () => {
    // pixel 1: x - zp = [2, 8]; 2·10 + 8·5 = 60; - 10 = 50; ·0.0625 = 3.125 -> 3; + 3 = 6
    const ws = runNet([
      int8Fill('X', [1, 2, 1, 2], [10, 12, 20, 18], 0.5, 10),
      int8Fill('W', [1, 2, 1, 1], [130, 125], 0.25, 120),
      B1,
      conv(['X', 'W', 'B'], [i('kernel', 1), ...Y23]),
    ]);
    expect(y(ws)).toEqual([5, 6]);
    expect(ws.FetchInt8Blob('Y').dims).toEqual([1, 1, 1, 2]);
  });

  it('kernel_h/kernel_w, pads list and float weights quantized on the first run: 1x2 kernel over [1,1,2,1]', () => {
    // float W [1,1,2,1] = [0.5, 1]: range [0, 1], scale f32(1/255), signed zp -128; 1/scale = 254.99998:
    // w = rint(fma([0.5, 1], 254.99998, -128)) = [-1, 127]; w - zp = [127, 255].
    // X [1,1,2,1] = [4, 6] (scale 1, zp 2): x - zp = [2, 4]: 2·127 + 4·255 = 1274 (no bias).
    // M = f32(f32(1·scale)/y_scale); with y_scale = f32(1/255): M = 1 -> 1274 -> clamps to 255; use y_scale 8/255:
    // M = f32(f32(1/255)/f32(8/255)) = 0.125 (to float) -> 159.25 -> 159.
    const ws = runNet([
      int8Fill('X', [1, 1, 2, 1], [4, 6], 1, 2),
      floatFill('W', [1, 1, 2, 1], [0.5, 1]),
      conv(['X', 'W'], [i('kernel_h', 1), i('kernel_w', 2), ints('pads', [0, 0, 0, 0]), NHWC, f('Y_scale', 8 / 255)]),
    ]);
    expect(f32(f32(1 / 255) / f32(8 / 255))).toBe(0.125);
    expect(y(ws)).toEqual([159]);
  });
});

describe('padding with an out-of-range input zero point', () => {
  it('x zp 261: padded taps read the byte 261 & 255 = 5 while the folded offset uses 261 (3x3 pad 1 on a 1x1 input)', () => {
    // w = uint8 129, zp 128 -> 1 (zp 0), column offset 9, w scale 2^-4; x = [5] (scale 1, zp 261).
    // All 9 taps read 5 (1 real, 8 padded): Σ x·w = 45; no bias, so one is made: -261·9 = -2349.
    // raw = 45 - 2349 = -2304; ·2^-4 = -144; + 200 = 56. (With padding read as 261 it would be 184.)
    const ops = [
      int8Fill('X', [1, 1, 1, 1], [5], 1, 261),
      int8Fill('W', [1, 3, 3, 1], Array(9).fill(129), 2 ** -4, 128),
      conv(['X', 'W'], [i('kernel', 3), i('pad', 1), NHWC, f('Y_scale', 1), i('Y_zero_point', 200)]),
    ];
    expect(y(runNet(ops))).toEqual([56]);
  });
});

describe('vpmaddubsw pair saturation', () => {
  // Depthwise 3x3, G = C = M = 8, one pixel, every tap (the real one and the 8 padded ones, which
  // read the zero point) is x = 255; every weight is uint8 255 with zp 128 -> signed 127, zp 0;
  // w scale 2^-10, x scale 1, y scale 1 -> M = 2^-10, y zp 130.
  // Exact: Σ (x - 255)·w = 0 -> 130.
  // FBGEMM: pairs (0,1)..(6,7) give sat16(2·255·127 = 64770) = 32767 each, tap 8 gives 32385:
  //   Σ = 4·32767 + 32385 = 163453; the folded bias -255·colsum(9·127 = 1143) = -291465;
  //   raw = -128012; ·2^-10 = -125.0117 -> -125; + 130 = 5.
  const depthwise = [
    int8Fill('X', [1, 1, 1, 8], Array(8).fill(255), 1, 255),
    int8Fill('W', [8, 3, 3, 1], Array(72).fill(255), 2 ** -10, 128),
    conv(['X', 'W'], [i('kernel', 3), i('pad', 1), i('group', 8), NHWC, f('Y_scale', 1), i('Y_zero_point', 130)]),
  ];
  it('depthwise 3x3 (G=C=M=8, 1x1 input, all taps 255, all weights 127): 5 instead of the exact 130, on every ISA', () => {
    expect(y(runNet(depthwise, 'vnni'))).toEqual(Array(8).fill(5));
    expect(y(runNet(depthwise, 'avx2'))).toEqual(Array(8).fill(5));
  });

  // GEMM 1x1, C = 2, M = 1: x = [255, 255] (zp 0), w = [127, 127] (zp 0), M = 2^-8.
  // Exact (VNNI): 64770 · 2^-8 = 253.0078 -> 253. AVX2: sat16(64770) = 32767 -> 127.996 -> 128.
  const gemm = [
    int8Fill('X', [1, 1, 1, 2], [255, 255], 1, 0),
    int8Fill('W', [1, 1, 1, 2], [255, 255], 2 ** -8, 128),
    conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 1)]),
  ];
  it('GEMM 1x1 (C=2, x=[255,255], w=[127,127]): exact 253 with isa vnni, saturated 128 with isa avx2', () => {
    expect(y(runNet(gemm, 'vnni'))).toEqual([253]);
    expect(y(runNet(gemm, 'avx2'))).toEqual([128]);
  });

  it('NCHW is the exact reference path whatever the ISA: 253', () => {
    const nchw = [
      int8Fill('X', [1, 2, 1, 1], [255, 255], 1, 0),
      int8Fill('W', [1, 2, 1, 1], [255, 255], 2 ** -8, 128),
      conv(['X', 'W'], [i('kernel', 1), f('Y_scale', 1)]),
    ];
    expect(y(runNet(nchw, 'avx2'))).toEqual([253]);
  });
});

describe('state across runs', () => {
  it('float weights are quantized on the first run and kept: changing W afterwards does not change Y', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int8Fill('X', [1, 1, 1, 2], [10, 20], 0.5, 10), floatFill('W', [1, 1, 1, 2], [0.5, 1])]));
    // x - zp = [0, 10]; W [0.5, 1] -> about 10·1 = 10 / 0.2 = 50; W [-3, 7] would give about 350 -> 255
    ws.CreateNet(net('main', [conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 0.2)])]));
    ws.RunNet('main');
    const first = y(ws);
    ws.RunNetOnce(net('init2', [floatFill('W', [1, 1, 1, 2], [-3, 7])]));
    ws.RunNet('main');
    expect(y(ws)).toEqual(first);
    // a fresh op does see the new weights
    ws.RunNetOnce(net('fresh', [conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 0.2)])]));
    expect(y(ws)).not.toEqual(first);
  });

  it('an Int8 bias is re-derived when the input zero point changes, and (as upstream) the column-offset fold is then lost', () => {
    // x = [20], w = uint8 138 zp 128 -> signed 10, zp 0, column offset 10; bias 0 (scale 1·1); M = 1.
    // run 1, x zp 5: the fold makes the bias -5·10 = -50: 20·10 - 50 = 150.
    // run 2, x zp 7: b_quantized_data_ points at the Int8 bias again while the op edits its own
    // copy (already non-empty), so no fold is applied: 20·10 + 0 = 200 (exact would be 130).
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int8Fill('X', [1, 1, 1, 1], [20], 1, 5), int8Fill('W', [1, 1, 1, 1], [138], 1, 128), int32Fill('B', [1], [0], 1, 0)]));
    ws.CreateNet(net('main', [conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, f('Y_scale', 1)])]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([150]);
    ws.RunNetOnce(net('x2', [int8Fill('X', [1, 1, 1, 1], [20], 1, 7)]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([200]);
  });

  it('a float bias is re-quantized when the input scale changes: bias 1.0 at x scale 0.5 then 0.25 (w scale 1)', () => {
    // x = [0] zp 0, w = 1 (uint8 129, zp 128): acc = bias only. Y_scale 1.
    // run 1: b = rint(1/0.5) = 2, M = 0.5 -> 1. run 2: b = rint(1/0.25) = 4, M = 0.25 -> 1.
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int8Fill('X', [1, 1, 1, 1], [0], 0.5, 0), int8Fill('W', [1, 1, 1, 1], [129], 1, 128), floatFill('B', [1], [1])]));
    ws.CreateNet(net('main', [conv(['X', 'W', 'B'], [i('kernel', 1), NHWC, f('Y_scale', 1)])]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([1]);
    ws.RunNetOnce(net('x2', [int8Fill('X', [1, 1, 1, 1], [0], 0.25, 0)]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([1]);
  });
});

describe('refusals', () => {
  const packedGconv = [floatFill('W', [8, 3, 3, 8], Array(576).fill(0.1)), op('Int8ConvPackWeight', ['W'], ['P'], [i('kernel', 3), i('pad', 1), NHWC], DNNLOWP)];
  const x8 = int8Fill('X', [1, 4, 4, 8], Array(128).fill(100), 0.1, 100);

  it('a float X: Tensor type mismatch naming unsigned char (enforce)', () => {
    const e = expectError(
      () => runNet([...packedGconv, conv(['X', 'P'], [i('kernel', 3), i('pad', 1), NHWC, f('Y_scale', 1)])], 'vnni', { X: new Tensor('float32', [1, 4, 4, 8], new Float32Array(128)) }),
      'enforce',
      /caller expects elements to be unsigned char, while tensor contains float/,
    );
    expect(e.message).toContain('Int8Conv');
  });

  it('no Y_scale (dynamic output quantization from an fp32 conv) is unsupported', () => {
    expectError(() => runNet([X1, W1, conv(['X', 'W'], [i('kernel', 1), NHWC])]), 'unsupported', /BLAS summation order/);
  });

  it('dequantize_output=1 fails its ENFORCE', () => {
    expectError(() => runNet([X1, W1, conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 1), i('dequantize_output', 1)])]), 'enforce', /dequantize_output/);
  });

  it('pre-packed weights with order NCHW fail the ENFORCE', () => {
    const ops = [floatFill('W', [1, 1, 1, 1], [1]), op('Int8ConvPackWeight', ['W'], ['P'], [i('kernel', 1)], DNNLOWP), int8Fill('X', [1, 1, 1, 1], [1], 1, 0)];
    expectError(() => runNet([...ops, conv(['X', 'P'], [i('kernel', 1), f('Y_scale', 1)])]), 'enforce', /Pre-packed weight only works with NHWC layout/);
  });

  it('depthwise 3x3 with a channel multiplier (G = C = 8, M = 16) is refused as broken in Caffe2 (invalid)', () => {
    const ops = [x8, floatFill('W', [16, 3, 3, 1], Array(144).fill(0.1)), conv(['X', 'W'], [i('kernel', 3), i('pad', 1), i('group', 8), NHWC, f('Y_scale', 1)])];
    expectError(() => runNet(ops), 'invalid', /channel multiplier/);
  });

  it('quantize_groupwise on the conv but not on the pack op (invalid: past the end of the qparams)', () => {
    const ops = [
      floatFill('W', [8, 3, 3, 2], Array(144).fill(0.1)),
      op('Int8ConvPackWeight', ['W'], ['P'], [i('kernel', 3), i('pad', 1), i('group', 4), NHWC], DNNLOWP),
      x8,
      conv(['X', 'P'], [i('kernel', 3), i('pad', 1), i('group', 4), i('quantize_groupwise', 1), NHWC, f('Y_scale', 1)]),
    ];
    expectError(() => runNet(ops), 'invalid', /quantize_groupwise/);
  });

  it('quantize_groupwise with unpacked Int8 weights (invalid)', () => {
    const ops = [x8, int8Fill('W', [8, 1, 1, 4], Array(32).fill(1), 1, 0), conv(['X', 'W'], [i('kernel', 1), i('group', 2), i('quantize_groupwise', 1), NHWC, f('Y_scale', 1)])];
    expectError(() => runNet(ops), 'invalid', /broken in Caffe2/);
  });

  it('dilation 2 on an 8->8 3x3 pad-1 conv, which takes the groupwise path that ignores dilation (invalid)', () => {
    const ops = [x8, floatFill('W', [8, 3, 3, 8], Array(576).fill(0.1)), conv(['X', 'W'], [i('kernel', 3), i('pad', 1), i('dilation', 2), NHWC, f('Y_scale', 1)])];
    expectError(() => runNet(ops), 'invalid', /dilation/);
  });

  it('packed form mismatch: groupwise-packed weights used with pad 0 (GEMM path) is invalid; GEMM-packed with pad 1 fails the W_gconv ENFORCE', () => {
    expectError(() => runNet([...packedGconv, x8, conv(['X', 'P'], [i('kernel', 3), i('pad', 0), NHWC, f('Y_scale', 1)])]), 'invalid', /groupwise/);
    const packedGemm = [floatFill('W', [8, 3, 3, 8], Array(576).fill(0.1)), op('Int8ConvPackWeight', ['W'], ['P'], [i('kernel', 3), i('pad', 0), NHWC], DNNLOWP)];
    expectError(() => runNet([...packedGemm, x8, conv(['X', 'P'], [i('kernel', 3), i('pad', 1), NHWC, f('Y_scale', 1)])]), 'enforce', /W_gconv/);
  });

  it('legacy_pad SAME turning a 3x3 G=C=M=8 conv into the depthwise path after the path was chosen (invalid)', () => {
    const ops = [x8, floatFill('W', [8, 3, 3, 1], Array(72).fill(0.1)), conv(['X', 'W'], [i('kernel', 3), i('legacy_pad', 2), i('group', 8), NHWC, f('Y_scale', 1)])];
    expectError(() => runNet(ops), 'invalid', /legacy_pad/);
  });

  it('histogram weight_quantization_kind, 16-bit precision, 3-D kernels: unsupported', () => {
    expectError(() => runNet([X1, floatFill('W', [1, 1, 1, 2], [1, 2]), conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 1), s('weight_quantization_kind', 'l2')])]), 'unsupported', /l2/);
    expectError(() => runNet([X1, W1, conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 1), i('weight_precision', 16)])]), 'unsupported', /8-bit/);
    expectError(() => runNet([X1, W1, conv(['X', 'W'], [ints('kernels', [1, 1, 1]), NHWC, f('Y_scale', 1)])]), 'unsupported', /3-D/);
  });

  it('channel mismatch and a wrong kernel size fail their ENFORCEs', () => {
    expectError(() => runNet([X1, int8Fill('W', [1, 1, 1, 3], [1, 2, 3], 1, 0), conv(['X', 'W'], [i('kernel', 1), NHWC, f('Y_scale', 1)])]), 'enforce', /input channels does not match/);
    expectError(() => runNet([X1, W1, conv(['X', 'W'], [i('kernel', 2), NHWC, f('Y_scale', 1)])]), 'enforce', /kernel_\[0\]/);
  });
});
