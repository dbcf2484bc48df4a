// Int8RoIAlign (SEMANTICS.md §5; upstream caffe2/operators/quantized/int8_roi_align_op.h).
// There are no golden vectors: every expected byte below is worked out by hand from the
// upstream arithmetic, summarised here.
//
// Per RoI (all float32): box * spatial_scale, roi = max(x2 - x1, 1), bin = roi / pooled,
// grid = sampling_ratio > 0 ? sampling_ratio : ceil(bin), sample = x1 + p*bin + (i + .5)*bin/grid.
// Each sample has uint8 weights nearbyint(hy*hx*255) etc., so an exact pixel centre gives
// (255, 0, 0, 0) and an exact midpoint in both axes gives nearbyint(0.25*255 = 63.75) = 64 on each
// of four pixels (sum 256, not 255). acc = Σ_samples (Σ w*q - 255*X.zp); the multiplier is
// X.s / (Y.s * 255 * count) in double, and y = clamp(RDBP(SRDHM(acc, M), shift) + Y.zp, 0, 255).
//
// With X.s = Y.s = 1 and one sample per bin the multiplier is 1/255: frexp gives q = 128/255,
// e = -7, so M = nearbyint(2^38 / 255) = 1077952576 (2^38/255 = 1077952576.25) and shift = 7.
// Since M = (2^38 - 64)/255, acc*M/2^31 = acc*128/255 - acc/(255*2^25): acc*128/255 less under
// 1e-6 for our accumulators. SRDHM rounds that to nearest and RDBP(., 7) divides by 128 rounding
// to nearest, ties away from zero.
// For a full-weight sample acc = 255*(q - zp) and SRDHM gives exactly 128*(q - zp), so the
// output is q - zp + Y.zp.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { expectError, f, i, op, s } from './helpers.js';

/** X (n,4,4,c) with q(b, y, x, ch) = 10*y + x + 100*b + 100*ch. */
function feature(n = 1, c = 1, scale = 1, zp = 0): Int8Tensor {
  const data = new Uint8Array(n * 16 * c);
  for (let b = 0; b < n; b++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let ch = 0; ch < c; ch++) {
    data[((b * 4 + y) * 4 + x) * c + ch] = 10 * y + x + 100 * b + 100 * ch;
  }
  return new Int8Tensor(data, [n, 4, 4, c], scale, zp);
}

const rois = (rows: number[][]) => new Tensor('float32', [rows.length, rows[0]?.length ?? 4], Float32Array.from(rows.flat()));

function roiAlign(args: Argument[], inputs = ['x', 'r'], outputs = ['y']): OperatorDef {
  return op('Int8RoIAlign', inputs, outputs, args);
}

function run(args: Argument[], x: Int8Tensor | Tensor, r: Tensor) {
  const ws = new Workspace();
  ws.setBlob('x', x);
  ws.setBlob('r', r);
  ws.RunOperatorOnce(roiAlign(args));
  const y = ws.FetchInt8Blob('y');
  return { data: Array.from(y.data), dims: y.dims, scale: y.scale, zp: y.zero_point };
}

const P2 = [i('pooled_h', 2), i('pooled_w', 2)];
const SR1 = i('sampling_ratio', 1);

describe('Int8RoIAlign: hand-computed cases on a 1x4x4x1 map q = 10y + x', () => {
  it('exact pixel centres: RoI [0.5,0.5,2.5,2.5], pooled 2x2, sampling 1, Y.zp 5 -> q(1,1..2), q(2,1..2) + 5', () => {
    // bin 1, samples at 0.5 + p + 0.5 = 1, 2 in both axes: full weight on pixels 11, 12, 21, 22.
    const y = run([...P2, SR1, f('Y_scale', 1), i('Y_zero_point', 5)], feature(), rois([[0.5, 0.5, 2.5, 2.5]]));
    expect(y).toEqual({ data: [16, 17, 26, 27], dims: [1, 2, 2, 1], scale: 1, zp: 5 });
  });

  it('exact midpoints: RoI [0,0,2,2], pooled 2x2, sampling 1 -> [6,7,16,17]', () => {
    // Samples at 0.5 and 1.5: each bin averages four pixels with weights 64 (sum 256).
    // bin (0,0): 64*(0+1+10+11) = 1408; 1408*M = 1517757227008, +2^30, /2^31 -> 707; 707 = 5*128 + 67 -> 6.
    // bin (0,1): 64*(1+2+11+12) = 1664; 1664*128/255 = 835.26 -> 835 = 6*128 + 67 -> 7.
    // bin (1,0): 64*(10+11+20+21) = 3968; 507904/255 = 1991.78 -> 1992 = 15*128 + 72 -> 16.
    // bin (1,1): 64*66 = 4224; 540672/255 = 2120.28 -> 2120 = 16*128 + 72 -> 17.
    // (A weight of 63.75 would give the plain averages 5.5, 6.5, 15.5, 16.5.)
    const y = run([...P2, SR1], feature(), rois([[0, 0, 2, 2]]));
    expect(y.data).toEqual([6, 7, 16, 17]);
  });

  it('adaptive sampling (default -1): RoI [0,0,2,2], pooled 1 -> grid ceil(2) = 2x2, count 4 -> 11', () => {
    // Four midpoint samples: 64*(22 + 26 + 62 + 66) = 64*176 = 11264. Multiplier 1/1020:
    // q = 512/1020 = 128/255 again (M = 1077952576), e = -9 -> shift 9.
    // SRDHM: 11264*128/255 = 5654.09 -> 5654; RDBP(5654, 9): 5654 = 11*512 + 22 -> 11.
    const y = run([], feature(), rois([[0, 0, 2, 2]]));
    expect(y).toEqual({ data: [11], dims: [1, 1, 1, 1], scale: 1, zp: 0 });
  });

  it('5 columns with batch index 0 give the same result as 4 columns', () => {
    const y = run([...P2, SR1, i('Y_zero_point', 5)], feature(), rois([[0, 0.5, 0.5, 2.5, 2.5]]));
    expect(y.data).toEqual([16, 17, 26, 27]);
  });

  it('Y_scale 0.5: multiplier 2/255 (same M, shift 6) doubles the values: 2q + 5', () => {
    // SRDHM(255q, M) = 128q exactly, RDBP(128q, 6) = 2q.
    const y = run([...P2, SR1, f('Y_scale', 0.5), i('Y_zero_point', 5)], feature(), rois([[0.5, 0.5, 2.5, 2.5]]));
    expect(y).toEqual({ data: [27, 29, 47, 49], dims: [1, 2, 2, 1], scale: 0.5, zp: 5 });
  });

  it('the output clamps to [0,255]: Y.zp 240 -> [251,252,255,255]; Y.zp -15 -> [0,0,6,7]', () => {
    const r = rois([[0.5, 0.5, 2.5, 2.5]]);
    expect(run([...P2, SR1, i('Y_zero_point', 240)], feature(), r).data).toEqual([251, 252, 255, 255]);
    const low = run([...P2, SR1, i('Y_zero_point', -15)], feature(), r);
    expect(low.data).toEqual([0, 0, 6, 7]);
    expect(low.zp).toBe(-15); // recorded as given, no uint8 narrowing (not a QNNPACK op)
  });

  it('spatial_scale 0.5 on RoI [1,1,5,5] equals RoI [0.5,0.5,2.5,2.5]', () => {
    const y = run([...P2, SR1, f('spatial_scale', 0.5), i('Y_zero_point', 5)], feature(), rois([[1, 1, 5, 5]]));
    expect(y.data).toEqual([16, 17, 26, 27]);
  });

  it('aligned=1 subtracts 0.5: RoI [1,1,3,3] equals [0.5,0.5,2.5,2.5] unaligned', () => {
    const y = run([...P2, SR1, i('aligned', 1), i('Y_zero_point', 5)], feature(), rois([[1, 1, 3, 3]]));
    expect(y.data).toEqual([16, 17, 26, 27]);
  });

  it('a malformed RoI [1,1,0,0] is forced to 1x1: one sample at (1.5,1.5) -> 64*66 = 4224 -> 17', () => {
    const y = run([SR1], feature(), rois([[1, 1, 0, 0]]));
    expect(y.data).toEqual([17]);
  });

  it('two channels are independent: channel 1 = q + 100', () => {
    const y = run([...P2, SR1, i('Y_zero_point', 5)], feature(1, 2), rois([[0.5, 0.5, 2.5, 2.5]]));
    expect(y).toEqual({ data: [16, 116, 17, 117, 26, 126, 27, 127], dims: [1, 2, 2, 2], scale: 1, zp: 5 });
  });

  it('batch index selects the image (and truncates: 1.7 -> 1): image 1 is q + 100', () => {
    const y = run([...P2, SR1, i('Y_zero_point', 5)], feature(2), rois([[1, 0.5, 0.5, 2.5, 2.5], [0, 0.5, 0.5, 2.5, 2.5], [1.7, 0.5, 0.5, 2.5, 2.5], [-0.5, 0.5, 0.5, 2.5, 2.5]]));
    expect(y.dims).toEqual([4, 2, 2, 1]);
    expect(y.data).toEqual([116, 117, 126, 127, 16, 17, 26, 27, 116, 117, 126, 127, 16, 17, 26, 27]);
  });

  it('X.scale 0: multiplier 0 -> (M, shift) = (0, 0), every output is Y.zp', () => {
    const y = run([...P2, SR1, i('Y_zero_point', 9)], feature(1, 1, 0, 0), rois([[0.5, 0.5, 2.5, 2.5]]));
    expect(y.data).toEqual([9, 9, 9, 9]);
  });
});

describe('Int8RoIAlign: samples outside the map (X.zp 3, Y.zp 10)', () => {
  // Every sample subtracts 255*X.zp, empty ones included, so an empty sample counts as q = 0:
  // acc = -765, SRDHM(-765, M) = trunc(-383.99999991 - 0.49999999953) = -384, RDBP(-384, 7) = -3,
  // -3 + 10 = 7. A full-weight sample on q gives q - 3 + 10.
  const args = [SR1, f('Y_scale', 1), i('Y_zero_point', 10)];

  it('RoI [2,2,6,6], pooled 2x2: samples at 3 and 5; only (3,3) is inside -> [40,7,7,7]', () => {
    // (3,3): y_low = 3 >= H-1 so it snaps to row/col 3 with weight 255 on q = 33 -> 30 + 10.
    // 5 > 4 in either axis: empty.
    const y = run([...args, ...P2], feature(1, 1, 1, 3), rois([[2, 2, 6, 6]]));
    expect(y.data).toEqual([40, 7, 7, 7]);
  });

  it.each([
    [[3, 3, 4, 4], 40, 'sample (3.5,3.5) lies in (H-1, H]: snapped to pixel (3,3) = 33'],
    [[0.5, 3.5, 1.5, 4.5], 38, 'y = 4.0 is not > H: snapped to row 3; x = 1 -> pixel (3,1) = 31'],
    [[0.5, 4.5, 1.5, 5.5], 7, 'y = 5.0 > H: empty'],
    [[-1.5, 0.5, -0.5, 1.5], 17, 'x = -1.0 is not < -1: clamped to 0 -> pixel (1,0) = 10'],
    [[-2, 0.5, -1, 1.5], 7, 'x = -1.5 < -1: empty'],
  ])('pooled 1x1 RoI %j -> %s (%s)', (roi, want) => {
    const y = run(args, feature(1, 1, 1, 3), rois([roi]));
    expect(y.data).toEqual([want]);
  });
});

describe('Int8RoIAlign: empty RoIs', () => {
  it.each([
    [[0, 4], 'float32'],
    [[0, 5], 'float32'],
    [[0, 4], 'int32'],
    [[3, 0], 'float32'],
  ] as const)('R %j %s -> Y (0, pooled_h, pooled_w, C) with the Y args', (dims, dtype) => {
    const r = dtype === 'float32' ? new Tensor('float32', [...dims], new Float32Array(0)) : new Tensor('int32', [...dims], new Int32Array(0));
    const y = run([i('pooled_h', 2), i('pooled_w', 3), f('Y_scale', 0.25), i('Y_zero_point', 7)], feature(1, 5), r);
    expect(y).toEqual({ data: [], dims: [0, 2, 3, 5], scale: 0.25, zp: 7 });
  });

  it('a rank-3 X still fails reading dim 3 (enforce)', () => {
    const x = new Int8Tensor(new Uint8Array(16), [1, 4, 4], 1, 0);
    expectError(() => run([], x, new Tensor('float32', [0, 4], new Float32Array(0))), 'enforce', /Exceeding ndim limit/);
  });
});

describe('Int8RoIAlign: errors', () => {
  const one = () => rois([[0, 0, 2, 2]]);

  it('order NCHW (or any string but exactly "NHWC"): enforce at creation', () => {
    expectError(() => run([s('order', 'NCHW')], feature(), one()), 'enforce', /only supports order NHWC/);
    expectError(() => run([s('order', 'nhwc')], feature(), one()), 'enforce', /only supports order NHWC/);
    expect(run([s('order', 'NHWC')], feature(), one()).data).toEqual([11]);
  });

  it.each([
    [[i('pooled_h', 0)], /pooled_h and pooled_w must be positive/],
    [[i('pooled_w', -1)], /pooled_h and pooled_w must be positive/],
    [[f('spatial_scale', 0)], /spatial_scale must be positive/],
  ])('DCHECKed arguments %j are refused at creation (invalid)', (args, re) => {
    expectError(() => run(args, feature(), one()), 'invalid', re);
  });

  it('R 1-D: enforce; R with 3 columns: enforce', () => {
    expectError(() => run([], feature(), new Tensor('float32', [4], Float32Array.from([0, 0, 2, 2]))), 'enforce', /must be 2-D/);
    expectError(() => run([], feature(), rois([[0, 0, 2]])), 'enforce', /4 or 5 columns/);
  });

  it('R int32 (non-empty): Tensor type mismatch (enforce)', () => {
    expectError(() => run([], feature(), new Tensor('int32', [1, 4], Int32Array.from([0, 0, 2, 2]))), 'enforce', /caller expects elements of float/);
  });

  it('X with int32 data: Tensor type mismatch (enforce)', () => {
    const x = new Int8Tensor(new Int32Array(16), [1, 4, 4, 1], 1, 0);
    expectError(() => run([], x, one()), 'enforce', /caller expects elements of uint8/);
  });

  it('X rank 3: enforce; rank 5: invalid', () => {
    expectError(() => run([], new Int8Tensor(new Uint8Array(16), [1, 4, 4], 1, 0), one()), 'enforce', /Exceeding ndim limit/);
    expectError(() => run([], new Int8Tensor(new Uint8Array(16), [1, 4, 4, 1, 1], 1, 0), one()), 'invalid', /must be 4-D/);
  });

  it('X with 0 channels, or zero height: invalid (Caffe2 crashes / reads out of bounds)', () => {
    expectError(() => run([], new Int8Tensor(new Uint8Array(0), [1, 4, 4, 0], 1, 0), one()), 'invalid', /0 channels/);
    expectError(() => run([], new Int8Tensor(new Uint8Array(0), [1, 0, 4, 1], 1, 0), one()), 'invalid', /zero height or width/);
  });

  it('batch index 1 on a batch of 1, -1, or NaN: invalid', () => {
    expectError(() => run([], feature(), rois([[1, 0, 0, 2, 2]])), 'invalid', /batch index 1, outside the input's batch of 1/);
    expectError(() => run([], feature(), rois([[-1, 0, 0, 2, 2]])), 'invalid', /batch index -1/);
    expectError(() => run([], feature(), rois([[NaN, 0, 0, 2, 2]])), 'invalid', /does not convert to int/);
  });

  it('a NaN or infinite coordinate: invalid', () => {
    expectError(() => run([], feature(), rois([[0, NaN, 2, 2]])), 'invalid', /non-finite/);
    expectError(() => run([SR1], feature(), rois([[-Infinity, 0, 2, 2]])), 'invalid', /non-finite/);
  });

  it('aligned RoI with x2 < x1: enforce "ROIs in ROIAlign do not have non-negative size!"', () => {
    expectError(() => run([i('aligned', 1)], feature(), rois([[2, 0, 1, 2]])), 'enforce', /do not have non-negative size/);
  });

  it('aligned zero-size RoI with adaptive sampling: grid 0, count 0, multiplier inf -> fatal CHECK', () => {
    // roi 0 -> bin 0 -> grid ceil(0) = 0 -> count 0 -> X.s / (Y.s * 255 * 0) = inf.
    expectError(() => run([i('aligned', 1)], feature(), rois([[1, 1, 1, 1]])), 'fatal', /double_multiplier < 1/);
  });

  it('multiplier >= 1 is a fatal CHECK, decided per RoI: Y_scale 0.001 works with count 4 but not count 1', () => {
    // RoI [0,0,2,2] adaptive: count 4, 1 / (f32(0.001) * 255 * 4) = 0.98 < 1 -> fine.
    const ok = run([f('Y_scale', 0.001)], feature(), rois([[0, 0, 2, 2]]));
    expect(ok.dims).toEqual([1, 1, 1, 1]);
    // Adding RoI [0,0,1,1] (count 1): 1 / 0.255 = 3.92 -> CHECK(double_multiplier < 1.) fails.
    expectError(() => run([f('Y_scale', 0.001)], feature(), rois([[0, 0, 2, 2], [0, 0, 1, 1]])), 'fatal', /double_multiplier < 1.*RoI 1/);
  });

  it('Y_scale 0 (multiplier inf) and negative Y_scale: fatal', () => {
    expectError(() => run([f('Y_scale', 0)], feature(), one()), 'fatal', /double_multiplier < 1/);
    expectError(() => run([f('Y_scale', -1)], feature(), one()), 'fatal', /double_multiplier >= 0/);
  });

  it('a multiplier below 2^-32 needs a shift > 31: invalid (gemmlowp only asserts it)', () => {
    // 1e-10 / (255 * 4) ~ 9.8e-14 ~ 2^-43 -> shift 43.
    expectError(() => run([], feature(1, 1, 1e-10, 0), one()), 'invalid', /right shift of 4\d > 31/);
  });

  it('an adaptive grid whose int product overflows (RoI 1e5 x 1e5, pooled 1): invalid', () => {
    // grid = ceil(1e5) = 100000 per axis; 100000 * 100000 = 1e10 > INT32_MAX.
    expectError(() => run([], feature(), rois([[0, 0, 1e5, 1e5]])), 'invalid', /100000x100000 sampling grid per bin, which overflows int/);
  });

  it('a sampling table over the workspace tensor limit is refused (invalid)', () => {
    // RoI [0,0,100,100] pooled 1: grid 100x100 = 10000 points * 20 bytes = 200000 > 1000.
    const ws = new Workspace({ maxTensorBytes: 1000 });
    ws.setBlob('x', feature());
    ws.setBlob('r', rois([[0, 0, 100, 100]]));
    expectError(() => ws.RunOperatorOnce(roiAlign([])), 'invalid', /10000 sampling points/);
  });

  it('one input fails schema checking; in-place is not allowed', () => {
    const ws = new Workspace();
    ws.setBlob('x', feature());
    ws.setBlob('r', one());
    expectError(() => ws.RunOperatorOnce(roiAlign([], ['x'])), 'enforce', /takes 2 inputs, got 1/);
    expectError(() => ws.RunOperatorOnce(roiAlign([], ['x', 'r'], ['x'])), 'enforce', /in-place/);
  });

  it('Y_scale stored as an int is an argument error (enforce)', () => {
    expectError(() => run([i('Y_scale', 1)], feature(), one()), 'enforce', /does not have the right field/);
  });
});
