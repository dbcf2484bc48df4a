// Int8FC (default engine, QNNPACK arithmetic): upstream int8_test.cc's vector, random shapes
// against a BigInt transcription of SEMANTICS.md §3.2, and the wrapper's checks and caching.
// The golden cases (fc_*, upstream_int8_test_fc, net_classifier_head) run in golden.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument, NetDef, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Workspace } from '../src/workspace.js';
import { expectError, f, fillXWB, i, int32Fill, int8Fill, randomBytes, refRequantize, rng } from './helpers.js';

// ---- small builders ---------------------------------------------------------------------------

function fcOp(yScale: number, yZeroPoint: number, inputs = ['X', 'W', 'B'], extra: Argument[] = []): OperatorDef {
  return { type: 'Int8FC', input: inputs, output: ['Y'], arg: [f('Y_scale', yScale), i('Y_zero_point', yZeroPoint), ...extra] };
}

// ---- independent reference: SEMANTICS.md §3.2 in BigInt ---------------------------------------

function refFc(x: number[], xzp: number, w: number[], wzp: number, bias: number[], m: number, k: number, n: number, scale: number, yzp: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let acc = BigInt(bias[c]!);
      for (let j = 0; j < k; j++) acc += BigInt((x[r * k + j]! - (xzp & 255)) * (w[c * k + j]! - (wzp & 255)));
      out.push(refRequantize(acc, scale, yzp));
    }
  }
  return out;
}

// ---- tests -----------------------------------------------------------------------------------

describe('Int8FC: upstream int8_test.cc TEST(Int8, FC)', () => {
  it('X=[2,10] W=[3,10] scales 0.5/0.5 -> Y_scale 1, Y_zp 127 gives [151,152,153,185,186,187]', () => {
    // setq: round(127 + v / 0.5); the bias is quantized at 0.25 with zp 0.
    const setq = (vs: number[]) => vs.map((v) => Math.round(127 + v / 0.5));
    const x = setq([1, 2, 3, 4, 5, 6, 7, 8, -9, -10, 1, 2, 3, 4, 5, 6, 7, -8, 9, -10]);
    const w = setq([...Array(3)].flatMap(() => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [2, 10], x, 0.5, 127));
    ws.RunOperatorOnce(int8Fill('W', [3, 10], w, 0.5, 127));
    ws.RunOperatorOnce(int32Fill('B', [3], [4, 8, 12], 0.25, 0));
    ws.RunOperatorOnce(fcOp(1, 127));
    const y = ws.FetchInt8Blob('Y');
    expect([...y.data]).toEqual([151, 152, 153, 185, 186, 187]);
    expect(y.dims).toEqual([2, 3]);
    expect(y.scale).toBe(1);
    expect(y.zero_point).toBe(127);
  });
});

interface RandomCase {
  xDims: number[];
  n: number;
  xScale: number;
  wScale: number;
  yScale: number;
  xzp: number;
  wzp: number;
  yzp: number;
}

function runRandomCase(c: RandomCase, seed: number): void {
  const r = rng(seed);
  const k = c.xDims.slice(1).reduce((p, d) => p * d, 1);
  const numel = c.xDims.reduce((p, d) => p * d, 1);
  const m = numel / k;
  const x = randomBytes(r, numel);
  const w = randomBytes(r, c.n * k);
  const bias = Array.from({ length: c.n }, () => Math.floor((r() - 0.5) * 4000));
  const ws = new Workspace();
  ws.RunOperatorOnce(int8Fill('X', c.xDims, x, c.xScale, c.xzp));
  ws.RunOperatorOnce(int8Fill('W', [c.n, k], w, c.wScale, c.wzp));
  ws.RunOperatorOnce(int32Fill('B', [c.n], bias, 123, 45)); // the bias blob's own qparams are ignored
  ws.RunOperatorOnce(fcOp(c.yScale, c.yzp));
  const y = ws.FetchInt8Blob('Y');
  const scale = Math.fround(Math.fround(Math.fround(c.xScale) * Math.fround(c.wScale)) / Math.fround(c.yScale));
  expect(y.dims).toEqual([m, c.n]);
  expect([...y.data]).toEqual(refFc(x, c.xzp, w, c.wzp, bias, m, k, c.n, scale, c.yzp));
  expect(y.scale).toBe(Math.fround(c.yScale));
  expect(y.zero_point).toBe(c.yzp);
}

describe('Int8FC: random data against the BigInt reference', () => {
  const cases: RandomCase[] = [
    { xDims: [2, 10], n: 3, xScale: 0.02, wScale: 0.005, yScale: 0.05, xzp: 128, wzp: 128, yzp: 128 },
    { xDims: [1, 1024], n: 16, xScale: 0.05, wScale: 0.01, yScale: 0.9, xzp: 3, wzp: 200, yzp: 158 },
    { xDims: [3, 2, 2, 8], n: 12, xScale: 0.1, wScale: 0.02, yScale: 0.07, xzp: 0, wzp: 255, yzp: 130 },
    { xDims: [4, 5], n: 7, xScale: 0.3, wScale: 0.2, yScale: 0.061, xzp: 255, wzp: 0, yzp: 0 },
    { xDims: [7, 3], n: 1, xScale: 1e-3, wScale: 1e-3, yScale: 1, xzp: 77, wzp: 1, yzp: 255 },
    // 1-D input: K = size_from_dim(1) = 1, M = numel.
    { xDims: [6], n: 4, xScale: 0.5, wScale: 0.5, yScale: 0.3, xzp: 127, wzp: 127, yzp: 127 },
    // Requantization scale just below 1 (shift 0) and tiny (shift near 31).
    { xDims: [2, 9], n: 5, xScale: 0.99999994, wScale: 1, yScale: 1, xzp: 128, wzp: 128, yzp: 128 },
    { xDims: [2, 9], n: 5, xScale: 2 ** -15, wScale: 2 ** -15, yScale: 1.5, xzp: 100, wzp: 90, yzp: 80 },
  ];
  for (const [index, c] of cases.entries()) {
    it(`X=[${c.xDims}] W=[${c.n},K] s=${c.xScale}*${c.wScale}/${c.yScale} zp x${c.xzp} w${c.wzp} y${c.yzp}`, () => runRandomCase(c, 1000 + index));
  }

  it('SEMANTICS.md §3.2 worked examples through the op: double rounding (acc 750 -> 2) and ties away from zero', () => {
    // K = 1 with x = xzp, so acc = bias exactly. Scales 0.02 * 0.005 / 0.05 = 0.0019999998.
    const run = (xScale: number, wScale: number, yScale: number, biases: number[]) => {
      const ws = new Workspace();
      ws.RunOperatorOnce(int8Fill('X', [1, 1], [128], xScale, 128));
      ws.RunOperatorOnce(int8Fill('W', [biases.length, 1], biases.map(() => 200), wScale, 3));
      ws.RunOperatorOnce(int32Fill('B', [biases.length], biases));
      ws.RunOperatorOnce(fcOp(yScale, 128));
      return [...ws.FetchInt8Blob('Y').data];
    };
    expect(run(0.02, 0.005, 0.05, [12345, -12345, 750])).toEqual([153, 103, 130]);
    // Scale 0.25: 2 -> 1, -2 -> -1, 6 -> 2, 10 -> 3, -10 -> -3.
    expect(run(0.5, 0.5, 1, [2, -2, 6, 10, -10])).toEqual([129, 127, 130, 131, 125]);
  });

  it('X=[1,40000] W=[1,40000] all 255, zps 0: the accumulator wraps mod 2^32 as the int32 kernel lanes do', () => {
    const k = 40000;
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, k], new Array(k).fill(255), 0.01, 0));
    ws.RunOperatorOnce(int8Fill('W', [1, k], new Array(k).fill(255), 0.01, 0));
    ws.RunOperatorOnce(int32Fill('B', [1], [0]));
    ws.RunOperatorOnce(fcOp(0.5, 128));
    // acc = 40000 * 65025 = 2601000000 > 2^31 - 1, so int32 sees -1693967296.
    const scale = Math.fround(Math.fround(0.01 * 0.01) / 0.5);
    const expected = refRequantize(2601000000n, scale, 128);
    expect(expected).toBe(0); // the wrapped value is negative and saturates
    expect([...ws.FetchInt8Blob('Y').data]).toEqual([expected]);
  });

  it('Y_zero_point 300 reaches QNNPACK as 44 (uint8_t), the output tensor keeps 300', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 2], [10, 20], 0.5, 266)); // zp 266 -> 10
    ws.RunOperatorOnce(int8Fill('W', [1, 2], [1, 1], 0.5, 0));
    ws.RunOperatorOnce(int32Fill('B', [1], [0]));
    ws.RunOperatorOnce(fcOp(1, 300));
    const y = ws.FetchInt8Blob('Y');
    // (10-10)*1 + (20-10)*1 = 10; scale 0.25 -> 10*0.25 = 2.5 -> 3 (half away from zero); + 44.
    expect([...y.data]).toEqual([47]);
    expect(y.zero_point).toBe(300);
  });
});

describe('Int8FC: shapes and checks', () => {
  it('X=[0,10] (M=0) gives an empty [0,3] output with the Y qparams', () => {
    const ws = new Workspace();
    fillXWB(ws, [0, 10], [3, 10], [3]);
    ws.RunOperatorOnce(fcOp(0.5, 17));
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([0, 3]);
    expect(y.data.length).toBe(0);
    expect(y.zero_point).toBe(17);
  });

  it('X=[0,10] still creates the QNNPACK operator: a requantization scale >= 1 is refused', () => {
    const ws = new Workspace();
    fillXWB(ws, [0, 10], [3, 10], [3]);
    expectError(() => ws.RunOperatorOnce(fcOp(0.001, 0)), 'enforce', /scale .* >= 1/);
  });

  it('X=[4,0] (K=0) is refused: Caffe2 divides by zero computing M', () => {
    const ws = new Workspace();
    fillXWB(ws, [4, 0], [3, 0], [3]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'invalid', /K = 0/);
  });

  it('X=[2,10] W=[3,9]: CHECK_EQ(K, W.size(1)) is fatal', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 9], [3]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'fatal', /K == W\.size\(1\) \(10 vs 9\)/);
  });

  it('X=[2,10] W=[3,10] B=[4]: CHECK_EQ(N, B.numel()) is fatal', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [4]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'fatal', /N == B\.numel\(\) \(3 vs 4\)/);
  });

  it('W=[30] (1-D) is refused: W.size(1) is out of range', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [30], [3]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'enforce', /2-D/);
  });

  it('X=[2,3,5] W=[4,15]: any rank flattens at axis 1 and Y is always 2-D', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 3, 5], [4, 15], [4]);
    ws.RunOperatorOnce(fcOp(0.5, 0, undefined, [i('axis', 2)])); // axis is ignored by Int8FC
    expect(ws.FetchInt8Blob('Y').dims).toEqual([2, 4]);
  });

  it('requantization scale 0.1*0.1/0.01 = 1 is refused at creation', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3]);
    const err = expectError(() => ws.RunOperatorOnce(fcOp(0.01, 0)), 'enforce', /fully connected.*>= 1/);
    expect(err.context.opType).toBe('Int8FC');
  });

  it('a zero input scale is refused (QNNPACK wants positive, normal scales)', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3], { xScale: 0 });
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'enforce', /input scale/);
  });

  it('two inputs fail schema checking (Int8FC takes exactly 3)', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0, ['X', 'W'])), 'enforce', /schema checking: takes 3 inputs, got 2/);
  });

  it('Y_scale stored as an int is an argument error', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3]);
    const op: OperatorDef = { type: 'Int8FC', input: ['X', 'W', 'B'], output: ['Y'], arg: [i('Y_scale', 1)] };
    expectError(() => ws.RunOperatorOnce(op), 'enforce', /Y_scale does not have the right field/);
  });

  it('a bias with uint8 data is a tensor type mismatch', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3]);
    ws.RunOperatorOnce(int8Fill('B', [3], [1, 2, 3], 1, 0));
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'enforce', /type mismatch/);
  });

  it('a float X is the wrong blob type', () => {
    const ws = new Workspace();
    fillXWB(ws, [2, 10], [3, 10], [3]);
    ws.FeedBlob('X', new Float32Array(20), [2, 10]);
    expectError(() => ws.RunOperatorOnce(fcOp(1, 0)), 'enforce', /wrong type for the Blob instance/);
  });
});

describe('Int8FC: a created net keeps its first-run QNNPACK operator', () => {
  const predict: NetDef = { name: 'fc_cached', op: [fcOp(0.5, 100)], external_input: ['X', 'W', 'B'], external_output: ['Y'] };

  it('a changed input scale on the second run is ignored (stale requantization, as Caffe2)', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 4], [140, 150, 160, 170], 0.1, 128));
    ws.RunOperatorOnce(int8Fill('W', [2, 4], [130, 120, 140, 110, 129, 127, 131, 125], 0.1, 128));
    ws.RunOperatorOnce(int32Fill('B', [2], [5, -5]));
    ws.CreateNet(predict);
    ws.RunNet('fc_cached');
    const first = [...ws.FetchInt8Blob('Y').data];
    // Same bytes, 4x the scale: a fresh op would give a different result.
    ws.RunOperatorOnce(int8Fill('X', [1, 4], [140, 150, 160, 170], 0.4, 128));
    ws.RunNet('fc_cached');
    expect([...ws.FetchInt8Blob('Y').data]).toEqual(first);
    ws.RunNetOnce({ ...predict, name: 'fresh' });
    expect([...ws.FetchInt8Blob('Y').data]).not.toEqual(first);
  });

  it('a changed K on the second run is refused (the stale operator would read with the wrong stride)', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 4], [1, 2, 3, 4], 0.1, 0));
    ws.RunOperatorOnce(int8Fill('W', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8], 0.1, 0));
    ws.RunOperatorOnce(int32Fill('B', [2], [0, 0]));
    ws.CreateNet(predict);
    ws.RunNet('fc_cached');
    ws.RunOperatorOnce(int8Fill('X', [1, 2], [1, 2], 0.1, 0));
    ws.RunOperatorOnce(int8Fill('W', [2, 2], [1, 2, 3, 4], 0.1, 0));
    expectError(() => ws.RunNet('fc_cached'), 'invalid', /first run for K = 4, N = 2; now K = 2, N = 2/);
  });
});
