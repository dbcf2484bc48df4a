// gemmlowp fixed-point helpers (SEMANTICS.md §3.5), expected values worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  multiplyByQuantizedMultiplierSmallerThanOne,
  quantizeMultiplierSmallerThanOne,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../src/quant/gemmlowp.js';
import { expectError } from './helpers.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

describe('quantizeMultiplierSmallerThanOne', () => {
  it.each([
    // d = q * 2^e, q in [0.5, 1): multiplier = nearbyint(q * 2^31), shift = -e.
    [0.5, 1073741824, 0], // q = 0.5, e = 0
    [0.25, 1073741824, 1], // q = 0.5, e = -1
    [0.75, 1610612736, 0], // 0.75 * 2^31
    [1 / 3, 1431655765, 1], // q = 2/3, 2/3 * 2^31 = 1431655765.33 -> 1431655765
    [1 / 255, 1077952576, 7], // q = 128/255, 2^38/255 = 1077952576.25 -> 1077952576
    [1 / 1020, 1077952576, 9], // q = 512/1020 = 128/255 again, e = -9
  ])('d=%s -> multiplier %s, shift %s', (d, m, s) => {
    expect(quantizeMultiplierSmallerThanOne(d)).toEqual({ multiplier: m, shift: s });
  });

  it('tiny d=2^-40 -> multiplier 2^30, shift 39 (no CHECK here; the rounding shift refuses > 31 later)', () => {
    // 2^-40 = 0.5 * 2^-39: frexp gives e = -39.
    expect(quantizeMultiplierSmallerThanOne(2 ** -40)).toEqual({ multiplier: 1073741824, shift: 39 });
  });

  it('subnormal d=2^-1074 -> multiplier 2^30, shift 1073', () => {
    expect(quantizeMultiplierSmallerThanOne(2 ** -1074)).toEqual({ multiplier: 1073741824, shift: 1073 });
  });

  it('d=0 -> (0, 0)', () => {
    expect(quantizeMultiplierSmallerThanOne(0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('ties round half to even: q*2^31 = 2^30 + 0.5 -> 2^30, 2^30 + 1.5 -> 2^30 + 2', () => {
    // d = 0.5 + 2^-32: frexp keeps q = d, e = 0; q * 2^31 = 2^30 + 0.5.
    expect(quantizeMultiplierSmallerThanOne(0.5 + 2 ** -32)).toEqual({ multiplier: 1073741824, shift: 0 });
    // d = 0.5 + 3*2^-32: q * 2^31 = 2^30 + 1.5 -> 2^30 + 2.
    expect(quantizeMultiplierSmallerThanOne(0.5 + 3 * 2 ** -32)).toEqual({ multiplier: 1073741826, shift: 0 });
  });

  it('a mantissa that rounds up to 2^31 is halved and the shift decremented (0.5 - 2^-40 -> 2^30, shift 0)', () => {
    // 0.5 - 2^-40 = (1 - 2^-39) * 2^-1: q*2^31 = 2^31 - 2^-8 -> 2^31 -> 2^30 with shift 1 - 1 = 0.
    expect(quantizeMultiplierSmallerThanOne(0.5 - 2 ** -40)).toEqual({ multiplier: 1073741824, shift: 0 });
  });

  it('just below 1 rounding up to 1.0 fails CHECK_GE(right_shift, 0): fatal', () => {
    // 1 - 2^-40: q = d, e = 0, q*2^31 rounds to 2^31, shift becomes -1.
    expectError(() => quantizeMultiplierSmallerThanOne(1 - 2 ** -40), 'fatal', /right_shift >= 0/);
  });

  it.each([[1], [1.5], [Infinity], [-0.1], [NaN]])('d=%s fails its CHECKs: fatal', (d) => {
    expectError(() => quantizeMultiplierSmallerThanOne(d), 'fatal', /Check failed: double_multiplier/);
  });
});

describe('saturatingRoundingDoublingHighMul', () => {
  it.each([
    // trunc((a*b + nudge) / 2^31), nudge = 2^30 for a*b >= 0, 1 - 2^30 otherwise.
    [0, 12345, 0],
    [-7, 0, 0],
    [3, 2 ** 30, 2], // 3 * 0.5 = 1.5: (3*2^30 + 2^30)/2^31 = 2
    [5, 2 ** 30, 3], // 2.5 -> 3 (ties up for positive products)
    [-3, 2 ** 30, -1], // -1.5: (-3*2^30 + 1 - 2^30)/2^31 = -1.99..., truncated to -1
    [-5, 2 ** 30, -2], // -2.5 -> -2 (ties toward zero for negative products)
    [2 ** 30, 2 ** 30, 536870912], // 2^60: (2^60 + 2^30)/2^31 = 2^29 + 0.5 -> 2^29
    [INT32_MAX, INT32_MAX, 2147483646], // (2^62 - 2^32 + 1 + 2^30)/2^31 = 2^31 - 2 + 0.5... -> 2^31 - 2
    [INT32_MIN, INT32_MAX, -2147483647], // (-2^62 + 2^31 + 1 - 2^30)/2^31 = -(2^31 - 1) - 0.49... -> -2147483647
    [INT32_MIN, 2 ** 30, -1073741824], // -2^61: -2^30 - 0.49... -> -2^30
    [1408, 1077952576, 707], // 1408*M = 1517757227008; +2^30 = 1518830968832; /2^31 = 707.26
    [-765, 1077952576, -384], // -765*M/2^31 = -383.99999991; minus 0.49999999953 -> -384.49..., trunc -384
  ])('SRDHM(%s, %s) = %s', (a, b, want) => {
    expect(saturatingRoundingDoublingHighMul(a, b)).toBe(want);
    expect(saturatingRoundingDoublingHighMul(b, a)).toBe(want);
  });

  it('INT32_MIN * INT32_MIN saturates to INT32_MAX', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
  });

  it('agrees with a BigInt transcription of the definition on pseudo-random int32 pairs', () => {
    // An independent reference: 64-bit product, nudge, and C division (BigInt '/' truncates).
    const ref = (a: number, b: number): number => {
      if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
      const ab = BigInt(a) * BigInt(b);
      const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
      return Number((ab + nudge) / (1n << 31n));
    };
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return seed;
    };
    const edges = [0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1, 2 ** 30, -(2 ** 30), 2 ** 30 + 1, 1077952576];
    for (const a of edges) for (const b of edges) expect(saturatingRoundingDoublingHighMul(a, b)).toBe(ref(a, b));
    for (let k = 0; k < 2000; k++) {
      const a = next();
      const b = k % 3 === 0 ? next() >> (k % 31) : next();
      expect(saturatingRoundingDoublingHighMul(a, b)).toBe(ref(a, b));
    }
  });
});

describe('roundingDivideByPOT', () => {
  it.each([
    // (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)): nearest, ties away from zero.
    [7, 0, 7],
    [-7, 0, -7],
    [5, 1, 3], // 2.5 -> 3
    [-5, 1, -3], // -2.5 -> -3: rem 1, thr 0 + 1 = 1, not greater; -5 >> 1 = -3
    [-3, 1, -2], // -1.5 -> -2
    [6, 2, 2], // 1.5 -> 2
    [5, 2, 1], // 1.25 -> 1
    [-6, 2, -2], // -1.5 -> -2: -6 >> 2 = -2, rem 2, thr 2
    [-5, 2, -1], // -1.25 -> -1: -5 >> 2 = -2, rem 3 > thr 2 -> +1
    [-7, 2, -2], // -1.75 -> -2
    [707, 7, 6], // 707 = 5*128 + 67, 67 > 63
    [-384, 7, -3], // exact
    [INT32_MAX, 31, 1], // 0.99999 -> 1
    [INT32_MIN, 31, -1], // exactly -1
    [2 ** 30, 31, 1], // 0.5 -> 1
    [-(2 ** 30), 31, -1], // -0.5 -> -1
    [2 ** 30 - 1, 31, 0],
  ])('RDBP(%s, %s) = %s', (x, e, want) => {
    expect(roundingDivideByPOT(x, e)).toBe(want);
  });

  it.each([[-1], [32], [39]])('exponent %s is refused (gemmlowp only asserts 0..31): invalid', (e) => {
    expectError(() => roundingDivideByPOT(100, e), 'invalid', /outside \[0, 31\]/);
  });

  it('multiplyByQuantizedMultiplierSmallerThanOne = RDBP(SRDHM(x, m), shift): 1408 * (1/255) -> 6', () => {
    // 1408/255 = 5.52: SRDHM gives 707 (= 1408 * 128/255 rounded), RDBP(707, 7) = 6.
    expect(multiplyByQuantizedMultiplierSmallerThanOne(1408, 1077952576, 7)).toBe(6);
  });
});
