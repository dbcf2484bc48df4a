// Int8ResizeNearest, default engine: Caffe2's wrapper code (caffe2/operators/quantized/
// int8_resize_nearest_op.h), no QNNPACK. NHWC nearest-neighbour upsampling or downsampling whose
// sizes and source indices are computed in float32, as the C++ does.
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec } from '../src/operator.js';
import { f32, formatScale } from '../src/quant/float32.js';
import { copyBlocks } from '../src/copy.js';
import { checkPassThroughQparams } from './int8-qparams.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';

/** Output rows/cols: int(float(in) · scale), truncated toward zero. */
function scaledSize(inSize: number, scale: number): number {
  return Math.trunc(f32(f32(inSize) * scale));
}

/**
 * Y[n, y, x, :] = X[n, min(int(f32(y) / hs), IH-1), min(int(f32(x) / ws), IW-1), :], with each
 * division in float32 and truncated.
 */
export function resizeNearestNhwcU8(
  x: Uint8Array,
  n: number,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  heightScale: number,
  widthScale: number,
): Uint8Array {
  const y = new Uint8Array(n * outH * outW * c);
  // An empty output may have any width: the column table below is sized by it.
  if (y.length === 0) return y;
  const srcX = new Int32Array(outW);
  for (let ox = 0; ox < outW; ox++) srcX[ox] = Math.min(Math.trunc(f32(ox / widthScale)), inW - 1);
  const rowBytes = outW * c;
  for (let b = 0; b < n; b++) {
    let prevIy = -1;
    for (let oy = 0; oy < outH; oy++) {
      const iy = Math.min(Math.trunc(f32(oy / heightScale)), inH - 1);
      const rowOut = (b * outH + oy) * rowBytes;
      if (iy === prevIy) {
        // Upsampling repeats source rows: copy the output row just built.
        y.copyWithin(rowOut, rowOut - rowBytes, rowOut);
        continue;
      }
      prevIy = iy;
      const rowIn = (b * inH + iy) * inW;
      if (c === 1) {
        for (let ox = 0; ox < outW; ox++) y[rowOut + ox] = x[rowIn + srcX[ox]!]!;
      } else {
        for (let ox = 0; ox < outW; ox++) copyBlocks(y, rowOut + ox * c, 0, x, (rowIn + srcX[ox]!) * c, 0, c, 1);
      }
    }
  }
  return y;
}

const INT32_LIMIT = 2 ** 31;

const spec: OperatorSpec = {
  type: 'Int8ResizeNearest',
  engine: '',
  summary:
    'NHWC uint8 nearest-neighbour resize by width_scale/height_scale (float32 index math), or by output_size = [OH, OW] turned into integer factors (out / in); Y keeps X\'s qparams',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { width_scale: 'f', height_scale: 'f', output_size: 'ints', Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    const widthScaleArg = f32(args.getFloat('width_scale', 1));
    const heightScaleArg = f32(args.getFloat('height_scale', 1));
    const outputSize = args.getInts('output_size');
    if (!(widthScaleArg > 0)) throw new Caffe2Error(`Check failed: width_scale_ > 0 (${formatScale(widthScaleArg)} vs 0)`);
    if (!(heightScaleArg > 0)) throw new Caffe2Error(`Check failed: height_scale_ > 0 (${formatScale(heightScaleArg)} vs 0)`);
    return {
      run(io) {
        const x = io.int8(0);
        const where = { blob: io.inputName(0) };
        if (x.ndim !== 4) throw new Caffe2Error(`Check failed: 4 == X.t.dim() (4 vs ${x.ndim}): the input must be NHWC, got ${shapeString(x.dims)}`, where);
        const [n, inH, inW, c] = x.dims as [number, number, number, number];
        let heightScale = heightScaleArg;
        let widthScale = widthScaleArg;
        if (outputSize.length > 0) {
          if (outputSize.length !== 2) {
            throw new Caffe2Error(`Int8ResizeNearest expects 2 dim output size (output_size has ${outputSize.length} values)`, where);
          }
          // Integer division, stored as a float: output sizes that are not multiples are truncated.
          if (inH === 0 || inW === 0) {
            throw new Caffe2Error(`input ${shapeString(x.dims)} has a zero height or width: Caffe2 divides output_size by it (integer division by zero)`, where, 'invalid');
          }
          heightScale = Math.trunc(outputSize[0]! / inH);
          widthScale = Math.trunc(outputSize[1]! / inW);
        }
        const outW = scaledSize(inW, widthScale);
        const outH = scaledSize(inH, heightScale);
        for (const [name, v] of [['height', outH], ['width', outW]] as const) {
          // A negative size (negative output_size) or one beyond int (an infinite scale, or NaN
          // from 0 · inf) is undefined behaviour upstream.
          if (!(v >= 0 && v < INT32_LIMIT)) {
            throw new Caffe2Error(`output ${name} ${v} from scales ${formatScale(heightScale)} x ${formatScale(widthScale)} is not a valid size (Caffe2 does not check)`, where, 'invalid');
          }
        }
        const outDims = [n, outH, outW, c];
        checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        checkPassThroughQparams(io, args, x);
        const xq = io.int8(0, 'uint8');
        const y = resizeNearestNhwcU8(xq.data as Uint8Array, n, inH, inW, c, outH, outW, heightScale, widthScale);
        io.setOutput(0, new Int8Tensor(y, outDims, x.scale, x.zeroPoint));
      },
    };
  },
};

export const int8ResizeOps: OperatorSpec[] = [spec];
