// src/quant/fbgemm.ts: the exact fmaf, x86 conversions, fbgemm ChooseQuantizationParams (with the
// 6.1e-5 scale floor), FindMinMax, Quantize, the bias quantization, both requantizations and the
// vpmaddubsw pair. Expected values are derived by hand from the upstream semantics; the
// arithmetic is in the comments.
import { describe, expect, it } from 'vitest';
import {
  chooseQuantizationParams,
  cvtps2dq,
  dequantizeValue,
  findMinMax,
  fmaf,
  maddubsPair,
  quantizeBiasValue,
  quantizeValue,
  reluOutputQparams,
  requantizationMultiplier,
  requantizeAvx2,
  requantizeScalar,
  DEFAULT_QUANTIZATION_FACTORY,
} from '../src/quant/fbgemm.js';
import { rng } from './helpers.js';

const f32 = Math.fround;
const P = (e: number) => 2 ** e;

// ---- an independent exact reference for fmaf: BigInt mantissas, one rounding -------------------

const dv = new DataView(new ArrayBuffer(4));
function decompose(x: number): { m: bigint; e: number } {
  dv.setFloat32(0, x);
  const b = dv.getUint32(0);
  const exp = (b >>> 23) & 0xff;
  const frac = b & 0x7fffff;
  const sign = b >>> 31 ? -1n : 1n;
  return exp === 0 ? { m: sign * BigInt(frac), e: -149 } : { m: sign * BigInt(frac | 0x800000), e: exp - 150 };
}

/** a·b + c computed exactly as N·2^E, then rounded once to float32 (ties to even); normal range. */
function exactFmaf(a: number, b: number, c: number): number {
  const A = decompose(a);
  const B = decompose(b);
  const C = decompose(c);
  const ep = A.e + B.e;
  const E = Math.min(ep, C.e);
  const n = ((A.m * B.m) << BigInt(ep - E)) + (C.m << BigInt(C.e - E));
  if (n === 0n) return 0;
  const neg = n < 0n;
  const mag = neg ? -n : n;
  let shift = mag.toString(2).length - 24;
  if (E + shift < -149) shift = -149 - E;
  let q: bigint;
  if (shift > 0) {
    q = mag >> BigInt(shift);
    const rem = mag - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  } else {
    q = mag << BigInt(-shift);
    shift = 0;
  }
  const v = Number(q) * 2 ** (E + shift);
  return neg ? -v : v;
}

describe('fmaf: a·b + c rounded once to float32', () => {
  it('exact sum just below a float32 midpoint: c=1+2^-23, a=2^-24·(1+2^-23), b=1-2^-23', () => {
    // a·b = 2^-24·(1 - 2^-46) = 2^-24 - 2^-70, exact in double.
    // a·b + c = 1 + 2^-23 + 2^-24 - 2^-70: just below the midpoint 1 + 2^-23 + 2^-24 of
    // [1+2^-23, 1+2^-22], so one rounding gives 1 + 2^-23.
    // Rounding to double first loses 2^-70 and lands on the midpoint; ties-to-even then picks
    // 1 + 2^-22 (even mantissa), which is wrong.
    const a = f32(P(-24) * (1 + P(-23)));
    const b = f32(1 - P(-23));
    const c = f32(1 + P(-23));
    expect(fmaf(a, b, c)).toBe(1 + P(-23));
    expect(f32(a * b + c)).toBe(1 + P(-22)); // the naive double-then-float result differs
  });

  it('exact sum just above a float32 midpoint: c=1+2^-23, a=-2^-24·(1+2^-23), b=1-2^-23', () => {
    // a·b = -2^-24 + 2^-70; a·b + c = 1 + 2^-24 + 2^-70, above the midpoint 1 + 2^-24 of [1, 1+2^-23]:
    // the answer is 1 + 2^-23. The double sum is the midpoint itself, and ties-to-even gives 1.
    const a = f32(-P(-24) * (1 + P(-23)));
    const b = f32(1 - P(-23));
    const c = f32(1 + P(-23));
    expect(fmaf(a, b, c)).toBe(1 + P(-23));
    expect(f32(a * b + c)).toBe(1);
  });

  it('a true tie stays a tie: 0.25·2 + 3 = 3.5 exactly (no rounding, the integer conversion rounds it later)', () => {
    expect(fmaf(0.25, 2, 3)).toBe(3.5);
  });

  it('infinities and NaN pass through', () => {
    expect(fmaf(Infinity, 2, 1)).toBe(Infinity);
    expect(fmaf(0, Infinity, 1)).toBeNaN();
    expect(fmaf(f32(3e38), 10, 0)).toBe(Infinity);
  });

  it('matches a BigInt exact reference on 20000 random triples and 20000 near-midpoint constructions', () => {
    const r = rng(7);
    const rf = (lo: number, hi: number) => f32((r() * 2 - 1) * 2 ** (lo + Math.floor(r() * (hi - lo))));
    for (let i = 0; i < 20000; i++) {
      const a = rf(-20, 20);
      const b = rf(-20, 20);
      const c = rf(-30, 30);
      expect(fmaf(a, b, c)).toBe(exactFmaf(a, b, c));
    }
    for (let i = 0; i < 20000; i++) {
      // c with a random mantissa, a·b = ±2^(E-24)·(1 - j²·2^-46): exact sums within 2^-60 of a midpoint
      const e = Math.floor(r() * 40) - 20;
      const c = f32((1 + Math.floor(r() * 0x7fffff) * P(-23)) * P(e));
      const j = 1 + Math.floor(r() * 300);
      const a = f32((r() < 0.5 ? -1 : 1) * P(e - 24) * (1 + j * P(-23)));
      const b = f32(1 - j * P(-23));
      expect(fmaf(a, b, c)).toBe(exactFmaf(a, b, c));
    }
  });
});

describe('x86 conversions', () => {
  it('cvtps2dq rounds half to even and gives INT32_MIN for NaN and out-of-range', () => {
    expect([cvtps2dq(2.5), cvtps2dq(3.5), cvtps2dq(-2.5), cvtps2dq(-0.5)]).toEqual([2, 4, -2, -0]);
    expect(cvtps2dq(NaN)).toBe(-2147483648);
    expect(cvtps2dq(2147483648)).toBe(-2147483648); // 2^31 overflows
    expect(cvtps2dq(2147483520)).toBe(2147483520);
    expect(cvtps2dq(-2147483648)).toBe(-2147483648);
  });
});

describe('chooseQuantizationParams (fbgemm v0.6.0, qmin 0, qmax 255)', () => {
  it('range [0, 0]: scale 0 becomes 0.1f, zero point 0', () => {
    expect(chooseQuantizationParams(0, 0, 0, 255)).toEqual({ scale: f32(0.1), zeroPoint: 0 });
  });

  it('all-negative [-2, -1]: max widened to 0, scale f32(2/255), zero point 255', () => {
    // from_min = 0 - (-2)/s = 255 with error 0 + 255; from_max = 255 - 0 = 255 with error 255 + 0:
    // the errors tie, so from_max is used: 255.
    expect(chooseQuantizationParams(-2, -1, 0, 255)).toEqual({ scale: f32(2 / 255), zeroPoint: 255 });
  });

  it('seed weights [0.01, 0.01]: range [0, 0.01], scale 0.01/255 = 3.9e-5 is floored at 6.1e-5, zero point 0', () => {
    // float((0.01f - 0) / 255) = 3.92e-5 < 6.1e-5: scale = 6.1e-5f; min == 0 so max = 6.1e-5f·255;
    // from_min = 0 - 0/s = 0 with error 0: zero point 0.
    expect(chooseQuantizationParams(f32(0.01), f32(0.01), 0, 255)).toEqual({ scale: f32(6.1e-5), zeroPoint: 0 });
  });

  it('floor with both signs [-0.001, 0.002]: min and max are scaled by 6.1e-5/scale, zero point stays 85', () => {
    // scale0 = f32(0.003/255) ≈ 1.176e-5 < 6.1e-5: amplifier = f32(6.1e-5f / scale0) ≈ 5.185;
    // min = f32(-0.001·amp) ≈ -0.0051851; from_min = 0 - min/6.1e-5 ≈ 85.0002 (error ≈ 85 < 425): 85.
    const scale0 = f32((f32(0.002) - f32(-0.001)) / 255);
    const amp = f32(f32(6.1e-5) / scale0);
    const min = f32(f32(-0.001) * amp);
    expect(Math.round(-min / f32(6.1e-5))).toBe(85);
    expect(chooseQuantizationParams(f32(-0.001), f32(0.002), 0, 255)).toEqual({ scale: f32(6.1e-5), zeroPoint: 85 });
  });

  it('zero point ties round half to even: min -2.5/256, max 252.5/256 gives scale 2^-8 and zp 2.5 -> 2; min -3.5/256 gives 3.5 -> 4', () => {
    // (max - min)/255 = (255/256)/255 = 2^-8 exactly; from_min = 0 + 2.5 = 2.5 (error 2.5, the smaller).
    expect(chooseQuantizationParams(-2.5 / 256, 252.5 / 256, 0, 255)).toEqual({ scale: P(-8), zeroPoint: 2 });
    expect(chooseQuantizationParams(-3.5 / 256, 251.5 / 256, 0, 255)).toEqual({ scale: P(-8), zeroPoint: 4 });
  });

  it('preserve_sparsity [-1, 0.5]: symmetric range [-1, 127/128], scale 1/128, zero point nearbyint(127.5) = 128', () => {
    // max_scale = max(|-1/-128|, |0.5/127|) = 1/128; min = -128/128, max = 127/128;
    // scale = (255/128)/255 = 1/128; zero point (0 + 255)/2 = 127.5 -> 128 (even).
    expect(chooseQuantizationParams(-1, 0.5, 0, 255, true)).toEqual({ scale: P(-7), zeroPoint: 128 });
  });

  it('force_scale_power_of_two [0, 1]: scale 1/255 becomes 1/(1 << floor(log2 255)) = 2^-7', () => {
    // scale < 1: scale = 1 / (1 << floor(log2(1/scale))) = 1 / (1 << floor(log2 255 = 7.99)) = 1/128.
    expect(chooseQuantizationParams(0, 1, 0, 255, false, true)).toEqual({ scale: P(-7), zeroPoint: 0 });
  });

  it('Relu rewrite of (0.05, 100): ChooseQuantizationParams(0, f32(0.05·155)) = (f32(7.75/255), 0)', () => {
    // Max() = f32(0.05f · 155); scale = f32(Max/255) = 0.0303921569, zero point 0.
    const max = f32(f32(0.05) * 155);
    expect(reluOutputQparams(DEFAULT_QUANTIZATION_FACTORY, { scale: f32(0.05), zeroPoint: 100 })).toEqual({ scale: f32(max / 255), zeroPoint: 0 });
    expect(f32(max / 255)).toBe(f32(0.0303921569));
  });
});

describe('findMinMax (fbgemm FindMinMax)', () => {
  it('plain min/max of 11 values (one 8-lane block and a tail of 3), and (0, 0) for no values', () => {
    const v = [3, -1, 4, 1, -5, 9, 2, 6, 5, -3, 5];
    expect(findMinMax(v, 0, v.length)).toEqual({ min: -5, max: 9 });
    expect(findMinMax(v, 8, 3)).toEqual({ min: -3, max: 5 });
    expect(findMinMax([], 0, 0)).toEqual({ min: 0, max: 0 });
  });
});

describe('quantize (fbgemm Quantize, AVX2 FMA path)', () => {
  const q = { scale: 0.5, zeroPoint: 3 };
  it('scale 0.5, zp 3: the zero point is added before rounding, so x=0.25 gives rint(3.5)=4 and x=0.75 gives rint(4.5)=4', () => {
    // QNNPACK's zp + rint(x/s) would give 3 + rint(0.5) = 3 and 3 + rint(1.5) = 5.
    expect(quantizeValue(0.25, q, 0, 255)).toBe(4);
    expect(quantizeValue(0.75, q, 0, 255)).toBe(4);
    expect(quantizeValue(-100, q, 0, 255)).toBe(0);
    expect(quantizeValue(1000, q, 0, 255)).toBe(255);
  });
  it('NaN lands on qmax (vminps keeps its second operand), -inf on qmin', () => {
    expect(quantizeValue(NaN, q, 0, 255)).toBe(255);
    expect(quantizeValue(-Infinity, q, -128, 127)).toBe(-128);
  });
  it('seed weight 0.01 with scale 6.1e-5, zp -128 (int8): fma(0.01, 1/6.1e-5, -128) = 35.93 -> 36', () => {
    expect(quantizeValue(f32(0.01), { scale: f32(6.1e-5), zeroPoint: -128 }, -128, 127)).toBe(36);
  });
  it('bias: nearbyint(f32(b · f32(1/scale))), 2.5 -> 2 and 3.5 -> 4 with scale 1; NaN -> INT32_MIN; clamped', () => {
    expect(quantizeBiasValue(2.5, 1)).toBe(2);
    expect(quantizeBiasValue(3.5, 1)).toBe(4);
    expect(quantizeBiasValue(-7.3, 0.5)).toBe(-15); // -14.6 -> -15
    expect(quantizeBiasValue(NaN, 1)).toBe(-2147483648);
    expect(quantizeBiasValue(1e30, 1)).toBe(2147483647);
  });
  it('dequantize: f32(scale · (q - zp))', () => {
    expect(dequantizeValue(7, 0.25, 3)).toBe(1);
    expect(dequantizeValue(0, f32(0.1), 1)).toBe(f32(-0.1));
  });
});

describe('requantization', () => {
  it('multiplier = f32(f32(x_scale · w_scale) / y_scale): 2^-4 · 2^-7 / 2^-12 = 2', () => {
    expect(requantizationMultiplier(P(-4), P(-7), P(-12))).toBe(2);
  });
  it('AVX2 epilogue, M 0.5, zp 77: raw 5 -> rint(2.5)=2 -> 79; raw 7 -> 4 -> 81; relu clamps at the zero point', () => {
    expect(requantizeAvx2(5, 0.5, 77, false)).toBe(79);
    expect(requantizeAvx2(7, 0.5, 77, false)).toBe(81);
    expect(requantizeAvx2(-1000, 0.5, 77, false)).toBe(0);
    expect(requantizeAvx2(-1000, 0.5, 0, true)).toBe(0);
    expect(requantizeAvx2(-3, 1, 10, true)).toBe(10);
  });
  it('AVX2 epilogue: M 1000, raw 3e6 -> 3e9 overflows cvtps2dq to INT32_MIN -> 0; the scalar lrintf path gives 255', () => {
    expect(requantizeAvx2(3000000, 1000, 0, false)).toBe(0);
    expect(requantizeScalar(3000000, 1000, 0)).toBe(255);
  });
  it('AVX2 epilogue adds the zero point as an int16: zp 65536 + 5 wraps to 5', () => {
    // set1_epi16(65541) holds 5: raw 10 · 1 + 5 = 15
    expect(requantizeAvx2(10, 1, 65541, false)).toBe(15);
  });
  it('float rounding above 2^24: raw 33554435, M 0.75, zp -25165726 gives 102 (exact arithmetic would give 100)', () => {
    // f32(33554435) = 33554436 (spacing 4 above 2^25); ·0.75 = 25165827, not a float (spacing 2):
    // a tie between 25165826 and 25165828, to even -> 25165828; rint -> 25165828; + zp = 102.
    // Exactly, 33554435·0.75 = 25165826.25 -> 25165826 -> 100.
    expect(requantizeScalar(33554435, 0.75, -25165726)).toBe(102);
  });
});

describe('vpmaddubsw pair', () => {
  it('255·127 + 255·127 = 64770 saturates to 32767; 255·-128 + 255·-128 = -65280 to -32768; small pairs are exact', () => {
    expect(maddubsPair(255, 127, 255, 127)).toBe(32767);
    expect(maddubsPair(255, -128, 255, -128)).toBe(-32768);
    expect(maddubsPair(100, 100, 27, 100)).toBe(12700);
    expect(maddubsPair(255, 127, 255, -127)).toBe(0);
  });
});
