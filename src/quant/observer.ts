// Choosing a scale and zero point from an observed range, as PyTorch's MinMaxObserver does
// for per-tensor affine quint8 (torch/ao/quantization/observer.py, _calculate_qparams), all in
// float32. Users building Caffe2 int8 nets by hand need this to reproduce PyTorch's choices.
import { clamp, f32, roundHalfEven } from './float32.js';

export interface ObserverOptions {
  /** Smallest and largest code; default 0..255. reduce_range (fbgemm's default) uses 0..127. */
  quantMin?: number;
  quantMax?: number;
  /** Symmetric quantization (per_tensor_symmetric): zero point at the middle of the range. */
  symmetric?: boolean;
}

const FLOAT32_EPS = 2 ** -23;

/** {scale, zeroPoint} for values in [min, max]; the range always includes 0. */
export function chooseQuantizationParams(min: number, max: number, options: ObserverOptions = {}): { scale: number; zeroPoint: number } {
  const qmin = options.quantMin ?? 0;
  const qmax = options.quantMax ?? 255;
  const minNeg = f32(Math.min(min, 0));
  const maxPos = f32(Math.max(max, 0));
  if (options.symmetric) {
    const bound = Math.max(-minNeg, maxPos);
    const scale = Math.max(f32(bound / f32((qmax - qmin) / 2)), FLOAT32_EPS);
    return { scale, zeroPoint: Math.floor((qmin + qmax + 1) / 2) };
  }
  const scale = Math.max(f32(f32(maxPos - minNeg) / (qmax - qmin)), FLOAT32_EPS);
  const zeroPoint = clamp(qmin - roundHalfEven(f32(minNeg / scale)), qmin, qmax);
  return { scale, zeroPoint };
}
