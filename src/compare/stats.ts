// Numbers the compare report is made of: error of an int8 result against a float reference,
// saturation and collapse of a quantized output, value ranges and histograms. Pure functions on
// typed arrays (browser-safe).

/** Error of a quantized result against a float reference, in float units and in output LSBs. */
export interface ErrorStats {
  /** Elements compared. */
  count: number;
  /** max |int8 - reference|. */
  maxAbs: number;
  /** sqrt(mean((int8 - reference)^2)). */
  rmse: number;
  /** mean(int8 - reference): a systematic offset shows here. */
  meanError: number;
  /** maxAbs and rmse divided by the LSB (the output scale); null when no LSB applies. */
  maxAbsLsb: number | null;
  rmseLsb: number | null;
  /** The LSB used for the *Lsb fields, or null. */
  lsb: number | null;
  /** Cosine similarity of the two vectors; null when either is all zeros. */
  cosine: number | null;
  /** Flat index (in the int8 tensor) of the largest error. */
  worstIndex: number;
  /** The two values at worstIndex. */
  worst: { value: number; reference: number };
}

/** Error statistics of `actual` against `reference` (same length), with LSB `lsb` when one applies. */
export function errorStats(actual: ArrayLike<number>, reference: ArrayLike<number>, lsb?: number): ErrorStats {
  const n = Math.min(actual.length, reference.length);
  let maxAbs = 0;
  let worstIndex = 0;
  let sumSq = 0;
  let sum = 0;
  let dot = 0;
  let na = 0;
  let nr = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    const r = reference[i]!;
    const d = a - r;
    if (!Number.isFinite(d)) continue;
    finite++;
    const ad = Math.abs(d);
    if (ad > maxAbs) {
      maxAbs = ad;
      worstIndex = i;
    }
    sumSq += d * d;
    sum += d;
    dot += a * r;
    na += a * a;
    nr += r * r;
  }
  const rmse = finite ? Math.sqrt(sumSq / finite) : 0;
  const unit = lsb !== undefined && lsb > 0 ? lsb : null;
  return {
    count: n,
    maxAbs,
    rmse,
    meanError: finite ? sum / finite : 0,
    maxAbsLsb: unit ? maxAbs / unit : null,
    rmseLsb: unit ? rmse / unit : null,
    lsb: unit,
    cosine: na > 0 && nr > 0 ? dot / Math.sqrt(na * nr) : null,
    worstIndex,
    worst: { value: n ? actual[worstIndex]! : 0, reference: n ? reference[worstIndex]! : 0 },
  };
}

export interface Range {
  min: number;
  max: number;
}

/** Min and max over the finite values (0, 0 for none). */
export function rangeOf(values: ArrayLike<number>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

/** Counts of each uint8 code. */
export function codeHistogram(q: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < q.length; i++) counts[q[i]!]!++;
  return counts;
}

/** Share of the outputs at each clamp, and of those the float reference says were clipped. */
export interface Saturation {
  count: number;
  /** Shares (0..1) of outputs at code 0 and at code 255. */
  atZero: number;
  at255: number;
  /** The lower clamp the op applies (0, or the zero point for fused Relu) and the share there. */
  clampMin: number;
  /** The op has a (fused) Relu: outputs at clampMin are its floor, not saturation. */
  relu?: boolean;
  atClampMin: number;
  /** Shares of outputs whose float reference lies more than half an LSB beyond the representable range. */
  clippedHigh: number;
  clippedLow: number;
  /** How far the reference goes beyond the representable range, in LSBs (0 if it stays inside). */
  overshootHighLsb: number;
  overshootLowLsb: number;
}

export function saturationOf(q: Uint8Array, scale: number, zeroPoint: number, clampMin: number, reference?: ArrayLike<number>): Saturation {
  const n = q.length;
  let z = 0;
  let f = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = q[i]!;
    if (v === 0) z++;
    if (v === 255) f++;
    if (v === clampMin) m++;
  }
  let hi = 0;
  let lo = 0;
  let overHi = 0;
  let overLo = 0;
  if (reference) {
    const reprMax = (255 - zeroPoint) * scale;
    const reprMin = (Math.max(clampMin, 0) - zeroPoint) * scale;
    const half = scale / 2;
    for (let i = 0; i < n; i++) {
      const r = reference[i]!;
      if (r > reprMax + half) {
        hi++;
        overHi = Math.max(overHi, (r - reprMax) / scale);
      } else if (r < reprMin - half) {
        lo++;
        overLo = Math.max(overLo, (reprMin - r) / scale);
      }
    }
  }
  const share = (k: number) => (n ? k / n : 0);
  return {
    count: n,
    atZero: share(z),
    at255: share(f),
    clampMin,
    atClampMin: share(m),
    clippedHigh: share(hi),
    clippedLow: share(lo),
    overshootHighLsb: overHi,
    overshootLowLsb: overLo,
  };
}

/** The most common output code: all or nearly all outputs at one value is a dead layer. */
export interface Collapse {
  /** Most common code, its real value and its share of the outputs. */
  code: number;
  realValue: number;
  share: number;
  /** How many different codes occur. */
  distinct: number;
  /** share >= 0.99 over at least 4 outputs. */
  collapsed: boolean;
}

export function collapseOf(counts: readonly number[], scale: number, zeroPoint: number): Collapse {
  let total = 0;
  let best = 0;
  let distinct = 0;
  for (let c = 0; c < counts.length; c++) {
    total += counts[c]!;
    if (counts[c]! > 0) distinct++;
    if (counts[c]! > counts[best]!) best = c;
  }
  const share = total ? counts[best]! / total : 0;
  return { code: best, realValue: Math.fround((best - zeroPoint) * scale), share, distinct, collapsed: total >= 4 && share >= 0.99 };
}

/** Equal-width histogram over [lo, hi]. */
export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  const width = hi > lo ? (hi - lo) / bins : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    let b = Math.floor((v - lo) / width);
    if (b < 0) b = 0;
    if (b >= bins) b = bins - 1;
    counts[b]!++;
  }
  return { lo, hi, counts };
}

/** The uint8 code counts placed on the bins of a float histogram over [lo, hi]. */
export function codesOnBins(codeCounts: readonly number[], scale: number, zeroPoint: number, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = hi > lo ? (hi - lo) / bins : 1;
  for (let c = 0; c < 256; c++) {
    const k = codeCounts[c] ?? 0;
    if (!k) continue;
    let b = Math.floor(((c - zeroPoint) * scale - lo) / width);
    if (b < 0) b = 0;
    if (b >= bins) b = bins - 1;
    counts[b]! += k;
  }
  return counts;
}

/** Signed differences b - a in whole steps, as {step: count}. */
export function diffCounts(a: ArrayLike<number>, b: ArrayLike<number>, unit = 1): Record<string, number> {
  const out: Record<string, number> = {};
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = Math.round((b[i]! - a[i]!) / unit);
    if (d !== 0) out[String(d)] = (out[String(d)] ?? 0) + 1;
  }
  return out;
}
