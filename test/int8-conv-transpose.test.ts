// Int8ConvTranspose (default engine, QNNPACK arithmetic): upstream int8_test.cc's case, random
// shapes against a scatter-form BigInt reference (each input pixel adds W·x to
// oy = iy·stride + ky - pad_top), and the wrapper's checks and caching. The golden cases
// (convtranspose_*, net_decoder_convtranspose_add) run in golden.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument, NetDef, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Workspace } from '../src/workspace.js';
import { expectError, f, fillXWB, i, int32Fill, int8Fill, ints, NHWC, randomBytes, refRequantize, rng, s } from './helpers.js';

// ---- small builders ---------------------------------------------------------------------------

function deconvOp(args: Argument[], yScale: number, yZeroPoint: number, inputs = ['X', 'W', 'B']): OperatorDef {
  return { type: 'Int8ConvTranspose', input: inputs, output: ['Y'], arg: [...args, f('Y_scale', yScale), i('Y_zero_point', yZeroPoint)] };
}

// ---- independent reference --------------------------------------------------------------------

interface Geometry {
  n: number;
  h: number;
  w: number;
  ic: number;
  oc: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  adj: [number, number];
}

/** Scatter form: every input pixel adds Σ_ic (x - xzp)(W[ic,ky,kx,oc] - wzp) at oy = iy·sh + ky - pt. */
function refDeconv(g: Geometry, x: number[], xzp: number, wt: number[], wzp: number, bias: number[], scale: number, yzp: number): { dims: number[]; data: number[] } {
  const oh = (g.h - 1) * g.sh + g.kh + g.adj[0] - g.pads[0] - g.pads[2];
  const ow = (g.w - 1) * g.sw + g.kw + g.adj[1] - g.pads[1] - g.pads[3];
  const acc: bigint[] = new Array(g.n * oh * ow * g.oc).fill(0n);
  for (let b = 0; b < g.n; b++) {
    for (let iy = 0; iy < g.h; iy++) {
      for (let ix = 0; ix < g.w; ix++) {
        for (let ky = 0; ky < g.kh; ky++) {
          const oy = iy * g.sh + ky - g.pads[0];
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ox = ix * g.sw + kx - g.pads[1];
            if (ox < 0 || ox >= ow) continue;
            for (let o = 0; o < g.oc; o++) {
              let sum = 0;
              for (let c = 0; c < g.ic; c++) {
                const xv = x[((b * g.h + iy) * g.w + ix) * g.ic + c]! - (xzp & 255);
                const wv = wt[((c * g.kh + ky) * g.kw + kx) * g.oc + o]! - (wzp & 255);
                sum += xv * wv;
              }
              acc[((b * oh + oy) * ow + ox) * g.oc + o]! += BigInt(sum);
            }
          }
        }
      }
    }
  }
  const data = acc.map((a, idx) => refRequantize(a + BigInt(bias[idx % g.oc]!), scale, yzp));
  return { dims: [g.n, oh, ow, g.oc], data };
}

function geometryArgs(g: Geometry): Argument[] {
  return [
    NHWC,
    i('kernel_h', g.kh),
    i('kernel_w', g.kw),
    i('stride_h', g.sh),
    i('stride_w', g.sw),
    ints('pads', [...g.pads]),
    i('adj_h', g.adj[0]),
    i('adj_w', g.adj[1]),
  ];
}

function describeGeometry(g: Geometry): string {
  return `x=[${g.n},${g.h},${g.w},${g.ic}] w=[${g.ic},${g.kh},${g.kw},${g.oc}] s=${g.sh}x${g.sw} p=${g.pads.join(',')} adj=${g.adj.join(',')}`;
}

// ---- tests -----------------------------------------------------------------------------------

describe('Int8ConvTranspose: upstream int8_test.cc TEST(Int8, ConvTranspose)', () => {
  it('x=[1,3,6,1] w=[1,2,2,1] kernel 2 stride_h 2 stride_w 1, scales 0.5/0.5 -> 1: equals the exact float result', () => {
    const xs = [3, 2, 1, -1, -2, -3, 4, 3, 2, -2, -3, -4, 5, 4, 3, -3, -4, -5];
    const wsv = [1, 2, 3, 4];
    const setq = (vs: number[]) => vs.map((v) => Math.round(127 + v / 0.5));
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 3, 6, 1], setq(xs), 0.5, 127));
    ws.RunOperatorOnce(int8Fill('W', [1, 2, 2, 1], setq(wsv), 0.5, 127));
    ws.RunOperatorOnce(int32Fill('B', [1], [-4], 0.25, 0)); // -1 at scale 0.25
    ws.RunOperatorOnce(deconvOp([i('kernel', 2), NHWC, i('stride_w', 1), i('stride_h', 2)], 1, 127));
    const y = ws.FetchInt8Blob('Y');
    expect(y.dims).toEqual([1, 6, 7, 1]);
    // Float ConvTranspose: every value is an integer here, so Y = 127 + float result exactly.
    const expected = new Array(6 * 7).fill(-1);
    for (let iy = 0; iy < 3; iy++) {
      for (let ix = 0; ix < 6; ix++) {
        for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) expected[(iy * 2 + ky) * 7 + ix + kx] += xs[iy * 6 + ix]! * wsv[ky * 2 + kx]!;
      }
    }
    expect([...y.data]).toEqual(expected.map((v) => 127 + v));
  });
});

describe('Int8ConvTranspose: random data against the scatter-form reference', () => {
  const base = { n: 1, adj: [0, 0] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] };
  const cases: Geometry[] = [
    { ...base, h: 5, w: 5, ic: 8, oc: 8, kh: 2, kw: 2, sh: 2, sw: 2 },
    { ...base, h: 4, w: 5, ic: 4, oc: 6, kh: 3, kw: 3, sh: 2, sw: 2, pads: [1, 1, 1, 1], adj: [1, 1] },
    { ...base, h: 4, w: 4, ic: 16, oc: 3, kh: 4, kw: 4, sh: 2, sw: 2, pads: [1, 1, 1, 1] },
    { ...base, h: 3, w: 4, ic: 3, oc: 5, kh: 3, kw: 3, sh: 1, sw: 1 },
    { ...base, n: 2, h: 3, w: 3, ic: 2, oc: 7, kh: 3, kw: 2, sh: 3, sw: 2, pads: [2, 0, 1, 1] },
    { ...base, h: 2, w: 6, ic: 1, oc: 1, kh: 2, kw: 5, sh: 1, sw: 3, pads: [0, 2, 0, 1], adj: [0, 2] },
    { ...base, h: 3, w: 2, ic: 9, oc: 2, kh: 1, kw: 1, sh: 2, sw: 2, adj: [1, 2] },
    { ...base, h: 2, w: 2, ic: 5, oc: 4, kh: 5, kw: 5, sh: 2, sw: 2, pads: [3, 3, 3, 3] },
  ];
  const qparams = [
    { xScale: 0.05, wScale: 0.02, yScale: 0.05, xzp: 128, wzp: 128, yzp: 132 },
    { xScale: 0.1, wScale: 0.01, yScale: 0.04, xzp: 0, wzp: 255, yzp: 115 },
    { xScale: 0.03, wScale: 0.05, yScale: 0.07, xzp: 255, wzp: 0, yzp: 0 },
    { xScale: 0.2, wScale: 0.004, yScale: 0.9, xzp: 60, wzp: 7, yzp: 255 },
  ];
  for (const [index, g] of cases.entries()) {
    const q = qparams[index % qparams.length]!;
    it(`${describeGeometry(g)} zp x${q.xzp} w${q.wzp} y${q.yzp}`, () => {
      const r = rng(2000 + index);
      const x = randomBytes(r, g.n * g.h * g.w * g.ic);
      const wt = randomBytes(r, g.ic * g.kh * g.kw * g.oc);
      const bias = Array.from({ length: g.oc }, () => Math.floor((r() - 0.5) * 4000));
      const ws = new Workspace();
      ws.RunOperatorOnce(int8Fill('X', [g.n, g.h, g.w, g.ic], x, q.xScale, q.xzp));
      ws.RunOperatorOnce(int8Fill('W', [g.ic, g.kh, g.kw, g.oc], wt, q.wScale, q.wzp));
      ws.RunOperatorOnce(int32Fill('B', [g.oc], bias, 99, 3)); // the bias blob's own qparams are ignored
      ws.RunOperatorOnce(deconvOp(geometryArgs(g), q.yScale, q.yzp));
      const y = ws.FetchInt8Blob('Y');
      const scale = Math.fround(Math.fround(Math.fround(q.xScale) * Math.fround(q.wScale)) / Math.fround(q.yScale));
      const ref = refDeconv(g, x, q.xzp, wt, q.wzp, bias, scale, q.yzp);
      expect(y.dims).toEqual(ref.dims);
      expect([...y.data]).toEqual(ref.data);
      expect(y.zero_point).toBe(q.yzp);
      expect(y.scale).toBe(Math.fround(q.yScale));
    });
  }

  it('W is (IC,KH,KW,OC), not (OC,KH,KW,IC): x=[1,1,1,2] w=[2,1,1,3] picks W[ic,0,0,oc]', () => {
    // 1x1 kernel, stride 1: Y[oc] = Σ_ic x[ic]·W[ic,oc] with zero points 0 and scale 1/4.
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 1, 1, 2], [4, 8], 0.5, 0));
    ws.RunOperatorOnce(int8Fill('W', [2, 1, 1, 3], [1, 2, 3, 10, 20, 30], 0.5, 0));
    ws.RunOperatorOnce(int32Fill('B', [3], [0, 0, 0]));
    ws.RunOperatorOnce(deconvOp([NHWC, i('kernel', 1)], 1, 0));
    // acc = [4·1 + 8·10, 4·2 + 8·20, 4·3 + 8·30] = [84, 168, 252]; ·0.25 = [21, 42, 63].
    expect([...ws.FetchInt8Blob('Y').data]).toEqual([21, 42, 63]);
  });

  it('legacy_pad VALID and SAME both use zero padding (out = (in-1)·s + k + adj)', () => {
    const g: Geometry = { ...base, h: 3, w: 3, ic: 2, oc: 2, kh: 3, kw: 3, sh: 2, sw: 2, adj: [1, 0] };
    const r = rng(77);
    const x = randomBytes(r, 18);
    const wt = randomBytes(r, 36);
    const ref = refDeconv(g, x, 128, wt, 128, [10, -10], Math.fround(Math.fround(0.1 * 0.1) / 0.3), 128);
    for (const legacyPad of [1, 2]) {
      const ws = new Workspace();
      ws.RunOperatorOnce(int8Fill('X', [1, 3, 3, 2], x, 0.1, 128));
      ws.RunOperatorOnce(int8Fill('W', [2, 3, 3, 2], wt, 0.1, 128));
      ws.RunOperatorOnce(int32Fill('B', [2], [10, -10]));
      ws.RunOperatorOnce(deconvOp([NHWC, i('kernel', 3), i('stride', 2), i('adj_h', 1), i('adj_w', 0), i('legacy_pad', legacyPad)], 0.3, 128));
      const y = ws.FetchInt8Blob('Y');
      expect(y.dims).toEqual([1, 8, 7, 2]);
      expect([...y.data]).toEqual(ref.data);
    }
  });

  it('group is ignored: group=2 gives the same bytes as group=1', () => {
    const r = rng(5);
    const x = randomBytes(r, 2 * 2 * 4);
    const wt = randomBytes(r, 4 * 2 * 2 * 6);
    const results = [1, 2].map((group) => {
      const ws = new Workspace();
      ws.RunOperatorOnce(int8Fill('X', [1, 2, 2, 4], x, 0.1, 100));
      ws.RunOperatorOnce(int8Fill('W', [4, 2, 2, 6], wt, 0.1, 120));
      ws.RunOperatorOnce(int32Fill('B', [6], [1, 2, 3, 4, 5, 6]));
      ws.RunOperatorOnce(deconvOp([NHWC, i('kernel', 2), i('stride', 2), i('group', group)], 0.5, 128));
      return [...ws.FetchInt8Blob('Y').data];
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('Int8ConvTranspose: checks', () => {
  const k2s2 = [NHWC, i('kernel', 2), i('stride', 2)];

  it('x=[0,4,4,3] (empty batch) is refused by GetOutputSize', () => {
    const ws = new Workspace();
    fillXWB(ws, [0, 4, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'enforce', /numel\(\) > 0/);
  });

  it('x=[1,0,4,3] (zero height) is refused', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 0, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'enforce', /numel\(\) > 0/);
  });

  it('x=[1,4,4,3] w=[5,2,2,3]: CHECK_EQ(IC, W.size(0)) is fatal', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [5, 2, 2, 3], [3]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'fatal', /IC == W\.size\(0\) \(3 vs 5\)/);
  });

  it('x=[1,4,4,3] w=[3,3,3,5] with kernel 2: W disagrees with the kernel arguments', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 3, 3, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'invalid', /3x3 kernel but the kernel arguments say 2x2/);
  });

  it('bias with 4 values for 5 output channels is refused', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [4]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'invalid', /bias has 4 elements, expected 5/);
  });

  it('x=[4,4,3] (3-D) is refused', () => {
    const ws = new Workspace();
    fillXWB(ws, [4, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'enforce', /4-D/);
  });

  it('requantization scale >= 1 is refused at creation (deconvolution scale must be < 1)', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 0.01, 0)), 'enforce', /deconvolution.*>= 1/);
  });

  it('two inputs pass the schema (2..3) but the op refuses them when it runs', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [5]);
    const err = expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0, ['X', 'W'])), 'enforce', /needs 3 inputs/);
    expect(err.context.opType).toBe('Int8ConvTranspose');
  });

  it('order NCHW (or no order, the default) cannot create the operator', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp([i('kernel', 2)], 1, 0)), 'needs_feature', /NHWC/);
    expectError(() => ws.RunOperatorOnce(deconvOp([s('order', 'NCHW'), i('kernel', 2)], 1, 0)), 'needs_feature', /NHWC/);
  });

  it('adj > stride is refused at creation', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [5]);
    expectError(() => ws.RunOperatorOnce(deconvOp([...k2s2, i('adj', 3)], 1, 0)), 'enforce', /adj_\[0\] <= stride_\[0\]/);
  });

  it('a bias with uint8 data is a tensor type mismatch', () => {
    const ws = new Workspace();
    fillXWB(ws, [1, 4, 4, 3], [3, 2, 2, 5], [5]);
    ws.RunOperatorOnce(int8Fill('B', [5], [1, 2, 3, 4, 5], 1, 0));
    expectError(() => ws.RunOperatorOnce(deconvOp(k2s2, 1, 0)), 'enforce', /type mismatch/);
  });
});

describe('Int8ConvTranspose: a created net keeps its first-run QNNPACK operator', () => {
  const predict: NetDef = {
    name: 'deconv_cached',
    op: [deconvOp([NHWC, i('kernel', 2), i('stride', 2)], 0.5, 100)],
    external_input: ['X', 'W', 'B'],
    external_output: ['Y'],
  };

  it('a changed input scale on the second run is ignored (stale requantization, as Caffe2)', () => {
    const r = rng(9);
    const x = randomBytes(r, 2 * 2 * 3);
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 2, 2, 3], x, 0.1, 128));
    ws.RunOperatorOnce(int8Fill('W', [3, 2, 2, 4], randomBytes(r, 48), 0.1, 128));
    ws.RunOperatorOnce(int32Fill('B', [4], [5, -5, 50, -50]));
    ws.CreateNet(predict);
    ws.RunNet('deconv_cached');
    const first = [...ws.FetchInt8Blob('Y').data];
    ws.RunOperatorOnce(int8Fill('X', [1, 2, 2, 3], x, 0.4, 128));
    ws.RunNet('deconv_cached');
    expect([...ws.FetchInt8Blob('Y').data]).toEqual(first);
    ws.RunNetOnce({ ...predict, name: 'fresh' });
    expect([...ws.FetchInt8Blob('Y').data]).not.toEqual(first);
  });

  it('a larger input on the second run is fine; changed channel counts are refused', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('X', [1, 2, 2, 3], new Array(12).fill(140), 0.1, 128));
    ws.RunOperatorOnce(int8Fill('W', [3, 2, 2, 4], new Array(48).fill(140), 0.1, 128));
    ws.RunOperatorOnce(int32Fill('B', [4], [0, 0, 0, 0]));
    ws.CreateNet(predict);
    ws.RunNet('deconv_cached');
    ws.RunOperatorOnce(int8Fill('X', [2, 3, 1, 3], new Array(18).fill(140), 0.1, 128));
    ws.RunNet('deconv_cached');
    expect(ws.FetchInt8Blob('Y').dims).toEqual([2, 6, 2, 4]);
    ws.RunOperatorOnce(int8Fill('X', [1, 2, 2, 2], new Array(8).fill(140), 0.1, 128));
    ws.RunOperatorOnce(int8Fill('W', [2, 2, 2, 4], new Array(32).fill(140), 0.1, 128));
    expectError(() => ws.RunNet('deconv_cached'), 'invalid', /first run for 3 -> 4 channels; now 2 -> 4/);
  });
});
