// Int8Quantize / Int8Dequantize with engine DNNLOWP: argument forms, static / dynamic / input
// qparams, the followed_by Relu rewrite, refusals. Golden cases dnnlowp-quantize-* run in golden.test.ts;
// their dynamic_input_qparams notes are checked here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from '../src/node/files.js';
import type { OperatorDef } from '../src/proto/types.js';
import { float32Bits } from '../src/quant/float32.js';
import '../src/register-ops.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { loadGoldenCases } from './golden-cases.js';
import { DNNLOWP, expectError, f, f32 as fl, i, int32Fill, int8Fill, op, runNet, s } from './helpers.js';

const f32 = Math.fround;

const runOps = (ops: OperatorDef[], feeds: Record<string, Tensor>): Workspace => runNet(ops, 'vnni', feeds);

const quantize = (args = [f('Y_scale', 0.5), i('Y_zero_point', 3)], inputs = ['X']) => op('Int8Quantize', inputs, ['Xq'], args, DNNLOWP);

describe('Int8Quantize (DNNLOWP)', () => {
  it('static Y_scale=0.5 Y_zero_point=3, x=[0.25, 0.75, -0.25, 100, -100]: rint(fma(x, 2, 3)) = [4, 4, 2, 203, 0]', () => {
    // 0.25·2+3 = 3.5 -> 4 (even); 0.75·2+3 = 4.5 -> 4; -0.25·2+3 = 2.5 -> 2; 203; -197 -> 0.
    const ws = runOps([quantize()], { X: fl([5], [0.25, 0.75, -0.25, 100, -100]) });
    const q = ws.FetchInt8Blob('Xq');
    expect([...q.data]).toEqual([4, 4, 2, 203, 0]);
    expect([q.scale, q.zero_point, q.dims]).toEqual([0.5, 3, [5]]);
  });

  it('Y_zero_point defaults to 0: Y_scale=0.25, x=[0.125, 0.375] -> rint([0.5, 1.5]) = [0, 2]', () => {
    const ws = runOps([quantize([f('Y_scale', 0.25)])], { X: fl([2], [0.125, 0.375]) });
    expect([...ws.FetchInt8Blob('Xq').data]).toEqual([0, 2]);
    expect(ws.FetchInt8Blob('Xq').zero_point).toBe(0);
  });

  it('no Y_scale, x=[0.5, 1, 2]: qparams from [0, 2] = (f32(2/255), 0); values [64, 127, 255]', () => {
    // scale s = f32(2/255) = 0.0078431377...; 1/s in float = 127.49999237 (just below 127.5);
    // fma(0.5, 127.49999237, 0) = 63.7499962 -> 64; 1 -> 127.49999 -> 127; 2 -> 254.99998 -> 255.
    const scale = f32(2 / 255);
    const inv = f32(1 / scale);
    expect(inv).toBeLessThan(127.5);
    const ws = runOps([quantize([])], { X: fl([3], [0.5, 1, 2]) });
    const q = ws.FetchInt8Blob('Xq');
    expect([...q.data]).toEqual([64, 127, 255]);
    expect([q.scale, q.zero_point]).toEqual([scale, 0]);
  });

  it('no Y_scale, x=[-1, 3]: scale f32(4/255), zero point rint(1/scale = 63.75) = 64', () => {
    // from_min = 0 - (-1)/s = 63.75 (error 63.75) beats from_max = 255 - 3/s = 63.75 (error 446.25).
    const ws = runOps([quantize([])], { X: fl([2], [-1, 3]) });
    const q = ws.FetchInt8Blob('Xq');
    expect([q.scale, q.zero_point]).toEqual([f32(4 / 255), 64]);
    expect([...q.data]).toEqual([0, 255]);
  });

  it('3 inputs (X, scale tensor [0.5], zero point int32 tensor [3]) act like Y_scale/Y_zero_point', () => {
    const ws = runOps([quantize([], ['X', 'S', 'Z'])], {
      X: fl([2], [0.25, 0.75]),
      S: fl([1], [0.5]),
      Z: new Tensor('int32', [1], Int32Array.from([3])),
    });
    const q = ws.FetchInt8Blob('Xq');
    expect([...q.data, q.scale, q.zero_point]).toEqual([4, 4, 0.5, 3]);
  });

  it('followed_by "Relu" re-chooses Y_scale=0.05 Y_zero_point=100 as (f32(f32(0.05·155)/255), 0)', () => {
    const ws = runOps([quantize([f('Y_scale', 0.05), i('Y_zero_point', 100), s('followed_by', 'Relu')])], { X: fl([2], [-1, 0.5]) });
    const q = ws.FetchInt8Blob('Xq');
    const scale = f32(f32(f32(0.05) * 155) / 255);
    expect([q.scale, q.zero_point]).toEqual([scale, 0]);
    // 0.5 / 0.0303921569 = 16.45 -> 16
    expect([...q.data]).toEqual([0, 16]);
  });

  it('refusals: 2 inputs (enforce), an int32 X (enforce), NaN with dynamic qparams (invalid)', () => {
    expectError(() => runOps([quantize([], ['X', 'S'])], { X: fl([1], [1]), S: fl([1], [1]) }), 'enforce', /1 or 3 inputs/);
    expectError(() => runOps([quantize()], { X: new Tensor('int32', [1], Int32Array.from([1])) }), 'enforce', /IsType<float>/);
    expectError(() => runOps([quantize([])], { X: fl([2], [NaN, 1]) }), 'invalid', /NaN/);
  });

  it('refusals at creation: activation_precision 16 and followed_by "Sigmoid" are not implemented (unsupported)', () => {
    const e = expectError(() => runOps([quantize([f('Y_scale', 1), i('activation_precision', 16)])], { X: fl([1], [1]) }), 'unsupported', /8-bit/);
    expect(e.message).toContain('Int8Quantize');
    expectError(() => runOps([quantize([f('Y_scale', 1), s('followed_by', 'Sigmoid')])], { X: fl([1], [1]) }), 'unsupported', /Sigmoid/);
  });

  it('other DNNLOWP-family engines are refused by name (DNNLOWP_16)', () => {
    expectError(() => runOps([op('Int8Quantize', ['X'], ['Xq'], [f('Y_scale', 1)], { engine: 'DNNLOWP_16' })], { X: fl([1], [1]) }), 'unsupported', /DNNLOWP_16/);
  });
});

describe('Int8Dequantize (DNNLOWP)', () => {
  it('uint8 [0, 3, 255] with scale 0.25 zp 3 -> [-0.75, 0, 63]', () => {
    const ws = runOps([int8Fill('Q', [3], [0, 3, 255], 0.25, 3), op('Int8Dequantize', ['Q'], ['Y'], [], DNNLOWP)], {});
    expect([...(ws.FetchBlob('Y') as Tensor).data]).toEqual([-0.75, 0, 63]);
  });
  it('refuses a float tensor and an int32 Int8 tensor (enforce IsType<uint8_t>)', () => {
    expectError(() => runOps([op('Int8Dequantize', ['X'], ['Y'], [], DNNLOWP)], { X: fl([1], [1]) }), 'enforce', /IsType/);
    expectError(() => runOps([int32Fill('B', [1], [5]), op('Int8Dequantize', ['B'], ['Y'], [], DNNLOWP)], {}), 'enforce', /int32/);
  });
});

describe('golden notes: dynamic_input_qparams', () => {
  const cases = loadGoldenCases().filter((c) => c.name.startsWith('dnnlowp-'));
  for (const c of cases) {
    const meta = JSON.parse(readFileSync(join(c.dir, 'case.json'), 'utf8'));
    const notes: string[] | undefined = meta.notes?.dynamic_input_qparams;
    if (!notes) continue;
    it(`${c.name}: the dynamically quantized input carries ${notes[0]}`, () => {
      const ws = new Workspace();
      ws.RunNetOnce(c.init);
      for (const fd of c.feeds) ws.FeedBlob(fd.name, readNpyFile(join(c.dir, fd.file)));
      ws.RunNetOnce(c.predict);
      const quantizeOp = (c.predict.op ?? []).find((o) => o.type === 'Int8Quantize' && !(o.arg ?? []).some((a) => a.name === 'Y_scale'))!;
      const q = ws.FetchInt8Blob(quantizeOp.output![0]!);
      const m = /scale=[^(]*\(0x([0-9a-f]+)\) zp=(-?\d+)/.exec(notes[0]!)!;
      expect(float32Bits(q.scale)).toBe(parseInt(m[1]!, 16));
      expect(q.zero_point).toBe(Number(m[2]));
    });
  }
});
