// How Caffe2's Int8 wrappers read the output quantization arguments, and the "Ypass" rule of the
// ops whose output keeps the input's scale and zero point.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error } from '../src/errors.js';
import type { OpIO } from '../src/operator.js';
import { f32, formatScale } from '../src/quant/float32.js';
import type { Int8Tensor } from '../src/tensor.js';

/** Y_scale / Y_zero_point as the Int8 wrappers read them: zero point (i) first, then scale (f). */
export function int8OutputQparams(args: ArgumentHelper): { yScale: number; yZeroPoint: number } {
  const yZeroPoint = args.getInt('Y_zero_point', 0);
  return { yScale: f32(args.getFloat('Y_scale', 1)), yZeroPoint };
}

/**
 * Ypass: the output takes the input's scale and zero point, and Caffe2 checks that the
 * Y_zero_point and then the Y_scale arguments equal them: a CHECK_EQ (fatal) in most ops, a
 * CAFFE_ENFORCE_EQ in Int8Transpose. So the arguments must be given unless the input has scale 1,
 * zero point 0. `label` names the input as Caffe2's message does ('X', or 'X0' for Int8Concat).
 */
export function checkPassThroughQparams(io: OpIO, args: ArgumentHelper, x: Int8Tensor, kind: 'fatal' | 'enforce' = 'fatal', label = 'X'): void {
  const { yScale, yZeroPoint } = int8OutputQparams(args);
  const where = { blob: io.inputName(0) };
  if (yZeroPoint !== x.zeroPoint) {
    throw new Caffe2Error(
      `Check failed: Y_zero_point == ${label}.zero_point (${yZeroPoint} vs ${x.zeroPoint}): the output takes ${label}'s zero point, so the Y_zero_point argument must equal it`,
      where,
      kind,
    );
  }
  if (yScale !== x.scale) {
    throw new Caffe2Error(
      `Check failed: Y_scale == ${label}.scale (${formatScale(yScale)} vs ${formatScale(x.scale)}): the output takes ${label}'s scale, so the Y_scale argument must equal it`,
      where,
      kind,
    );
  }
}
