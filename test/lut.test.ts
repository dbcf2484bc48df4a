// The lookup-table builders of src/quant/lut.ts and the glibc expf they depend on.
//
// Where a value could not be derived by hand (expf results, table entries that sit on a .5
// boundary), it was produced by QNNPACK's own formulas compiled as C on x86-64 against glibc
// 2.36 (the bits are given; see the notes at each block). The sigmoid cases at rounding
// boundaries were found by scanning 65,000 input scales in [2^-10, 1) with that C code for
// entries whose float value v = 256 / (1 + expf(-x)) lies within 2 ulps of a half-integer.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from '../src/node/files.js';
import { f32, float32Bits, float32FromBits, roundHalfEven } from '../src/quant/float32.js';
import { expfTable, glibcExpf, leakyReluLut, sigmoidLut, softargmaxLut, softargmaxTableScale } from '../src/quant/lut.js';
import { GOLDEN } from './golden-cases.js';

const bitsOf64 = (d: number): bigint => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, d);
  return v.getBigUint64(0);
};

const hexBytes = (hex: string): number[] => Array.from({ length: hex.length / 2 }, (_, k) => parseInt(hex.slice(2 * k, 2 * k + 2), 16));

describe('glibcExpf (glibc >= 2.27 expf, generic x86-64 build)', () => {
  it('uses 2^(j/32) rounded to the nearest double: the values in glibc e_exp2f_data.c', () => {
    const t = expfTable();
    // glibc stores tab[j] = bits(2^(j/32)) - (j << 47); adding j << 47 back gives the double.
    expect(bitsOf64(t[0]!)).toBe(0x3ff0000000000000n);
    expect(bitsOf64(t[1]!)).toBe(0x3fefd9b0d3158574n + (1n << 47n));
    expect(bitsOf64(t[16]!)).toBe(0x3feea09e667f3bcdn + (16n << 47n)); // sqrt(2)
    expect(bitsOf64(t[31]!)).toBe(0x3fefd0765b6e4540n + (31n << 47n));
  });

  it('reproduces glibc where it is not correctly rounded (inputs in [-20, 20])', () => {
    // [x bits, glibc expf(x) bits, nearest binary32 to e^x]: a spread sample of the 121,434
    // inputs in this range where glibc 2.36 returns the other neighbour of the exact value.
    const cases: Array<[number, number, number]> = [
      [0x3c00357f, 0x3f81016d, 0x3f81016c],
      [0x3cfcf79f, 0x3f8403a8, 0x3f8403a7],
      [0x3dfdb38f, 0x3f90e15c, 0x3f90e15b],
      [0x3ed81a74, 0x3fc33751, 0x3fc33752],
      [0x3f997bd0, 0x40544b5f, 0x40544b5e],
      [0x4058b870, 0x41ec70e6, 0x41ec70e5],
      [0x411c79d9, 0x468a1065, 0x468a1066],
      [0xbc2e8a08, 0x3f7d498c, 0x3f7d498d],
      [0xbca876ba, 0x3f7aca0e, 0x3f7aca0d],
      [0xbd4701b8, 0x3f73dc02, 0x3f73dc01],
      [0xbdce5137, 0x3f677783, 0x3f677782],
      [0xbe6f1a25, 0x3f4ab0b9, 0x3f4ab0b8],
      [0xbf3e616a, 0x3ef362f2, 0x3ef362f1],
      [0xbff46f49, 0x3e17b020, 0x3e17b01f],
      [0xc0b89903, 0x3b4cba14, 0x3b4cba13],
      [0xc17cbb0b, 0x34143a55, 0x34143a54],
    ];
    for (const [x, glibc, nearest] of cases) {
      const got = float32Bits(glibcExpf(float32FromBits(x)));
      expect(got, `expf(${float32FromBits(x)})`).toBe(glibc);
      expect(got).not.toBe(nearest);
    }
  });

  it('ordinary values, the overflow and underflow thresholds, subnormals and specials', () => {
    const cases: Array<[number, number]> = [
      [0, 0x3f800000], // e^0 = 1
      [1, 0x402df854], // 2.7182817
      [-1, 0x3ebc5ab2],
      [10, 0x46ac14ee],
      [88.5, 0x7f4cdcc4],
      [float32FromBits(0x42b17217), 0x7f7fff84], // 0x1.62e42ep6, the largest input that does not overflow
      [float32FromBits(0x42b17218), 0x7f800000], // next float up: +inf
      [-88, 0x0041edc4], // subnormal result
      [-100, 0x0000001b],
      [-103.5, 0x00000001],
      [float32FromBits(0xc2cff1b4), 0x00000001], // -0x1.9fe368p6, the underflow threshold: 2^-149
      [float32FromBits(0xc2cff1b5), 0x00000000], // below it: +0
      [-Infinity, 0x00000000],
      [Infinity, 0x7f800000],
    ];
    for (const [x, bits] of cases) expect(float32Bits(glibcExpf(x)), `expf(${x})`).toBe(bits);
    expect(glibcExpf(NaN)).toBeNaN();
  });

  it('the two inputs where glibc FMA build differs from the generic one saturate the sigmoid anyway', () => {
    // glibc's FMA build gives 0x1.f93e38p+46 and 0x1.f45326p-92 here; the generic build (ours)
    // 0x1.f93e36p+46 and 0x1.f45324p-92. Sigmoid(-x) needs 256 / (1 + expf(x)):
    const big = glibcExpf(float32FromBits(0x4202422f)); // x = 0x1.04845ep+5
    expect(big).toBe(0x1f93e36 / 2 ** 24 * 2 ** 46);
    expect(roundHalfEven(f32(256 / f32(1 + big)))).toBe(0); // about 1.8e-12 either way
    expect(roundHalfEven(f32(256 / f32(1 + 0x1f93e38 / 2 ** 24 * 2 ** 46)))).toBe(0);
    const tiny = glibcExpf(float32FromBits(0xc27c65d9)); // x = -0x1.f8cbb2p+5
    expect(tiny).toBe(0x1f45324 / 2 ** 24 * 2 ** -92);
    expect(f32(1 + tiny)).toBe(1); // 256 either way, clamped to 255
  });
});

describe('sigmoidLut (QNNPACK sigmoid.c: lrintf(256 / (1 + expf(-x))), x = f32(X.scale * (i - zp)))', () => {
  it('hand-checkable entries: i = zp gives 128; saturation at both ends', () => {
    // x = 0: expf(-0) = 1, 256 / 2 = 128.
    expect(sigmoidLut(0.05, 128)[128]).toBe(128);
    expect(sigmoidLut(1.7, 0)[0]).toBe(128);
    // scale 1.7, i = 1: expf(-1.7) = 0.182684, 256 / 1.182684 = 216.46 -> 216.
    expect(sigmoidLut(1.7, 0)[1]).toBe(216);
    // scale 0.5, zp 255, i = 0: x = -127.5, expf(127.5) = inf, 256 / inf = 0.
    expect(sigmoidLut(0.5, 255)[0]).toBe(0);
    // scale 1.7, i = 255: x = 433.5, expf(-433.5) = 0, 256 -> clamped to 255.
    expect(sigmoidLut(1.7, 0)[255]).toBe(255);
  });

  // Entries whose float value is exactly k + 0.5 (lrintf: ties to even) or one ulp from it.
  // [scale bits, k = i - zp, exact float value v, entry].
  const boundary: Array<[number, number, number, number]> = [
    [0x3ab3a9ae, 166, 142.5, 142], // scale 0x1.67535cp-10: tie, even below (Math.round would give 143)
    [0x3ab3a9ae, 0, 128, 128],
    [0x3ac02c06, -166, 112.5, 112], // 0x1.80580cp-10: tie, even below
    [0x3bacf864, -187, 69.5, 70], // 0x1.59f0c8p-8: tie, even above
    [0x3bacf864, 187, 186.5, 186], // same scale: tie, even below
    [0x3ab69a3b, 255, 150.5, 150], // 0x1.6d3476p-10: tie at the last code
    [0x3a800000, 8, 0x100fffe / 2 ** 17, 128], // 2^-10: one ulp below 128.5 -> 128
    [0x3a800000, -8, 0x1fe0002 / 2 ** 18, 128], // 2^-10: one ulp above 127.5 -> 128
    [0x3a800000, 233, 0x11cfffe / 2 ** 17, 142], // one ulp below 142.5
    [0x3a800000, -233, 0x1c60002 / 2 ** 18, 114], // one ulp above 113.5
  ];
  for (const [scaleBits, k, v, entry] of boundary) {
    it(`scale ${float32FromBits(scaleBits)} (bits 0x${scaleBits.toString(16)}), i - zp = ${k}: v = ${v} -> ${entry}`, () => {
      const s = float32FromBits(scaleBits);
      // The float value itself (glibc expf, float add and divide) must land exactly here...
      expect(f32(256 / f32(1 + glibcExpf(-f32(s * k))))).toBe(v);
      // ...and the table rounds it half to even, for any zero point placing k in range.
      for (const zp of [0, 60, 128, 200, 255]) {
        const i = k + zp;
        if (i >= 0 && i < 256) expect(sigmoidLut(s, zp)[i]).toBe(entry);
      }
    });
  }

  // Whole tables from QNNPACK's C formula with glibc 2.36 expf (hex, entry 0 first).
  const tables: Array<[number, number, string]> = [
    [2 ** -10, 128, '7878787878787878797979797979797979797979797979797a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f80808080808080808080808080808080808181818181818181818181818181818182828282828282828282828282828282838383838383838383838383838383838484848484848484848484848484848485858585858585858585858585858585868686868686868686868686868686868787878787878787878787878787878788888888888888'],
    [float32FromBits(0x3bacf864), 60, '6c6c6d6d6d6e6e6e6f6f6f7070707171717272727373737474747575757676767777777878787979797a7a7a7b7b7b7c7c7c7d7d7d7e7e7e7f7f7f8080808181818282828383838484848585858686868787878888888989898a8a8a8b8b8b8c8c8c8d8d8d8e8e8e8f8f8f9090909191919292929393939494949595959696969797979898989999999a9a9a9b9b9b9c9c9c9d9d9d9e9e9e9e9f9f9fa0a0a0a1a1a1a2a2a2a3a3a3a4a4a4a4a5a5a5a6a6a6a7a7a7a8a8a8a8a9a9a9aaaaaaababababacacacadadadaeaeaeaeafafafb0b0b0b0b1b1b1b2b2b2b2b3b3b3b4b4b4b4b5b5b5b6b6b6b6b7b7b7b8b8b8b8b9b9b9b9bababababbbbbbbcbcbcbcbd'],
    [float32FromBits(0x3ab3a9ae), 60, '7b7b7b7b7b7b7b7b7b7c7c7c7c7c7c7c7c7c7c7c7c7d7d7d7d7d7d7d7d7d7d7d7e7e7e7e7e7e7e7e7e7e7e7f7f7f7f7f7f7f7f7f7f7f7f8080808080808080808080818181818181818181818181828282828282828282828283838383838383838383838484848484848484848484848585858585858585858585868686868686868686868686878787878787878787878788888888888888888888888889898989898989898989898a8a8a8a8a8a8a8a8a8a8a8b8b8b8b8b8b8b8b8b8b8b8b8c8c8c8c8c8c8c8c8c8c8c8d8d8d8d8d8d8d8d8d8d8d8d8e8e8e8e8e8e8e8e8e8e8e8e8f8f8f8f8f8f8f8f8f8f8f909090909090909090909090919191919191'],
    [f32(0.0123), 3, '7e7e7f808182828384858686878889898a8b8c8d8d8e8f909091929394949596979798999a9a9b9c9d9d9e9fa0a0a1a2a3a3a4a5a5a6a7a8a8a9aaaaabacadadaeafafb0b1b1b2b3b3b4b5b5b6b7b7b8b8b9bababbbcbcbdbdbebfbfc0c0c1c2c2c3c3c4c4c5c6c6c7c7c8c8c9c9cacacbcbcccccdcdcececfcfd0d0d1d1d2d2d3d3d4d4d5d5d5d6d6d7d7d8d8d8d9d9dadadadbdbdcdcdcdddddddededfdfdfe0e0e0e1e1e1e2e2e2e3e3e3e4e4e4e4e5e5e5e6e6e6e7e7e7e7e8e8e8e8e9e9e9e9eaeaeaeaebebebebececececedededededeeeeeeeeeeefefefefeff0f0f0f0f0f1f1f1f1f1f1f2f2f2f2f2f2f3f3f3f3f3f3f3f4f4f4f4f4f4f4f5f5f5f5'],
    [0.5, 255, '00'.repeat(243) + '0101020305080c131f2f456180'],
  ];
  for (const [scale, zp, hex] of tables) {
    it(`whole table, scale ${scale}, zp ${zp}`, () => {
      expect(Array.from(sigmoidLut(scale, zp))).toEqual(hexBytes(hex));
    });
  }

  for (const name of ['sigmoid_lut_all_xs0p05_zp128', 'sigmoid_lut_all_xs0p2_zp60']) {
    const dir = join(GOLDEN, name);
    it.skipIf(!existsSync(dir))(`agrees with the golden case ${name} (all 256 codes, input X = 0..255)`, () => {
      const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const m = /xs0p(\d+)_zp(\d+)/.exec(name)!;
      const scale = f32(Number(`0.${m[1]}`));
      const expected = readNpyFile(join(dir, meta.outputs[0].file));
      expect(Array.from(sigmoidLut(scale, Number(m[2])))).toEqual(Array.from(expected.data as Uint8Array));
    });
  }
});

describe('softargmaxLut (QNNPACK softargmax.c, double precision)', () => {
  it('table scale q = min(UINT32_MAX / channels, 2^23 - 1)', () => {
    expect(softargmaxTableScale(1)).toBe(8388607);
    expect(softargmaxTableScale(512)).toBe(8388607); // 8388607.998 -> capped
    expect(softargmaxTableScale(514)).toBe(8355967.5); // 4294967295 = 3*5*17*257*65537, 514 = 2*257
    expect(softargmaxTableScale(1542)).toBe(2785322.5); // 1542 = 2*3*257
  });

  it('entry 255 is lrint(q): exact .5 ties go to even (1542 -> 2785322, 514 -> 8355968)', () => {
    expect(softargmaxLut(0.1, 1)[255]).toBe(8388607);
    expect(softargmaxLut(0.1, 1542)[255]).toBe(2785322); // Math.round would give 2785323
    expect(softargmaxLut(0.1, 514)[255]).toBe(8355968);
    // 1024 channels: 4294967295 / 1024 = 4194303.999 -> 4194304 = 2^22, so 1024 equal values sum to 2^32.
    expect(softargmaxLut(0.1, 1024)[255]).toBe(4194304);
  });

  it('scale 0.08, 1000 channels, as glibc 2.36 exp computes it', () => {
    // q = 4294967.295; entry i = lrint(q * exp((i - 255) * 0.08f)).
    const lut = softargmaxLut(f32(0.08), 1000);
    expect([lut[0], lut[100], lut[200], lut[250], lut[254], lut[255]]).toEqual([0, 18, 52731, 2879003, 3964755, 4294967]);
    expect(lut.reduce((a, b) => a + b, 0)).toBe(55863203);
  });

  it('a large input scale leaves only entry 255 non-zero', () => {
    const lut = softargmaxLut(100, 3);
    expect(lut[255]).toBe(8388607);
    expect(lut.slice(0, 255).every((v) => v === 0)).toBe(true);
  });
});

describe('leakyReluLut (QNNPACK leaky-relu.c)', () => {
  it('X(0.5, zp 100) -> Y(0.25, zp 10), alpha 0.25: ratio 2, y = x < 0 ? x/4 : x, clamp [-10, 245], lrintf + 10', () => {
    const lut = leakyReluLut(0.5, 100, 0.25, 10, 0.25);
    expect(lut[100]).toBe(10); // x = 0
    expect(lut[101]).toBe(12); // x = 2
    expect(lut[99]).toBe(10); // x = -2 -> -0.5 -> lrintf -0 -> 10
    expect(lut[97]).toBe(8); // x = -6 -> -1.5 -> -2 (ties to even; Math.round gives -1)
    expect(lut[95]).toBe(8); // x = -10 -> -2.5 -> -2
    expect(lut[0]).toBe(0); // x = -200 -> -50 -> clamp -10 -> 0
    expect(lut[222]).toBe(254); // x = 244
    expect(lut[223]).toBe(255); // x = 246 -> clamp 245 -> 255
    expect(lut[255]).toBe(255);
  });

  it('alpha is a float: 0.01f * -150 rounds to exactly -1.5, which goes to -2', () => {
    // X(1, zp 200) -> Y(1, zp 128). f32(0.01) = 0.0099999998; f32(-150 * that) = -1.5 exactly
    // (the product -1.49999997 is within half a float ulp of -1.5) -> lrintf -2 -> 126.
    const lut = leakyReluLut(1, 200, 1, 128, f32(0.01));
    expect(lut[50]).toBe(126);
    expect(lut[100]).toBe(127); // -100 * 0.01f = -0.99999998 -> f32 -> -1 -> 127
    expect(lut[150]).toBe(128); // -50 * 0.01f -> f32 -> -0.5 -> -0 -> 128
    expect(lut[255]).toBe(183); // x = 55
  });
});
