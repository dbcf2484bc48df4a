// compare (library): float shadows, error and saturation numbers and findings on small nets built
// with ModelHelper, whose expected values are worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { ModelHelper, type NetBuilder } from '../src/builder.js';
import { compareNet, formatCompareReport, type CompareReport } from '../src/compare/index.js';
import { Tensor } from '../src/tensor.js';

const f32 = Math.fround;

interface FcSpec {
  name: string;
  x: number[];
  xDims: number[];
  xScale?: number;
  xZp?: number;
  wDims: [number, number];
  wBytes: number[];
  wScale: number;
  wZp: number;
  bias: number[];
  bScale: number;
  bZp?: number;
  yScale: number;
  yZp: number;
  engines?: { quantize?: string; fc?: string; dequantize?: string };
  dequantizeArgs?: Record<string, number>;
}

/** x -> Int8Quantize -> Int8FC(fc_w, fc_b) -> Int8Dequantize -> y */
function fcModel(s: FcSpec): { model: ModelHelper; inputs: Record<string, Tensor> } {
  const m = new ModelHelper(s.name);
  m.param_init_net.Int8GivenTensorFill([], 'fc_w', { shape: s.wDims, values: Uint8Array.from(s.wBytes), Y_scale: s.wScale, Y_zero_point: s.wZp });
  m.param_init_net.Int8GivenIntTensorFill([], 'fc_b', { shape: [s.wDims[0]], values: Int32Array.from(s.bias), Y_scale: s.bScale, Y_zero_point: s.bZp ?? 0 });
  m.net.Int8Quantize('x', 'x_q', { Y_scale: s.xScale ?? 0.5, Y_zero_point: s.xZp ?? 128 }, { engine: s.engines?.quantize });
  m.net.Int8FC(['x_q', 'fc_w', 'fc_b'], 'y_q', { Y_scale: s.yScale, Y_zero_point: s.yZp }, { engine: s.engines?.fc });
  m.net.Int8Dequantize('y_q', 'y', s.dequantizeArgs ?? {}, { engine: s.engines?.dequantize });
  return { model: m, inputs: { x: new Tensor('float32', s.xDims, Float32Array.from(s.x)) } };
}

function run(model: ModelHelper, inputs: Record<string, Tensor>, engines: string[] = ['default'], extra: Partial<Parameters<typeof compareNet>[0]> = {}): CompareReport {
  return compareNet({ init: model.param_init_net.Proto(), net: model.net.Proto(), inputs, engines, ...extra });
}

function findings(r: CompareReport, code: string) {
  return r.findings.filter((f) => f.code === code);
}

describe('compare: bias blob at scale 1.0 (FC x=[1,4] W=[2,4] b=[8,-3])', () => {
  // x = [1, 2, -1, 0.5] at scale 0.5, zp 128 -> codes [130, 132, 126, 129], exact.
  // W ints [[1,2,3,4], [-1,-1,1,1]] stored +128 with zp 128, scale 0.25.
  // Bias [8, -3] in a blob with scale 1.0 (the mistake); Caffe2 reads it at 0.5 * 0.25 = 0.125.
  // acc0 = 8 + (2*1 + 4*2 - 2*3 + 1*4) = 16, * requant 0.5 = 8 -> code 100 + 8 = 108 -> 2.0
  // acc1 = -3 + (-2 - 4 - 2 + 1) = -10, * 0.5 = -5 -> 95 -> -1.25
  // Float shadow (bias * 0.125): y0 = 0.25 + 1 - 0.75 + 0.5 + 1 = 2.0, y1 = -0.875 - 0.375 = -1.25: no error.
  // Bias at its own scale: y0 = 1 + 8 = 9, y1 = -0.875 - 3 = -3.875; shift 7 / 0.25 = 28 LSB.
  const { model, inputs } = fcModel({
    name: 'bias_scale',
    x: [1, 2, -1, 0.5],
    xDims: [1, 4],
    wDims: [2, 4],
    wBytes: [129, 130, 131, 132, 127, 127, 129, 129],
    wScale: 0.25,
    wZp: 128,
    bias: [8, -3],
    bScale: 1.0,
    yScale: 0.25,
    yZp: 100,
    dequantizeArgs: { Y_scale: 0.25, Y_zero_point: 100 },
  });
  const r = run(model, inputs, ['default', 'DNNLOWP']);
  const fc = r.ops[1]!;

  it('measures the FC against its float shadow: exact here', () => {
    expect(fc.type).toBe('Int8FC');
    expect(fc.requantScale).toBe(0.5);
    expect(fc.shadow?.error.maxAbs).toBe(0);
    expect(fc.shadow?.offIdeal).toBe(0);
    expect(fc.shadow?.range).toEqual({ min: -1.25, max: 2 });
    expect(fc.output?.range).toEqual({ min: -1.25, max: 2 });
    expect(fc.shadow?.error.cosine).toBeCloseTo(1, 12);
  });

  it('reads the bias at its own scale as the second shadow: 28 LSB away', () => {
    const own = fc.shadow?.biasAtOwnScale;
    expect(own && !own.identical && own.maxShiftLsb).toBe(28);
    expect(own && !own.identical && own.range).toEqual({ min: -3.875, max: 9 });
  });

  it('names the problem: bias scale ignored, what to store instead', () => {
    const [b] = findings(r, 'bias-scale');
    expect(b).toMatchObject({ severity: 'error', opIndex: 1, opType: 'Int8FC', blob: 'fc_b' });
    expect(b!.message).toContain('scale 1 and zero point 0');
    expect(b!.message).toContain('0.125');
    expect(b!.message).toContain('28 output LSBs');
    expect(b!.fix).toContain("Y_scale = 0.125");
    // b_new = round(b * 1 / 0.125) = b * 8
    expect(b!.fix).toContain('× 8');
  });

  it('DNNLOWP refuses the bias blob; with its scale corrected it gives the same bytes', () => {
    const e = fc.engines.find((x) => x.engine === 'DNNLOWP')!;
    expect(e.status).toBe('ok');
    expect(e.adjustedBias).toBe(true);
    // acc * 0.5 = 8 and -5 exactly: no rounding, so both engines agree.
    expect(e.changed).toBe(0);
  });

  it('Int8Dequantize arguments equal to the input qparams are still noted as ignored (info)', () => {
    const [d] = findings(r, 'dequantize-args');
    expect(d).toMatchObject({ severity: 'info', opIndex: 2 });
    expect(d!.message).toContain('ignores');
  });

  it('JSON round trip keeps the report', () => {
    const back = JSON.parse(JSON.stringify(r)) as CompareReport;
    expect(back).toEqual(JSON.parse(JSON.stringify(back)));
    expect(back.ops[1]!.shadow!.error.maxAbs).toBe(0);
    expect(back.findings.map((f) => f.code)).toContain('bias-scale');
    expect(back.version).toBe(1);
  });

  it('terminal table has a row per op and the findings', () => {
    const text = formatCompareReport(r);
    expect(text).toMatch(/^1\s+Int8FC\s+-\s+y_q\s+0\.25 \/ 100\s+0\.5\s/m);
    expect(text).toContain('[error] Int8FC #1 (y_q): the bias blob fc_b');
  });
});

describe('compare: signed int8 weights stored without the +128 shift', () => {
  // Signed weights w = [1,-1,2,-2,3,-3,0,1 | -1,2,-2,1,-1,0,2,-2] stored as the raw two's-complement
  // byte (w & 255) with zero point 0: -1 -> 255, -2 -> 254, -3 -> 253.
  // 7 of 16 bytes are >= 253 (share 7/16), 9 are in 0..3 (share 9/16); read as int8 they span -3..3.
  const w = [1, -1, 2, -2, 3, -3, 0, 1, -1, 2, -2, 1, -1, 0, 2, -2];
  const { model, inputs } = fcModel({
    name: 'signed_w',
    x: [0.5, 1, -0.5, 0, 1, 0.5, -1, 0.5],
    xDims: [1, 8],
    wDims: [2, 8],
    wBytes: w.map((v) => v & 255),
    wScale: 0.1,
    wZp: 0,
    bias: [0, 0],
    bScale: f32(0.5 * 0.1),
    yScale: 1,
    yZp: 128,
  });
  // The user's float model: the same FC with the intended float weights w * 0.1.
  const fm = new ModelHelper('signed_w_float');
  fm.param_init_net.GivenTensorFill([], 'w_f', { shape: [2, 8], values: Float32Array.from(w, (v) => f32(v * f32(0.1))) });
  fm.param_init_net.GivenTensorFill([], 'b_f', { shape: [2], values: new Float32Array(2) });
  fm.net.FC(['x', 'w_f', 'b_f'], 'y_f');
  const r = run(model, inputs, ['default'], { floatModel: { init: fm.param_init_net.Proto(), net: fm.net.Proto(), map: { y: 'y_f', fc_w: 'w_f' } } });

  it('weight byte statistics show the two clusters', () => {
    const ws = r.ops[1]!.weightStats!;
    expect(ws.shareHigh).toBe(7 / 16);
    expect(ws.shareLow).toBe(9 / 16);
    expect([ws.signedMin, ws.signedMax]).toEqual([-3, 3]);
    expect(ws.min).toBe(0);
    expect(ws.max).toBe(255);
  });

  it('names the problem and the fix (XOR 0x80, zero point 128)', () => {
    const [sw] = findings(r, 'signed-weights');
    expect(sw).toMatchObject({ severity: 'error', opIndex: 1, blob: 'fc_w' });
    expect(sw!.message).toContain('without the +128 shift');
    expect(sw!.evidence).toContain('43.8%');
    expect(sw!.fix).toContain('XOR 0x80');
    expect(sw!.fix).toContain('Y_zero_point = 128');
  });

  it('the float model shows the weights off by 256 weight LSBs', () => {
    const wm = r.ops[1]!.floatModel.find((m) => m.role === 'weight')!;
    expect(wm).toMatchObject({ int8Blob: 'fc_w', floatBlob: 'w_f', layout: 'same' });
    // byte 253 read as 253 * 0.1 against -3 * 0.1: 256 steps of 0.1.
    expect(wm.error!.maxAbsLsb).toBeCloseTo(256, 3);
    const [fmErr] = findings(r, 'float-model').filter((f) => f.blob === 'fc_w');
    expect(fmErr).toMatchObject({ severity: 'error', opIndex: 1 });
    expect(r.floatModel).toMatchObject({ net: fm.net.Name(), matched: 2 });
  });
});

describe('compare: requantization scale >= 1 (x 0.5 * w 0.5 / y 0.2 = 1.25)', () => {
  // x = [1, -1] at 0.5/128 -> codes [130, 126]; W ints [[1,1],[2,-1]] (+128, zp 128, scale 0.5); bias 0.
  // acc0 = 2*1 + (-2)*1 = 0; acc1 = 2*2 + (-2)*(-1) = 6.
  // DNNLOWP: rne(6 * 1.25) = rne(7.5) = 8 -> code 108 -> 8 * 0.2 = 1.6; acc0 -> 100 -> 0.
  // The shadow quantized at 0.2/100: 1.5 / 0.2 = 7.5 -> 8 -> the same codes.
  const spec: FcSpec = {
    name: 'requant',
    x: [1, -1],
    xDims: [1, 2],
    wDims: [2, 2],
    wBytes: [129, 129, 130, 127],
    wScale: 0.5,
    wZp: 128,
    bias: [0, 0],
    bScale: 0.25,
    yScale: 0.2,
    yZp: 100,
  };

  it.each([
    [['default', 'DNNLOWP'], 'the output of engine DNNLOWP'],
    [['default'], 'the float shadow quantized'],
  ])('engines %j: the op fails, the report goes on with %s', (engines, standIn) => {
    const { model, inputs } = fcModel(spec);
    const r = run(model, inputs, engines);
    const fc = r.ops[1]!;
    expect(fc.status).toBe('failed');
    expect(fc.requantScale).toBe(1.25);
    expect(fc.standIn).toContain(standIn);
    expect(r.ops[2]!.output!.range).toEqual({ min: 0, max: f32(8 * f32(0.2)) });
    const [q] = findings(r, 'requant-scale');
    expect(q).toMatchObject({ severity: 'error', opIndex: 1 });
    expect(q!.message).toContain('1.25');
    expect(q!.message).toContain('fully connected');
    expect(q!.fix).toContain('Y_scale > 0.25');
    expect(q!.fix).toContain('engine DNNLOWP');
    expect(findings(r, 'op-failed')).toEqual([]);
  });
});

describe('compare: collapse (every output at the zero point)', () => {
  // x = [[1,-1],[0.5,0.5]], W ints [[1,1],[2,-1]] at 0.5: float outputs [[0,1.5],[0.5,0.25]].
  // With Y_scale 100 every output rounds to 0 -> code 128 (zero point) for all 4 outputs.
  const { model, inputs } = fcModel({
    name: 'collapse',
    x: [1, -1, 0.5, 0.5],
    xDims: [2, 2],
    wDims: [2, 2],
    wBytes: [129, 129, 130, 127],
    wScale: 0.5,
    wZp: 128,
    bias: [0, 0],
    bScale: 0.25,
    yScale: 100,
    yZp: 128,
  });
  const r = run(model, inputs);

  it('reports the collapse with the float range in LSBs', () => {
    expect(r.ops[1]!.collapse).toMatchObject({ code: 128, realValue: 0, share: 1, distinct: 1, collapsed: true });
    const [c] = findings(r, 'collapse');
    expect(c).toMatchObject({ severity: 'error', opIndex: 1 });
    // span 1.5 / 100 = 0.015 LSB
    expect(c!.evidence).toContain('0.015 output LSBs');
    expect(c!.fix).toContain('too coarse');
  });
});

describe('compare: engines', () => {
  it('a misspelt engine, an unknown one and mixed engines are named', () => {
    const { model, inputs } = fcModel({
      name: 'engines',
      x: [1, -1],
      xDims: [1, 2],
      wDims: [2, 2],
      wBytes: [129, 129, 130, 127],
      wScale: 0.5,
      wZp: 128,
      bias: [0, 0],
      bScale: 0.25,
      yScale: 0.5,
      yZp: 128,
      engines: { quantize: 'DNNLOWP', fc: 'dnnlowp', dequantize: 'FOO' },
    });
    const r = run(model, inputs);
    const eng = findings(r, 'engine');
    expect(eng.find((f) => f.opIndex === 1)!.message).toContain('probably meaning DNNLOWP');
    expect(eng.find((f) => f.opIndex === 2)!.message).toContain('does not have for Int8Dequantize');
    const mixed = eng.find((f) => f.opIndex === undefined)!;
    expect(mixed.message).toContain('mixes engines');
    expect(mixed.message).toContain('Int8Quantize #0');
    // The net's own engine for #0 is DNNLOWP; 'default' is compared against it.
    expect(r.ops[0]!.engines.map((e) => e.engine)).toEqual(['default']);
  });

  it('an engine caffe2-int8 cannot run degrades to "engine not available"', () => {
    const m = new ModelHelper('pool');
    m.net.Int8Quantize('x', 'x_q', { Y_scale: 0.5, Y_zero_point: 0 });
    m.net.Int8MaxPool('x_q', 'p', { kernel: 2, order: 'NHWC', Y_scale: 0.5, Y_zero_point: 0 });
    // x = 0..7 in [1,2,2,2] (N,H,W,C): max over the 2x2 window per channel = [6, 7]
    const r = compareNet({ net: m.net.Proto(), inputs: { x: new Tensor('float32', [1, 2, 2, 2], Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7])) }, engines: ['default', 'DNNLOWP_ROWWISE_16'] });
    const pool = r.ops[1]!;
    expect(pool.engines[0]).toMatchObject({ engine: 'DNNLOWP_ROWWISE_16', status: 'not available' });
    expect(pool.engines[0]!.note).toMatch(/^engine not available: /);
    expect(pool.shadow!.range).toEqual({ min: 6, max: 7 });
    expect(pool.shadow!.error.maxAbs).toBe(0);
    expect(formatCompareReport(r)).toContain('n/a');
  });
});

describe('compare: byte-moving ops follow their own mapping', () => {
  function concatModel(): ModelHelper {
    const m = new ModelHelper('concat');
    // a = [10, 20] at scale 1; b = [10] at scale 2 (real 20). Int8Concat copies bytes and keeps a's qparams.
    m.param_init_net.Int8GivenTensorFill([], 'a', { shape: [2], values: Uint8Array.from([10, 20]), Y_scale: 1, Y_zero_point: 0 });
    m.param_init_net.Int8GivenTensorFill([], 'b', { shape: [1], values: Uint8Array.from([10]), Y_scale: 2, Y_zero_point: 0 });
    m.param_init_net.Int8GivenTensorFill([], 't', { shape: [2, 3], values: Uint8Array.from([1, 2, 3, 4, 5, 6]), Y_scale: 0.5, Y_zero_point: 2 });
    m.net.Int8Concat(['a', 'b'], 'c', { Y_scale: 1, Y_zero_point: 0 });
    m.net.Int8Transpose('t', 'tt', { Y_scale: 0.5, Y_zero_point: 2 });
    return m;
  }
  const m = concatModel();
  const r = compareNet({ init: m.param_init_net.Proto(), net: m.net.Proto(), engines: ['default'] });

  it('Int8Concat of inputs with different scales: the shadow keeps each input at its own scale', () => {
    // bytes [10, 20, 10] read at scale 1 = [10, 20, 10]; shadow [10, 20, 20]: 10 LSB off at the last element.
    const c = r.ops[0]!;
    expect(c.shadow!.range).toEqual({ min: 10, max: 20 });
    expect(c.shadow!.error.maxAbsLsb).toBe(10);
    expect(c.shadow!.error.worstIndex).toBe(2);
  });

  it('Int8Transpose: the shadow is the transposed dequantized input, exactly', () => {
    // (q - 2) * 0.5 of [[1,2,3],[4,5,6]] = [[-0.5,0,0.5],[1,1.5,2]]
    expect(r.ops[1]!.shadow!.error.maxAbs).toBe(0);
    expect(r.ops[1]!.shadow!.range).toEqual({ min: -0.5, max: 2 });
  });
});

describe('compare: float model in NCHW against the NHWC int8 net', () => {
  // x: [1,2,3,3] NCHW, channel 0 = 0, 0.5, ..., 4 and channel 1 = 0.5 everywhere.
  // Int8 net: NCHW2NHWC -> Int8Quantize (0.5, 128: exact) -> 1x1 Int8Conv with W = [1, -1]
  // (bytes 130, 126 at 0.5, zp 128) -> Int8Dequantize. y = x0 - x1 = -0.5 .. 3.5, exact at output scale 0.5.
  // Float model: the same 1x1 conv in NCHW, output y_f [1,1,3,3].
  const x = new Float32Array(18);
  for (let k = 0; k < 9; k++) {
    x[k] = k * 0.5;
    x[9 + k] = 0.5;
  }
  function conv(): ModelHelper {
    const m = new ModelHelper('layout');
    m.param_init_net.Int8GivenTensorFill([], 'w', { shape: [1, 1, 1, 2], values: Uint8Array.from([130, 126]), Y_scale: 0.5, Y_zero_point: 128 });
    m.param_init_net.Int8GivenIntTensorFill([], 'b', { shape: [1], values: new Int32Array(1), Y_scale: 0.25, Y_zero_point: 0 });
    m.net.NCHW2NHWC('x', 'x_nhwc');
    m.net.Int8Quantize('x_nhwc', 'x_q', { Y_scale: 0.5, Y_zero_point: 128 });
    m.net.Int8Conv(['x_q', 'w', 'b'], 'y_q', { kernel: 1, order: 'NHWC', Y_scale: 0.5, Y_zero_point: 128 });
    m.net.Int8Dequantize('y_q', 'y');
    return m;
  }
  const fm = new ModelHelper('layout_float');
  fm.param_init_net.GivenTensorFill([], 'w_f', { shape: [1, 2, 1, 1], values: Float32Array.from([1, -1]) });
  fm.param_init_net.GivenTensorFill([], 'b_f', { shape: [1], values: Float32Array.from([0]) });
  fm.net.Conv(['x', 'w_f', 'b_f'], 'y_f', { kernel: 1 });
  const m = conv();
  const r = compareNet({ init: m.param_init_net.Proto(), net: m.net.Proto(), inputs: { x: new Tensor('float32', [1, 2, 3, 3], x) }, floatModel: { init: fm.param_init_net.Proto(), net: fm.net.Proto(), map: { y: 'y_f', y_q: 'y_f' } } });

  it('transposes the NCHW float blob to match and finds no error', () => {
    for (const k of [2, 3]) {
      const out = r.ops[k]!.floatModel.find((f) => f.role === 'output')!;
      expect(out.layout).toBe('NCHW -> NHWC');
      expect(out.error!.maxAbs).toBe(0);
      expect(out.range).toEqual({ min: -0.5, max: 3.5 });
    }
    expect(r.ops[2]!.drift!.maxAbs).toBe(0);
    expect(r.ops[2]!.shadow!.error.maxAbs).toBe(0);
  });
});

describe('compare: an op that cannot run', () => {
  it('is one op-failed finding; the ops that needed its output are marked as not run', () => {
    const m = new ModelHelper('unknown_op');
    m.net.Int8Quantize('x', 'x_q', { Y_scale: 0.5, Y_zero_point: 128 });
    m.net.Int8NoSuchOp('x_q', 'z_q', { Y_scale: 0.5, Y_zero_point: 128 });
    m.net.Int8Dequantize('z_q', 'z');
    const r = compareNet({ net: m.net.Proto(), inputs: { x: new Tensor('float32', [2], Float32Array.from([1, -1])) } });
    expect(r.ops.map((o) => o.status)).toEqual(['ok', 'failed', 'failed']);
    expect(r.ops[1]!.shadowUnavailable).toContain('no float shadow for Int8NoSuchOp');
    expect(r.ops[2]!.skippedBecause).toBe(1);
    expect(r.ops[2]!.failure).toContain('because op #1 failed');
    const failed = findings(r, 'op-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ severity: 'error', opIndex: 1 });
    expect(failed[0]!.evidence).toContain('#2 Int8Dequantize could not run either');
  });
});

describe('compare: shadows of Add, Relu, AveragePool, LeakyRelu, Sigmoid, Softmax', () => {
  // x = [1, -1, 0.5, 2] and y = [0.5, 0.5, -0.5, 1], both at 0.5 / 128 (exact), dims [1,2,2,1].
  // a = x + y = [1.5, -0.5, 0, 3] at 0.5 / 128 (exact).
  const m = new ModelHelper('elementwise');
  m.net.Int8Quantize('x', 'xq', { Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8Quantize('y', 'yq', { Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8Add(['xq', 'yq'], 'a', { Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8Relu('a', 'r', { Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8AveragePool('a', 'ap', { kernel: 2, order: 'NHWC', Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8LeakyRelu('a', 'lr', { alpha: 0.25, Y_scale: 0.125, Y_zero_point: 128 });
  m.net.Int8Sigmoid('a', 's', { Y_scale: 1 / 256, Y_zero_point: 0 });
  m.net.Int8Softmax('a', 'sm', { Y_scale: 1 / 256, Y_zero_point: 0 });
  const dims = [1, 2, 2, 1];
  const r = compareNet({
    net: m.net.Proto(),
    inputs: { x: new Tensor('float32', dims, Float32Array.from([1, -1, 0.5, 2])), y: new Tensor('float32', dims, Float32Array.from([0.5, 0.5, -0.5, 1])) },
  });
  const op = (out: string) => r.ops.find((o) => o.outputs[0] === out)!;

  it('exact cases have no error', () => {
    expect(op('a').shadow).toMatchObject({ range: { min: -0.5, max: 3 }, error: { maxAbs: 0 } });
    expect(op('r').shadow).toMatchObject({ range: { min: 0, max: 3 }, error: { maxAbs: 0 } });
    // (1.5 - 0.5 + 0 + 3) / 4 = 1
    expect(op('ap').shadow).toMatchObject({ range: { min: 1, max: 1 }, error: { maxAbs: 0 } });
    // -0.5 * 0.25 = -0.125
    expect(op('lr').shadow).toMatchObject({ range: { min: -0.125, max: 3 }, error: { maxAbs: 0 } });
  });

  it('Sigmoid and Softmax shadows, within half an LSB of 1/256', () => {
    // 1 / (1 + e^0.5) = 0.377541, 1 / (1 + e^-3) = 0.952574
    expect(op('s').shadow!.range.min).toBeCloseTo(0.377541, 5);
    expect(op('s').shadow!.range.max).toBeCloseTo(0.952574, 5);
    expect(op('s').shadow!.error.maxAbsLsb).toBeLessThanOrEqual(0.5 + 1e-6);
    // softmax over all of [1.5, -0.5, 0, 3]: e^-0.5 / S and e^3 / S with S = e^1.5 + e^-0.5 + 1 + e^3 = 4.481689 + 0.606531 + 1 + 20.085537 = 26.173757
    expect(op('sm').shadow!.range.min).toBeCloseTo(0.0231733, 6);
    expect(op('sm').shadow!.range.max).toBeCloseTo(0.7673922, 6);
    expect(op('sm').shadow!.error.maxAbsLsb).toBeLessThanOrEqual(1);
  });
});
