// Int8Relu, Int8LeakyRelu, Int8Sigmoid, Int8Softmax (QNNPACK clamp, lookup tables and
// soft-argmax). Expected bytes are derived by hand from the upstream formulas (SEMANTICS.md §5,
// QNNPACK clamp.c / leaky-relu.c / sigmoid.c / softargmax.c, u8lut32norm); the arithmetic is
// shown next to each case. Table-level checks are in lut.test.ts.
import { describe, expect, it } from 'vitest';
import type { Argument } from '../src/proto/types.js';
import { f32 } from '../src/quant/float32.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { f, i, int32Fill, net, op, q8, thrown, yArgs } from './helpers.js';

const INV256 = 0.00390625;

/** Runs one op on X (an Int8Tensor) in a fresh workspace and returns Y. */
function run1(type: string, x: Int8Tensor, args: Argument[] = []): Int8Tensor {
  const ws = new Workspace();
  ws.setBlob('X', x);
  ws.RunNetOnce(net('n', [op(type, ['X'], ['Y'], args)], ['X']));
  return ws.getBlob('Y') as Int8Tensor;
}

describe('Int8Relu (QNNPACK clamp to [X.zp, 255], Ypass)', () => {
  it('X(0.5, zp 100) [5]: y = max(x, 100)', () => {
    const y = run1('Int8Relu', q8([0, 99, 100, 101, 255], [5], 0.5, 100), yArgs(0.5, 100));
    expect(Array.from(y.data)).toEqual([100, 100, 100, 101, 255]);
    expect([y.scale, y.zeroPoint, y.dims]).toEqual([0.5, 100, [5]]);
  });

  it('zero point 0 is the identity and 255 saturates everything (clamp allows min == max)', () => {
    expect(Array.from(run1('Int8Relu', q8([0, 7, 255], [3], 0.25, 0), yArgs(0.25, 0)).data)).toEqual([0, 7, 255]);
    expect(Array.from(run1('Int8Relu', q8([0, 7, 255], [3], 0.25, 255), yArgs(0.25, 255)).data)).toEqual([255, 255, 255]);
  });

  it('without Y args only X(scale 1, zp 0) passes the CHECK_EQs; otherwise fatal', () => {
    expect(Array.from(run1('Int8Relu', q8([3], [1], 1, 0)).data)).toEqual([3]);
    const zp = thrown(() => run1('Int8Relu', q8([3], [1], 0.5, 100), [f('Y_scale', 0.5)]));
    expect(zp.kind).toBe('fatal');
    expect(zp.message).toContain('Y_offset == X.zero_point');
    const sc = thrown(() => run1('Int8Relu', q8([3], [1], 0.5, 100), yArgs(0.25, 100)));
    expect(sc.kind).toBe('fatal');
    expect(sc.message).toContain('Y_scale == X.scale');
  });

  it('an input zero point outside [0, 255] is fatal before the argument checks', () => {
    for (const zp of [-1, 300]) {
      const e = thrown(() => run1('Int8Relu', q8([3], [1], 1, zp), yArgs(1, zp)));
      expect(e.kind).toBe('fatal');
      expect(e.message).toContain('X.zero_point in [0, 255]');
    }
  });

  it('in-place X -> X is allowed; empty [0,3] gives empty', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([1, 200], [2], 1, 50));
    ws.RunNetOnce(net('n', [op('Int8Relu', ['X'], ['X'], yArgs(1, 50))], ['X']));
    expect(Array.from((ws.getBlob('X') as Int8Tensor).data)).toEqual([50, 200]);
    const e = run1('Int8Relu', q8([], [0, 3], 1, 0));
    expect([e.dims, e.size]).toEqual([[0, 3], 0]);
  });

  it('an int32 Int8 input is a type mismatch', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [int32Fill('B', [2], [1, 2])]));
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Relu', ['B'], ['Y'])]))).message).toContain('Tensor type mismatch');
  });
});

describe('Int8LeakyRelu (QNNPACK lookup table, Yq)', () => {
  it('X(0.5, zp 100) -> Y(0.25, zp 10), alpha 0.25: ratio 2, y = lrintf(x < 0 ? x/4 : x) + 10, clamped', () => {
    // x = 2(i - 100): 100 -> 0 -> 10; 101 -> 2 -> 12; 99 -> -0.5 -> -0 -> 10; 97 -> -1.5 -> -2 -> 8;
    // 95 -> -2.5 -> -2 -> 8; 0 -> -50 -> clamp -10 -> 0; 222 -> 244 -> 254; 223 -> 246 -> 255.
    const y = run1('Int8LeakyRelu', q8([100, 101, 99, 97, 95, 0, 222, 223, 255], [9], 0.5, 100), [f('alpha', 0.25), ...yArgs(0.25, 10)]);
    expect(Array.from(y.data)).toEqual([10, 12, 10, 8, 8, 0, 254, 255, 255]);
    expect([y.scale, y.zeroPoint]).toEqual([0.25, 10]);
  });

  it('default alpha 0.01f: X(1, zp 200) -> Y(1, zp 128)', () => {
    // i=50: -150 * 0.01f = -1.49999997 -> f32 -1.5 -> lrintf -2 -> 126; i=100: -100 * 0.01f -> -1 -> 127;
    // i=150: -50 * 0.01f -> f32 -0.5 -> -0 -> 128; i=255: 55 -> 183.
    const y = run1('Int8LeakyRelu', q8([50, 100, 150, 255], [4], 1, 200), yArgs(1, 128));
    expect(Array.from(y.data)).toEqual([126, 127, 128, 183]);
  });

  it('alpha must be in (0, 1): checked when the op is created (enforce)', () => {
    for (const alpha of [0, 1, -0.5, 1.5, NaN]) {
      const ws = new Workspace();
      ws.setBlob('X', q8([1], [1], 1, 0));
      const e = thrown(() => ws.CreateNet(net('n', [op('Int8LeakyRelu', ['X'], ['Y'], [f('alpha', alpha)])], ['X'])));
      expect(e.kind).toBe('enforce');
      expect(e.message).toContain('alpha must be');
    }
    const ws = new Workspace();
    ws.setBlob('X', q8([1], [1], 1, 0));
    expect(thrown(() => ws.CreateNet(net('n', [op('Int8LeakyRelu', ['X'], ['Y'], [i('alpha', 0)])], ['X']))).message).toContain('expected field f');
  });

  it('a subnormal alpha passes Caffe2 but QNNPACK refuses it when the op first runs', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([1], [1], 1, 0));
    ws.CreateNet(net('n', [op('Int8LeakyRelu', ['X'], ['Y'], [f('alpha', 1e-40)])], ['X']));
    const e = thrown(() => ws.RunNet('n'));
    expect(e.kind).toBe('enforce');
    expect(e.message).toContain('failed to create QNNPACK Leaky ReLU operator');
  });

  it('Y_zero_point outside [0, 255] is fatal', () => {
    for (const zp of [-1, 256]) {
      const e = thrown(() => run1('Int8LeakyRelu', q8([1], [1], 1, 0), yArgs(1, zp)));
      expect(e.kind).toBe('fatal');
      expect(e.message).toContain('Y_zero_point in [0, 255]');
    }
  });

  it('input-to-output scale ratio must be in [2^-8, 2^8)', () => {
    // ratio 1/256 = 2^-8 is allowed: x = (255 - 0) / 256 = 0.996 -> 1.
    expect(Array.from(run1('Int8LeakyRelu', q8([255], [1], 1, 0), yArgs(256, 0)).data)).toEqual([1]);
    const e = thrown(() => run1('Int8LeakyRelu', q8([1], [1], 256, 0), yArgs(1, 0)));
    expect(e.kind).toBe('enforce');
    expect(e.message).toContain('scale ratio 256');
  });

  it('first-run caching: the table built from X(0.5, zp 100) is kept when X changes to (1, zp 0)', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([101, 97], [2], 0.5, 100));
    const def = net('n', [op('Int8LeakyRelu', ['X'], ['Y'], [f('alpha', 0.25), ...yArgs(0.25, 10)])], ['X']);
    ws.CreateNet(def);
    ws.RunNet('n');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([12, 8]);
    ws.setBlob('X', q8([101, 97], [2], 1, 0));
    ws.RunNet('n');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([12, 8]);
    // A fresh op uses ratio 4, zp 0: 101 -> 404 -> clamp 245 -> 255; 97 -> 255.
    ws.RunNetOnce(def);
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([255, 255]);
  });

  it('in-place X -> X is allowed', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([100, 101], [2], 0.5, 100));
    ws.RunNetOnce(net('n', [op('Int8LeakyRelu', ['X'], ['X'], [f('alpha', 0.25), ...yArgs(0.25, 10)])], ['X']));
    const y = ws.getBlob('X') as Int8Tensor;
    expect([Array.from(y.data), y.scale, y.zeroPoint]).toEqual([[10, 12], 0.25, 10]);
  });
});

describe('Int8Sigmoid (QNNPACK lookup table; Y must be scale 1/256, zp 0)', () => {
  it('X(0.05, zp 128) [3]: code 128 -> 128 (sigmoid 0 = 0.5), 0 -> 0, 255 -> 255', () => {
    // i=0: x = -6.4, 256 / (1 + e^6.4) = 0.425 -> 0; i=255: x = 6.35, 256 / 1.00175 = 255.55 -> 255 (clamp then round).
    const y = run1('Int8Sigmoid', q8([128, 0, 255], [3], 0.05, 128), yArgs(INV256, 0));
    expect(Array.from(y.data)).toEqual([128, 0, 255]);
    expect([y.scale, y.zeroPoint]).toEqual([INV256, 0]);
  });

  it('Y checks are fatal, zero point first: defaults (scale 1), zp 1, scale 0.0039', () => {
    const def = thrown(() => run1('Int8Sigmoid', q8([1], [1], 0.05, 128)));
    expect([def.kind, def.message.includes('Y_scale == 1.0f / 256.0f')]).toEqual(['fatal', true]);
    const both = thrown(() => run1('Int8Sigmoid', q8([1], [1], 0.05, 128), yArgs(0.5, 1)));
    expect(both.message).toContain('Y_zero_point == 0');
    expect(thrown(() => run1('Int8Sigmoid', q8([1], [1], 0.05, 128), yArgs(0.0039, 0))).kind).toBe('fatal');
  });

  it('input zero point narrows to uint8 (384 -> 128) and a zero input scale fails QNNPACK creation', () => {
    expect(Array.from(run1('Int8Sigmoid', q8([128], [1], 0.05, 384), yArgs(INV256, 0)).data)).toEqual([128]);
    const e = thrown(() => run1('Int8Sigmoid', q8([1], [1], 0, 0), yArgs(INV256, 0)));
    expect(e.kind).toBe('enforce');
    expect(e.message).toContain('failed to create QNNPACK Sigmoid operator');
  });

  it('in-place is not allowed (no AllowInplace in the schema); empty input gives empty output', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([1], [1], 0.05, 128));
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Sigmoid', ['X'], ['X'], yArgs(INV256, 0))], ['X']))).message).toContain('in-place');
    const y = run1('Int8Sigmoid', q8([], [2, 0], 0.05, 128), yArgs(INV256, 0));
    expect([y.dims, y.size]).toEqual([[2, 0], 0]);
  });

  it('first-run caching: the table from X(0.05, zp 128) is kept when X changes to (0.2, zp 60)', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([128], [1], 0.05, 128));
    ws.CreateNet(net('n', [op('Int8Sigmoid', ['X'], ['Y'], yArgs(INV256, 0))], ['X']));
    ws.RunNet('n');
    ws.setBlob('X', q8([128], [1], 0.2, 60));
    ws.RunNet('n');
    // The first-run table maps code 128 to sigmoid(0) = 128; a fresh table would map it to
    // sigmoid(0.2 * 68 = 13.6) -> 256 / (1 + 1.2e-6) -> 255.
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([128]);
    expect(Array.from(run1('Int8Sigmoid', q8([128], [1], 0.2, 60), yArgs(INV256, 0)).data)).toEqual([255]);
  });
});

describe('Int8Softmax (QNNPACK soft-argmax over all elements after dim 0)', () => {
  // With at most 512 elements per row the table scale is q = 2^23 - 1 = 8388607 and entry 255 = q.
  it('[3,1] single-element rows: y = min(255, floor((256q + floor(q/2)) / q)) = 255', () => {
    const y = run1('Int8Softmax', q8([0, 17, 255], [3, 1], 0.1, 0), yArgs(INV256, 0));
    expect(Array.from(y.data)).toEqual([255, 255, 255]);
    expect([y.scale, y.zeroPoint, y.dims]).toEqual([INV256, 0, [3, 1]]);
  });

  it('[2,2] rows [0, 255] and [10, 10] with scale 1', () => {
    // Row 1: max 255, t = [lut[0], lut[255]] = [lrint(q e^-255) = 0, q]; S = q;
    //   y = [floor(floor(q/2) / q) = 0, floor(256 + 4194303/8388607) = 256 -> 255].
    // Row 2: equal, t = [q, q], S = 2q: y = floor((256q + q) / 2q) = floor(128.5) = 128.
    expect(Array.from(run1('Int8Softmax', q8([0, 255, 10, 10], [2, 2], 1, 0), yArgs(INV256, 0)).data)).toEqual([0, 255, 128, 128]);
  });

  it('[2,1,2,2] (4-D NHWC): each batch item is one row of 4, not one row per pixel', () => {
    // Row 1 all equal: S = 4q, y = floor((256q + 2q) / 4q) = floor(64.5) = 64 (per pixel it would be 128).
    // Row 2 [0,0,0,255] with scale 1: lut[0] = 0, so y = [0, 0, 0, 255].
    const y = run1('Int8Softmax', q8([5, 5, 5, 5, 0, 0, 0, 255], [2, 1, 2, 2], 1, 0), yArgs(INV256, 0));
    expect(Array.from(y.data)).toEqual([64, 64, 64, 64, 0, 0, 0, 255]);
    expect(y.dims).toEqual([2, 1, 2, 2]);
  });

  it('the axis argument and the input zero point are ignored', () => {
    const y = run1('Int8Softmax', q8([5, 5, 5, 5], [1, 2, 2], 1, 77), [i('axis', 2), ...yArgs(INV256, 0)]);
    expect(Array.from(y.data)).toEqual([64, 64, 64, 64]);
  });

  it('[1,1025] equal values: the uint32 sum wraps (1025 * 4190212 = 2^32 + 4), so every output is 255', () => {
    // q = 4294967295 / 1025 = 4190211.995 -> entry 255 = 4190212; S = 4294967300 mod 2^32 = 4;
    // y = floor((4190212 * 256 + 2) / 4) = 268173568 -> 255. QNNPACK's overflow, reproduced.
    const y = run1('Int8Softmax', q8(new Array(1025).fill(9), [1, 1025], 0.1, 0), yArgs(INV256, 0));
    expect(Array.from(y.data).every((v) => v === 255)).toBe(true);
  });

  it('[1,1024] equal values: the sum wraps to exactly 0 and QNNPACK would divide by zero (invalid)', () => {
    // entry 255 = lrint(4294967295 / 1024 = 4194303.999) = 2^22; 1024 * 2^22 = 2^32 -> 0.
    const e = thrown(() => run1('Int8Softmax', q8(new Array(1024).fill(9), [1, 1024], 0.1, 0), yArgs(INV256, 0)));
    expect(e.kind).toBe('invalid');
    expect(e.message).toContain('divide by zero');
  });

  it('dimension 0 of size 0 is a division by zero in Caffe2 (invalid); [3,0] fails QNNPACK creation; 0-D fails', () => {
    expect(thrown(() => run1('Int8Softmax', q8([], [0, 5], 0.1, 0), yArgs(INV256, 0))).kind).toBe('invalid');
    const noChannels = thrown(() => run1('Int8Softmax', q8([], [3, 0], 0.1, 0), yArgs(INV256, 0)));
    expect([noChannels.kind, noChannels.message.includes('failed to create QNNPACK SoftArgMax operator')]).toEqual(['enforce', true]);
    expect(thrown(() => run1('Int8Softmax', q8([3], [], 0.1, 0), yArgs(INV256, 0))).kind).toBe('enforce');
  });

  it('Y checks are fatal, as for Int8Sigmoid; in-place is not allowed', () => {
    expect(thrown(() => run1('Int8Softmax', q8([1], [1, 1], 0.1, 0), yArgs(INV256, 3))).kind).toBe('fatal');
    expect(thrown(() => run1('Int8Softmax', q8([1], [1, 1], 0.1, 0))).message).toContain('Y_scale == 1.0f / 256.0f');
    const ws = new Workspace();
    ws.setBlob('X', q8([1], [1, 1], 0.1, 0));
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Softmax', ['X'], ['X'], yArgs(INV256, 0))], ['X']))).message).toContain('in-place');
  });

  it('first-run caching: the channel count and table scale are frozen; the batch may change', () => {
    const ws = new Workspace();
    ws.setBlob('X', q8([0, 255, 10, 10], [2, 2], 1, 0));
    ws.CreateNet(net('n', [op('Int8Softmax', ['X'], ['Y'], yArgs(INV256, 0))], ['X']));
    ws.RunNet('n');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([0, 255, 128, 128]);
    // Scale 0.001 now: a fresh table would give lut[0] = lrint(q e^-0.255) = 6500470, S = 14889077,
    // y = [floor((6500470*256 + 7444538)/14889077) = 112, floor((q*256 + 7444538)/14889077) = 144].
    // The created op still uses the scale-1 table; a third row is fine (same 2 channels).
    ws.setBlob('X', q8([0, 255, 10, 10, 3, 3], [3, 2], f32(0.001), 0));
    ws.RunNet('n');
    expect(Array.from((ws.getBlob('Y') as Int8Tensor).data)).toEqual([0, 255, 128, 128, 128, 128]);
    expect(Array.from(run1('Int8Softmax', q8([0, 255], [1, 2], f32(0.001), 0), yArgs(INV256, 0)).data)).toEqual([112, 144]);
    // A different channel count per row is refused.
    ws.setBlob('X', q8([1, 2, 3], [1, 3], 1, 0));
    const e = thrown(() => ws.RunNet('n'));
    expect(e.kind).toBe('invalid');
    expect(e.message).toContain('created on its first run for 2');
  });
});
