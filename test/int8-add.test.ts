// Int8Add / Int8AddRelu / Int8Sum / Int8SumRelu (QNNPACK add) and the add requantization
// helpers. Expected bytes are derived by hand from SEMANTICS.md §3.3 and QNNPACK's add.c /
// requantization.h / q8vadd; the arithmetic is shown next to each case.
import { describe, expect, it } from 'vitest';
import { addElement, addQuantization, type AddOperands } from '../src/quant/add-requantize.js';
import { f32 } from '../src/quant/float32.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { f, i, int32Fill, int8Fill, net, op, thrown } from './helpers.js';

const operands = (o: Partial<AddOperands>): AddOperands => ({
  aZeroPoint: 0, aScale: 1, bZeroPoint: 0, bScale: 1, yZeroPoint: 0, yScale: 1, yMin: 0, yMax: 255, ...o,
});

/** Runs `type` on A and B made by Int8GivenTensorFill and returns Y. */
function runAdd(
  type: string,
  a: { shape: number[]; values: number[]; scale: number; zp: number },
  b: { shape: number[]; values: number[]; scale: number; zp: number },
  yArgs: { scale?: number; zp?: number },
): Int8Tensor {
  const ws = new Workspace();
  ws.RunNetOnce(net('init', [int8Fill('A', a.shape, a.values, a.scale, a.zp), int8Fill('B', b.shape, b.values, b.scale, b.zp)]));
  const args = [];
  if (yArgs.scale !== undefined) args.push(f('Y_scale', yArgs.scale));
  if (yArgs.zp !== undefined) args.push(i('Y_zero_point', yArgs.zp));
  ws.RunNetOnce(net('n', [op(type, ['A', 'B'], ['Y'], args)], ['A', 'B']));
  return ws.getBlob('Y') as Int8Tensor;
}

describe('addQuantization / addElement (qnnp_compute_add_quantization_params, q8vadd)', () => {
  it('worked example: A(0.1, zp 128) + B(0.07, zp 100) -> Y(0.13, zp 64)', () => {
    const q = addQuantization(operands({ aZeroPoint: 128, aScale: f32(0.1), bZeroPoint: 100, bScale: f32(0.07), yZeroPoint: 64, yScale: f32(0.13) }));
    // ra = f32(0.1f/0.13f) = 0.7692308, rb = f32(0.07f/0.13f) = 0.53846157; the larger has
    // exponent -1, so shift = 21 - (-1) = 22; am = lrintf(0.7692308 * 2^22) = 3226388,
    // bm = lrintf(0.53846157 * 2^22) = 2258472; zpp = -(3226388*128 + 2258472*100) = -638824864.
    expect(q.shift).toBe(22);
    expect(q.aMultiplier).toBe(3226388);
    expect(q.bMultiplier).toBe(2258472);
    expect(q.zeroPointProduct).toBe(-638824864);
    // a=200, b=10: acc = -638824864 + 645277600 + 22584720 = 29037456; >>22 = 6, remainder
    // 3871632 > 2097151 -> 7; + 64 = 71.
    expect(addElement(q, 200, 10)).toBe(71);
    // a=3, b=250: acc = -64527700; >>22 = -16, remainder 2581164 - 1 > 2097151 -> -15; + 64 = 49.
    expect(addElement(q, 3, 250)).toBe(49);
    // a=130, b=99: acc = 4194304 = exactly 1 << 22 -> 1; + 64 = 65.
    expect(addElement(q, 130, 99)).toBe(65);
  });

  it('rounds exact halves away from zero: ratios 0.5/0.5, A zp 10, B zp 0, Y zp 100', () => {
    // ratios 0.5 -> exponent -1 -> shift 22, am = bm = 0.5 * 2^22 = 2^21, so v = rhaz((a-10 + b)/2).
    const q = addQuantization(operands({ aZeroPoint: 10, aScale: 0.5, bScale: 0.5, yZeroPoint: 100 }));
    expect([q.shift, q.aMultiplier, q.bMultiplier]).toEqual([22, 2 ** 21, 2 ** 21]);
    expect(addElement(q, 0, 5)).toBe(97); // -5/2 = -2.5 -> -3
    expect(addElement(q, 0, 15)).toBe(103); // 5/2 = 2.5 -> 3
    expect(addElement(q, 10, 1)).toBe(101); // 0.5 -> 1
    expect(addElement(q, 9, 0)).toBe(99); // -0.5 -> -1
    expect(addElement(q, 10, 0)).toBe(100); // 0/2 = 0 -> 0
  });

  it('saturates at 0 and 255 and applies [yMin, yMax]', () => {
    // scales all 1: ratio 1 -> shift 21, am = bm = 2^21, so v = (a - azp) + (b - bzp) exactly.
    const q = addQuantization(operands({ yZeroPoint: 200 }));
    expect(addElement(q, 30, 30)).toBe(255); // 60 + 200 = 260 -> 255
    expect(addElement(q, 20, 30)).toBe(250);
    const qn = addQuantization(operands({ aZeroPoint: 255, bZeroPoint: 255, yZeroPoint: 0 }));
    expect(addElement(qn, 0, 0)).toBe(0); // -510 -> 0
    const qr = addQuantization(operands({ aZeroPoint: 50, yZeroPoint: 100, yMin: 100 }));
    expect(addElement(qr, 0, 10)).toBe(100); // -50 + 10 + 100 = 60 -> relu floor 100
    expect(addElement(qr, 60, 10)).toBe(120);
  });

  it('shift 31 (larger ratio exactly 2^-10) rounds correctly at the widest mask', () => {
    // ratio 2^-10 -> exponent -10 -> shift 31, am = bm = 2^-10 * 2^31 = 2^21; mask = 2^31 - 1.
    const s = 2 ** -10;
    const q = addQuantization(operands({ aScale: s, bScale: s, yZeroPoint: 7 }));
    expect([q.shift, q.aMultiplier]).toEqual([31, 2 ** 21]);
    // a=b=255: acc = 2^21 * 510 = 1069547520 < 2^30 (half of 2^31) -> 0, + 7 = 7.
    expect(addElement(q, 255, 255)).toBe(7);
    const qn = addQuantization(operands({ aZeroPoint: 255, aScale: s, bZeroPoint: 255, bScale: s, yZeroPoint: 7 }));
    // acc = -1069547520: >>31 = -1, remainder (2^31 - 1069547520) - 1 = 1077936127 > 2^30 - 1 -> 0.
    expect(addElement(qn, 0, 0)).toBe(7);
  });

  it('ratio bounds: [2^-14, 2^8) per input (enforce), larger ratio >= 2^-10 (invalid: shift > 31)', () => {
    const justBelow256 = f32(256 - 2 ** -16); // largest float below 2^8
    // larger ratio just below 2^8: exponent 7 -> shift 14.
    expect(addQuantization(operands({ aScale: justBelow256 })).shift).toBe(14);
    // A ratio exactly 2^-14 is allowed next to a larger B ratio (1 -> shift 21): am = 2^-14 * 2^21 = 128.
    expect(addQuantization(operands({ aScale: 2 ** -14 })).aMultiplier).toBe(128);
    const tooBig = thrown(() => addQuantization(operands({ aScale: 256 })));
    expect(tooBig.kind).toBe('enforce');
    expect(tooBig.message).toContain('failed to create QNNPACK add operator');
    expect(thrown(() => addQuantization(operands({ bScale: f32(2 ** -14 * (1 - 2 ** -24)) }))).kind).toBe('enforce');
    // Both ratios below 2^-10: QNNPACK's ratio checks pass but its shift would be 32..35.
    const tiny = thrown(() => addQuantization(operands({ aScale: 2 ** -12, bScale: 2 ** -11 })));
    expect(tiny.kind).toBe('invalid');
    expect(tiny.message).toContain('shift of 32');
  });

  it('refuses non-positive, subnormal or non-finite scales and an empty output range', () => {
    for (const bad of [0, -1, 1e-40, Infinity, NaN]) {
      expect(thrown(() => addQuantization(operands({ yScale: bad }))).message).toContain('output scale');
      expect(thrown(() => addQuantization(operands({ aScale: bad }))).message).toContain('A scale');
    }
    expect(thrown(() => addQuantization(operands({ yMin: 255, yMax: 255 }))).message).toContain('output range [255, 255]');
  });
});

describe('Int8Add family through a workspace', () => {
  const A = { shape: [1, 1, 1, 3], values: [200, 3, 130], scale: 0.1, zp: 128 };
  const B = { shape: [1, 1, 1, 3], values: [10, 250, 99], scale: 0.07, zp: 100 };

  it('Int8Add [1,1,1,3], worked example: Y = [71, 49, 65] with Y_scale 0.13, Y_zero_point 64', () => {
    const y = runAdd('Int8Add', A, B, { scale: 0.13, zp: 64 });
    expect(Array.from(y.data)).toEqual([71, 49, 65]);
    expect(y.dims).toEqual([1, 1, 1, 3]);
    expect(y.scale).toBe(f32(0.13));
    expect(y.zeroPoint).toBe(64);
  });

  it('Int8Sum is Int8Add and Int8SumRelu is Int8AddRelu', () => {
    expect(Array.from(runAdd('Int8Sum', A, B, { scale: 0.13, zp: 64 }).data)).toEqual([71, 49, 65]);
    // AddRelu, Y zp 64: relu floor = clamp(64, 0, 255) = 64, so [71, 49, 65] -> [71, 64, 65].
    expect(Array.from(runAdd('Int8AddRelu', A, B, { scale: 0.13, zp: 64 }).data)).toEqual([71, 64, 65]);
    expect(Array.from(runAdd('Int8SumRelu', A, B, { scale: 0.13, zp: 64 }).data)).toEqual([71, 64, 65]);
  });

  it('Int8Add [2,5] (8+ elements), unit scales: y = (a - 3) + (b - 5) + 10 clamped to [0, 255]', () => {
    // All scales 1: ratio 1 -> shift 21, am = bm = 2^21, so the sum is exact.
    const a = [0, 3, 100, 200, 255, 7, 8, 9, 10, 250];
    const b = [0, 5, 100, 100, 255, 1, 2, 3, 4, 0];
    const y = runAdd('Int8Add', { shape: [2, 5], values: a, scale: 1, zp: 3 }, { shape: [2, 5], values: b, scale: 1, zp: 5 }, { scale: 1, zp: 10 });
    // 0-3+0-5+10 = 2; 10; 202; 302 -> 255; 512 -> 255; 10; 12; 14; 16; 252
    expect(Array.from(y.data)).toEqual([2, 10, 202, 255, 255, 10, 12, 14, 16, 252]);
  });

  it('defaults Y_scale 1 and Y_zero_point 0 when the args are absent', () => {
    const y = runAdd('Int8Add', { shape: [2], values: [4, 6], scale: 1, zp: 0 }, { shape: [2], values: [1, 2], scale: 1, zp: 0 }, {});
    expect(Array.from(y.data)).toEqual([5, 8]);
    expect([y.scale, y.zeroPoint]).toEqual([1, 0]);
  });

  it('Int8AddRelu with Y_zero_point -5: QNNPACK gets zp 251 and floor 0; the tensor records -5', () => {
    // relu floor = QuantizeUint8(1, -5, 0.0) = clamp(-5, 0, 255) = 0; zp narrowed: -5 & 255 = 251.
    // unit scales: y = clamp(a + b + 251, 0, 255): 1+2 -> 254, 3+2 -> 256 -> 255, 0+0 -> 251.
    const y = runAdd('Int8AddRelu', { shape: [3], values: [1, 3, 0], scale: 1, zp: 0 }, { shape: [3], values: [2, 2, 0], scale: 1, zp: 0 }, { scale: 1, zp: -5 });
    expect(Array.from(y.data)).toEqual([254, 255, 251]);
    expect(y.zeroPoint).toBe(-5);
  });

  it('Int8Add with Y_zero_point 300: QNNPACK gets 300 & 255 = 44; input zero points narrow too', () => {
    // A zp 260 -> 4 for QNNPACK. unit scales: y = (a - 4) + b + 44: a=4,b=0 -> 44; a=10,b=1 -> 51.
    const y = runAdd('Int8Add', { shape: [2], values: [4, 10], scale: 1, zp: 260 }, { shape: [2], values: [0, 1], scale: 1, zp: 0 }, { scale: 1, zp: 300 });
    expect(Array.from(y.data)).toEqual([44, 51]);
    expect(y.zeroPoint).toBe(300);
  });

  it('empty inputs [0,4] give an empty [0,4] output with the Y qparams', () => {
    const y = runAdd('Int8Add', { shape: [0, 4], values: [], scale: 0.5, zp: 1 }, { shape: [0, 4], values: [], scale: 0.5, zp: 1 }, { scale: 0.25, zp: 9 });
    expect(y.dims).toEqual([0, 4]);
    expect(y.size).toBe(0);
    expect([y.scale, y.zeroPoint]).toEqual([0.25, 9]);
  });

  it('in-place A -> Y and B -> Y are allowed and read the inputs before writing', () => {
    for (const out of ['A', 'B']) {
      const ws = new Workspace();
      ws.RunNetOnce(net('init', [int8Fill('A', [3], [200, 3, 130], 0.1, 128), int8Fill('B', [3], [10, 250, 99], 0.07, 100)]));
      ws.RunNetOnce(net('n', [op('Int8Add', ['A', 'B'], [out], [f('Y_scale', 0.13), i('Y_zero_point', 64)])]));
      const y = ws.getBlob(out) as Int8Tensor;
      expect(Array.from(y.data)).toEqual([71, 49, 65]);
      expect([y.scale, y.zeroPoint]).toEqual([f32(0.13), 64]);
    }
  });

  it('rejects shapes that differ, even with the same element count ([2,3] + [3,2])', () => {
    const e = thrown(() => runAdd('Int8Add', { shape: [2, 3], values: [1, 2, 3, 4, 5, 6], scale: 1, zp: 0 }, { shape: [3, 2], values: [1, 2, 3, 4, 5, 6], scale: 1, zp: 0 }, {}));
    expect(e.kind).toBe('enforce');
    expect(e.message).toContain('broadcast semantics is not supported');
    expect(e.message).toContain('Int8Add');
  });

  it('AddRelu with Y_zero_point 255 or 300 fails creation (relu floor 255 = max); plain Add with 255 is fine', () => {
    for (const zp of [255, 300]) {
      const e = thrown(() => runAdd('Int8AddRelu', A, B, { scale: 0.13, zp }));
      expect(e.kind).toBe('enforce');
      expect(e.message).toContain('failed to create QNNPACK add operator');
    }
    // Plain Add, Y zp 255: [71, 49, 65] - 64 + 255 -> [262, 240, 256] -> [255, 240, 255].
    expect(Array.from(runAdd('Int8Add', A, B, { scale: 0.13, zp: 255 }).data)).toEqual([255, 240, 255]);
  });

  it('input counts: Int8Add with 3 inputs fails the schema; Int8Sum with 1 or 3 inputs fails when run', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int8Fill('A', [1], [1], 1, 0), int8Fill('B', [1], [1], 1, 0), int8Fill('C', [1], [1], 1, 0)]));
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Add', ['A', 'B', 'C'], ['Y'])]))).message).toContain('schema');
    for (const inputs of [['A'], ['A', 'B', 'C']]) {
      const e = thrown(() => ws.RunNetOnce(net('n', [op('Int8Sum', inputs, ['Y'])])));
      expect(e.kind).toBe('enforce');
      expect(e.message).toContain('exactly 2 inputs');
    }
  });

  it('argument and input type errors: Y_scale as int, a float input, an int32 Int8 input', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int8Fill('A', [2], [1, 2], 1, 0), int8Fill('B', [2], [1, 2], 1, 0), int32Fill('I', [2], [1, 2])]));
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Add', ['A', 'B'], ['Y'], [i('Y_scale', 1)])]))).message).toContain('expected field f');
    ws.FeedBlob('F', new Float32Array([1, 2]), [2]);
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Add', ['A', 'F'], ['Y'])]))).message).toContain('wrong type for the Blob instance');
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Add', ['A', 'I'], ['Y'])]))).message).toContain('Tensor type mismatch');
  });

  it('first-run caching: a created net keeps the first run\'s input scales; RunNetOnce does not', () => {
    const ws = new Workspace();
    // A scale 1 -> unit ratios: y = a + b = 4 + 6 = 10.
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([4]), [1], 1, 0));
    ws.setBlob('B', new Int8Tensor(Uint8Array.from([6]), [1], 1, 0));
    const def = net('cached', [op('Int8Add', ['A', 'B'], ['Y'], [f('Y_scale', 1), i('Y_zero_point', 0)])], ['A', 'B']);
    ws.CreateNet(def);
    ws.RunNet('cached');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([10]);
    // Now A claims scale 2 (and zp 1): a fresh op computes (4-1)*2 + 6 = 12,
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([4]), [1], 2, 1));
    ws.RunNetOnce(def);
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([12]);
    // but the created op still uses scale 1, zp 0 from its first run: 4 + 6 = 10.
    ws.RunNet('cached');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([10]);
  });

  it('a failed first run creates nothing: the next run creates the operator with the new qparams', () => {
    const ws = new Workspace();
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([4]), [1], 300, 0)); // ratio 300 >= 2^8
    ws.setBlob('B', new Int8Tensor(Uint8Array.from([6]), [1], 1, 0));
    ws.CreateNet(net('retry', [op('Int8Add', ['A', 'B'], ['Y'])], ['A', 'B']));
    expect(thrown(() => ws.RunNet('retry')).message).toContain('failed to create QNNPACK add operator');
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([4]), [1], 1, 0));
    ws.RunNet('retry');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([10]);
  });

  it('later runs may change the shape (only qparams are frozen): [1] then [2,2]', () => {
    const ws = new Workspace();
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([1]), [1], 1, 0));
    ws.setBlob('B', new Int8Tensor(Uint8Array.from([2]), [1], 1, 0));
    ws.CreateNet(net('shapes', [op('Int8Add', ['A', 'B'], ['Y'])], ['A', 'B']));
    ws.RunNet('shapes');
    ws.setBlob('A', new Int8Tensor(Uint8Array.from([1, 2, 3, 4]), [2, 2], 1, 0));
    ws.setBlob('B', new Int8Tensor(Uint8Array.from([10, 20, 30, 40]), [2, 2], 1, 0));
    ws.RunNet('shapes');
    const y = ws.getBlob('Y') as Int8Tensor;
    expect(y.dims).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual([11, 22, 33, 44]);
  });
});
