// Int8FC / Int8FCRelu (DNNLOWP) on hand-made nets: the requantization, a float X quantized with
// its own min/max, the multipliers chosen once on the first run, the packed bias, channelwise
// weights, axis, the AVX2 pair saturation and the refusals. Golden cases run in golden.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Workspace } from '../src/workspace.js';
import { DNNLOWP, expectError, f, f32 as fl, floatFill, i, int32Fill, int8Fill, net, op, runNet } from './helpers.js';

const f32 = Math.fround;

function fc(args: Argument[], type = 'Int8FC', inputs = ['X', 'W', 'B']): OperatorDef {
  return op(type, inputs, ['Y'], args, DNNLOWP);
}

const y = (ws: Workspace) => [...ws.FetchInt8Blob('Y').data];

// x = [10, 20] (0.5, zp 10), w = [130, 125] (0.25, zp 120 -> signed zp -8), bias -10:
// Σ (x - zp)(w - zp) = 0·10 + 10·5 = 50, + bias = 40; M = f32(0.125/2) = 0.0625 -> 2.5 -> 2; + 3 = 5.
const X = int8Fill('X', [1, 2], [10, 20], 0.5, 10);
const W = int8Fill('W', [1, 2], [130, 125], 0.25, 120);
const B = int32Fill('B', [1], [-10], 0.125, 0);
const Y23 = [f('Y_scale', 2), i('Y_zero_point', 3)];

describe('Int8FC (DNNLOWP)', () => {
  it('X [1,2] Int8, W [1,2] Int8, bias -10: acc 40 · 0.0625 = 2.5 -> 2 (half to even) + 3 = 5', () => {
    expect(y(runNet([X, W, B, fc(Y23)]))).toEqual([5]);
  });

  it('Int8FCRelu: output qparams (f32(504/255), 0), acc 40 -> 2.53 -> 3', () => {
    const ws = runNet([X, W, B, fc(Y23, 'Int8FCRelu')]);
    expect(y(ws)).toEqual([3]);
    expect(ws.FetchInt8Blob('Y').zero_point).toBe(0);
    expect(ws.FetchInt8Blob('Y').scale).toBe(f32(504 / 255));
  });

  it('a float X [0, 2] is quantized with its own qparams (f32(2/255), 0) -> [0, 255]; float W [1, 1] -> 127 (zp -128); y = 65025·M = 100', () => {
    // W range [0, 1]: s_w = f32(1/255), zp -128; w = rint(fma(1, 254.99998, -128)) = 127, w - zp = 255.
    // acc = 255·255 = 65025; M = f32(f32(f32(2/255)·f32(1/255)) / f32(0.02)) = 0.0015378700...: 100.0000 -> 100.
    const m = f32(f32(f32(2 / 255) * f32(1 / 255)) / f32(0.02));
    expect(Math.round(65025 * m)).toBe(100);
    const ws = runNet([floatFill('W', [1, 2], [1, 1]), floatFill('B', [1], [0]), fc([f('Y_scale', 0.02)])], 'vnni', { X: fl([1, 2], [0, 2]) });
    expect(y(ws)).toEqual([100]);
  });

  it('the multipliers are chosen on the first run: a second run with X [0, 4] (scale f32(4/255)) still uses the first scale -> 100; a fresh op gives 200', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [floatFill('W', [1, 2], [1, 1]), floatFill('B', [1], [0])]));
    ws.FeedBlob('X', fl([1, 2], [0, 2]));
    ws.CreateNet(net('main', [fc([f('Y_scale', 0.02)])]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([100]);
    ws.FeedBlob('X', fl([1, 2], [0, 4]));
    ws.RunNet('main');
    expect(y(ws)).toEqual([100]);
    ws.RunNetOnce(net('fresh', [fc([f('Y_scale', 0.02)])]));
    expect(y(ws)).toEqual([200]);
  });

  it('a bias packed by Int8FCPackWeight wins over input 2', () => {
    // packed bias 1.0 at in_scale 0.5 · w_scale f32(1/255): rint(1 / 0.00196) = 510. X Int8 [0, 0] zp 0, so acc = 510;
    // M = f32(f32(0.5·f32(1/255)) / 0.1) = 0.0196078 -> 10.0 -> 10. Input 2 (bias 7.0) is ignored.
    const ws = runNet([
      floatFill('Wf', [1, 2], [1, 1]),
      floatFill('Bp', [1], [1]),
      op('Int8FCPackWeight', ['Wf', 'Bp'], ['W'], [f('in_scale', 0.5)], DNNLOWP),
      floatFill('B', [1], [7]),
      int8Fill('X', [1, 2], [0, 0], 0.5, 0),
      fc([f('Y_scale', 0.1)]),
    ]);
    expect(y(ws)).toEqual([10]);
  });

  it('quantize_channelwise: per-row weight qparams; W [[1,1],[0,2]], X [1,1] (scale 1): both rows give 2 / 0.05 = 40', () => {
    // row 0: s = f32(1/255), w - zp = [255, 255], acc 510, M = f32(s/0.05) = 0.078431 -> 40.0
    // row 1: s = f32(2/255), w = [-128, 127], w - zp = [0, 255], acc 255, M = 0.156863 -> 40.0
    const ops = [floatFill('W', [2, 2], [1, 1, 0, 2]), floatFill('B', [2], [0, 0]), int8Fill('X', [1, 2], [1, 1], 1, 0)];
    expect(y(runNet([...ops, fc([f('Y_scale', 0.05), i('quantize_channelwise', 1)])]))).toEqual([40, 40]);
    // a channelwise-packed blob used by a per-tensor FC fails the qparams-count ENFORCE
    const packed = [floatFill('Wf', [2, 2], [1, 1, 0, 2]), op('Int8FCPackWeight', ['Wf'], ['W'], [i('quantize_channelwise', 1)], DNNLOWP)];
    expectError(() => runNet([...packed, ...ops.slice(1), fc([f('Y_scale', 0.05)])]), 'enforce', /filter_qparams_\.size\(\)/);
  });

  it('axis=2 on X [1,2,2]: 2 rows of K=2, Y [1,2,N]', () => {
    const ws = runNet([int8Fill('X', [1, 2, 2], [10, 20, 10, 20], 0.5, 10), int8Fill('W', [1, 2], [130, 125], 0.25, 120), B, fc([...Y23, i('axis', 2)])]);
    expect(y(ws)).toEqual([5, 5]);
    expect(ws.FetchInt8Blob('Y').dims).toEqual([1, 2, 1]);
  });

  it('K pairs saturate in int16 with isa avx2: x=[255,255], w=[127,127], M=2^-8: 253 exact, 128 on AVX2', () => {
    const ops = [int8Fill('X', [1, 2], [255, 255], 1, 0), int8Fill('W', [1, 2], [255, 255], 2 ** -8, 128), int32Fill('B', [1], [0], 2 ** -8, 0), fc([f('Y_scale', 1)])];
    expect(y(runNet(ops, 'vnni'))).toEqual([253]);
    expect(y(runNet(ops, 'avx2'))).toEqual([128]);
  });

  it('refusals: dequantize_output and dynamic output (unsupported), K mismatch (invalid), a conv packed blob (wrong type), Int8 bias scale (enforce)', () => {
    expectError(() => runNet([X, W, B, fc([...Y23, i('dequantize_output', 1)])]), 'unsupported', /dequantize_output/);
    expectError(() => runNet([X, W, B, fc([])]), 'unsupported', /Y_scale/);
    expectError(() => runNet([X, int8Fill('W', [1, 3], [1, 2, 3], 1, 0), B, fc(Y23)]), 'invalid', /K = 2/);
    const convPacked = [floatFill('Wf', [1, 1, 1, 2], [1, 1]), op('Int8ConvPackWeight', ['Wf'], ['W'], [i('kernel', 1)], DNNLOWP)];
    expectError(() => runNet([...convPacked, X, B, fc(Y23)]), 'enforce', /wrong type/);
    expectError(() => runNet([X, W, int32Fill('B', [1], [0], 0.2, 0), fc(Y23)]), 'enforce', /1e-4/);
    expectError(() => runNet([X, W, B, fc([...Y23, i('constant_weight', 0)])]), 'unsupported', /constant_weight/);
  });
});
