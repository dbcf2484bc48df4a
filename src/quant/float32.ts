// float32 helpers: Caffe2 keeps every scale as a C `float`, so each step of its float
// arithmetic rounds to binary32 and we mirror that with Math.fround.

export const f32 = Math.fround;

const bitsView = new DataView(new ArrayBuffer(4));

/** IEEE-754 bit pattern of the float32 nearest to x. */
export function float32Bits(x: number): number {
  bitsView.setFloat32(0, x, true);
  return bitsView.getUint32(0, true);
}

export function float32FromBits(bits: number): number {
  bitsView.setUint32(0, bits >>> 0, true);
  return bitsView.getFloat32(0, true);
}

/** True for a finite, non-zero float32 that is not subnormal (C's isnormal on a float). */
export function isNormalFloat32(x: number): boolean {
  const exp = (float32Bits(x) >>> 23) & 0xff;
  return exp !== 0 && exp !== 0xff;
}

/** Round half to even, like C nearbyint/lrint in the default rounding mode. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x); // rounds .5 towards +infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero, like C round(). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Saturate to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Float scale as Caffe2 prints it in messages. */
export function formatScale(s: number): string {
  return Number(s.toPrecision(9)).toString();
}
