// A plain float32 NCHW convolution for the examples' float reference. It accumulates in float32,
// input channel by kernel row by kernel column, one rounded product and one rounded sum per tap:
// on the seed's input this reproduces the float Conv2d result the seed thread printed, digit for digit.
export interface FloatConvSpec {
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  weight: (m: number, c: number, ky: number, kx: number) => number;
  bias?: (m: number) => number;
}

export function floatConvNchw(x: Float32Array, dims: readonly number[], s: FloatConvSpec): { data: Float32Array; dims: number[] } {
  const [n, c, h, w] = dims as [number, number, number, number];
  const oh = Math.floor((h + 2 * s.pad - s.kernel) / s.stride) + 1;
  const ow = Math.floor((w + 2 * s.pad - s.kernel) / s.stride) + 1;
  const out = new Float32Array(n * s.outChannels * oh * ow);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let m = 0; m < s.outChannels; m++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let acc = s.bias ? Math.fround(s.bias(m)) : 0;
          for (let ci = 0; ci < c; ci++) {
            for (let ky = 0; ky < s.kernel; ky++) {
              const iy = oy * s.stride + ky - s.pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < s.kernel; kx++) {
                const ix = ox * s.stride + kx - s.pad;
                if (ix < 0 || ix >= w) continue;
                acc = Math.fround(acc + Math.fround(x[((b * c + ci) * h + iy) * w + ix]! * s.weight(m, ci, ky, kx)));
              }
            }
          }
          out[o++] = acc;
        }
      }
    }
  }
  return { data: out, dims: [n, s.outChannels, oh, ow] };
}

export function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
