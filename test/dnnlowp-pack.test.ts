// Int8ConvPackWeight / Int8FCPackWeight (DNNLOWP): weight qparams and values, column offsets,
// bias quantization, the packed form chosen, the FC pack's second output and the refusals.
// Hand arithmetic in comments; the golden cases' packed_weight_qparams_signed notes are checked in
// dnnlowp-inspect.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Int8ConvDNNLowPPackedWeightBlob, Int8FCDNNLowPPackedWeightBlob } from '../ops/dnnlowp-pack.js';
import { Workspace } from '../src/workspace.js';
import { DNNLOWP, expectError, f, floatFill, i, int32Fill, int8Fill, NHWC, op, runNet } from './helpers.js';

const f32 = Math.fround;

function convPack(inputs: string[], args: Argument[]): OperatorDef {
  return op('Int8ConvPackWeight', inputs, ['P'], args, DNNLOWP);
}

/** Runs the ops once as net 'init'. */
function run(ops: OperatorDef[], isa: 'vnni' | 'avx2' = 'vnni'): Workspace {
  return runNet(ops, isa, {}, 'init');
}

function convBlob(ws: Workspace): Int8ConvDNNLowPPackedWeightBlob {
  const b = ws.getBlob('P');
  expect(b).toBeInstanceOf(Int8ConvDNNLowPPackedWeightBlob);
  return b as Int8ConvDNNLowPPackedWeightBlob;
}

const k1 = [i('kernel', 1), NHWC];

describe('Int8ConvPackWeight (DNNLOWP)', () => {
  it('seed weights 0.01, W [2,1,1,3]: scale floored at 6.1e-5, signed zp -128, every weight 36, column offsets 492', () => {
    // range [0, 0.01]: 0.01/255 = 3.9e-5 < 6.1e-5 -> scale 6.1e-5, zp 0 (unsigned) -> -128 signed.
    // w = rint(fma(0.01, 1/6.1e-5 = 16393.44, -128)) = rint(35.93) = 36.
    // column offset = Σw - zp·K = 3·36 - (-128)·3 = 492.
    const ws = run([floatFill('W', [2, 1, 1, 3], Array(6).fill(0.01)), convPack(['W'], k1)]);
    const p = convBlob(ws);
    expect(p.typeName).toBe('Int8ConvDNNLowPPackedWeightBlob');
    expect(p.qparams).toEqual([{ scale: f32(6.1e-5), zeroPoint: -128 }]);
    expect([...p.weights]).toEqual(Array(6).fill(36));
    expect([...p.columnOffsets]).toEqual([492, 492]);
    expect(p.bias).toBeNull();
    expect(p.form).toBe('gemm');
    expect(p.dims).toEqual([2, 1, 1, 3]);
  });

  it('Int8 weights [0,128,255,100] (scale 0.5, zp 130): w - 128 = [-128,0,127,-28], zp 2, column offset -29 - 2·4 = -37', () => {
    const ws = run([int8Fill('W', [1, 1, 1, 4], [0, 128, 255, 100], 0.5, 130), convPack(['W'], k1)]);
    const p = convBlob(ws);
    expect(p.qparams).toEqual([{ scale: 0.5, zeroPoint: 2 }]);
    expect([...p.weights]).toEqual([-128, 0, 127, -28]);
    expect([...p.columnOffsets]).toEqual([-37]);
  });

  it('quantize_groupwise, group 2, W [2,1,1,2] = [[-1,1],[0.5,1]]: group 0 (f32(2/255), -1), group 1 (f32(1/255), -128)', () => {
    // group 0: range [-1, 1], s0 = f32(2/255); zero point from min: 0 + 1/s0 = 127.4999925 -> 127 -> -1.
    //   1/s0 in float = 127.49999237: fma(-1, ., -1) = -128.49999 -> -128; fma(1, ., -1) = 126.49999 -> 126.
    // group 1: range [0, 1], s1 = f32(1/255), zero point 0 -> -128; 1/s1 in float = 254.99998474:
    //   fma(0.5, ., -128) = -0.50000763 -> -1; fma(1, ., -128) = 126.99998 -> 127.
    const ws = run([floatFill('W2', [2, 1, 1, 2], [-1, 1, 0.5, 1]), convPack(['W2'], [...k1, i('group', 2), i('quantize_groupwise', 1)])]);
    const p = convBlob(ws);
    expect(p.qparams).toEqual([
      { scale: f32(2 / 255), zeroPoint: -1 },
      { scale: f32(1 / 255), zeroPoint: -128 },
    ]);
    expect([...p.weights]).toEqual([-128, 126, -1, 127]);
    // column offsets: -2 - (-1)·2 = 0; 126 - (-128)·2 = 382
    expect([...p.columnOffsets]).toEqual([0, 382]);
  });

  it('preserve_weight_sparsity=1, W [-1, 0.5]: symmetric scale 1/128, signed zp 0, weights [-128, 64]', () => {
    const ws = run([floatFill('W', [1, 1, 1, 2], [-1, 0.5]), convPack(['W'], [...k1, i('preserve_weight_sparsity', 1)])]);
    const p = convBlob(ws);
    expect(p.qparams).toEqual([{ scale: 2 ** -7, zeroPoint: 0 }]);
    expect([...p.weights]).toEqual([-128, 64]);
  });

  it('float bias [0.3, -0.3] with in_scale 0.5 and the seed weights: scale f32(0.5·6.1e-5), b = rint(±9836.07) = ±9836', () => {
    // f32(0.5 · 6.1e-5f) = 3.05e-5; 1/that = 32786.9; 0.3 · 32786.9 = 9836.07 -> 9836.
    const ws = run([floatFill('W', [2, 1, 1, 3], Array(6).fill(0.01)), floatFill('b', [2], [0.3, -0.3]), convPack(['W', 'b'], [...k1, f('in_scale', 0.5)])]);
    const p = convBlob(ws);
    const scale = f32(f32(0.5) * f32(6.1e-5));
    expect(Math.round(f32(f32(0.3) * f32(1 / scale)))).toBe(9836);
    expect([...p.bias!]).toEqual([9836, -9836]);
    expect(p.inScale).toBe(0.5);
  });

  it('a bias without a float in_scale argument fails the ENFORCE (also in_scale given as an int)', () => {
    const base = [floatFill('W', [1, 1, 1, 2], [1, 2]), floatFill('b', [1], [0.5])];
    const e = expectError(() => run([...base, convPack(['W', 'b'], k1)]), 'enforce', /in_scale/);
    expect(e.message).toContain('Int8ConvPackWeight');
    expectError(() => run([...base, convPack(['W', 'b'], [...k1, i('in_scale', 1)])]), 'enforce', /in_scale/);
  });

  it('Int8 bias: used as is when its scale is in_scale·w_scale within 1e-4 and its zp 0; refused otherwise', () => {
    // weights scale 0.5, in_scale 0.25 -> bias scale must be 0.125 (± 1e-4)
    const w = int8Fill('W', [1, 1, 1, 2], [130, 120], 0.5, 128);
    let ws = run([w, int32Fill('b', [1], [77], 0.12505, 0), convPack(['W', 'b'], [...k1, f('in_scale', 0.25)])]);
    expect([...convBlob(ws).bias!]).toEqual([77]);
    expectError(() => run([w, int32Fill('b', [1], [77], 0.126, 0), convPack(['W', 'b'], [...k1, f('in_scale', 0.25)])]), 'enforce', /1e-4/);
    expectError(() => run([w, int32Fill('b', [1], [77], 0.125, 1), convPack(['W', 'b'], [...k1, f('in_scale', 0.25)])]), 'enforce', /zero_point == 0/);
    ws = run([w, convPack(['W'], k1)]);
    expect(convBlob(ws).bias).toBeNull();
  });

  it('quantize_groupwise with Int8 weights is refused (Caffe2 leaves the other groups\' qparams zero): invalid', () => {
    expectError(
      () => run([int8Fill('W', [2, 1, 1, 1], [1, 2], 0.5, 0), convPack(['W'], [...k1, i('group', 2), i('quantize_groupwise', 1)])]),
      'invalid',
      /broken in Caffe2/,
    );
  });

  it('packed forms: depthwise 3x3 (G=M=8, C/G=1, pad 1), groupwise (G=1, 8->8, 3x3 pad 1), GEMM (1x1; or 3x3 with pad 0)', () => {
    const dw = run([floatFill('W', [8, 3, 3, 1], Array(72).fill(0.1)), convPack(['W'], [i('kernel', 3), i('pad', 1), i('group', 8), NHWC])]);
    expect(convBlob(dw).form).toBe('depthwise3x3');
    const gc = run([floatFill('W', [8, 3, 3, 8], Array(576).fill(0.1)), convPack(['W'], [i('kernel', 3), i('pad', 1), NHWC])]);
    expect(convBlob(gc).form).toBe('gconv');
    const gm = run([floatFill('W', [8, 3, 3, 8], Array(576).fill(0.1)), convPack(['W'], [i('kernel', 3), i('pad', 0), NHWC])]);
    expect(convBlob(gm).form).toBe('gemm');
  });

  it('groupwise G_together depends on the CPU: G=4, 2->2 channels per group is gconv on AVX2 (32/2/4 = 4 <= 4) but GEMM on AVX512 (64/2/4 = 8 > 4)', () => {
    const ops = [floatFill('W', [8, 3, 3, 2], Array(144).fill(0.1)), convPack(['W'], [i('kernel', 3), i('pad', 1), i('group', 4), NHWC])];
    expect(convBlob(run(ops, 'avx2')).form).toBe('gconv');
    expect(convBlob(run(ops, 'vnni')).form).toBe('gemm');
  });

  it('without an engine Int8ConvPackWeight cannot be created (as in Caffe2)', () => {
    expectError(() => run([floatFill('W', [1, 1, 1, 1], [1]), op('Int8ConvPackWeight', ['W'], ['P'], k1)]), 'unsupported', /Cannot create operator/);
  });
});

describe('Int8FCPackWeight (DNNLOWP)', () => {
  it('quantize_channelwise, W [2,2] = [[-1,1],[0,1]]: one qparams per row, like the conv groups', () => {
    const ws = run([floatFill('W', [2, 2], [-1, 1, 0, 1]), op('Int8FCPackWeight', ['W'], ['P'], [i('quantize_channelwise', 1)], DNNLOWP)]);
    const p = ws.getBlob('P') as Int8FCDNNLowPPackedWeightBlob;
    expect(p.typeName).toBe('Int8FCDNNLowPPackedWeightBlob');
    expect(p.qparams).toEqual([
      { scale: f32(2 / 255), zeroPoint: -1 },
      { scale: f32(1 / 255), zeroPoint: -128 },
    ]);
    expect([...p.weights]).toEqual([-128, 126, -128, 127]); // row 1: fma(0, ., -128) = -128
  });

  it('second output B_q: the int32 bias with scale f32(in_scale · w_scale) and zp 0; refused for channelwise weights', () => {
    // W [1,2] = [0, 2]: range [0, 2], scale f32(2/255); bias 0.5 at scale f32(0.25·2/255) = 0.00196: 0.5 · 510.00001 -> 255
    const ops = [floatFill('W', [1, 2], [0, 2]), floatFill('b', [1], [0.5])];
    const ws = run([...ops, op('Int8FCPackWeight', ['W', 'b'], ['P', 'Bq'], [f('in_scale', 0.25)], DNNLOWP)]);
    const bq = ws.FetchInt8Blob('Bq');
    expect([...bq.data, bq.scale, bq.zero_point]).toEqual([255, f32(0.25 * f32(2 / 255)), 0]);
    const two = [floatFill('W', [2, 2], [0, 2, 1, 1]), floatFill('b', [2], [0.5, 0.5])];
    expectError(() => run([...two, op('Int8FCPackWeight', ['W', 'b'], ['P', 'Bq'], [f('in_scale', 0.25), i('quantize_channelwise', 1)], DNNLOWP)]), 'enforce', /channelwise/);
    expectError(() => run([...ops, op('Int8FCPackWeight', ['W'], ['P', 'Bq'], [], DNNLOWP)]), 'enforce', /Bias is not quantized/);
  });

  it('axis_w=2 on W [2,1,3]: N = 2, K = 3', () => {
    const ws = run([floatFill('W', [2, 1, 3], [1, 2, 3, 4, 5, 6]), op('Int8FCPackWeight', ['W'], ['P'], [i('axis_w', 2), i('quantize_channelwise', 1)], DNNLOWP)]);
    expect((ws.getBlob('P') as Int8FCDNNLowPPackedWeightBlob).qparams).toHaveLength(2);
  });
});
