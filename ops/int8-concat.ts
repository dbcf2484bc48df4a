// Int8Concat, default engine: Caffe2's wrapper code (caffe2/operators/quantized/int8_concat_op.h),
// no QNNPACK. The bytes of every input are copied as they are: the output takes the first input's
// scale and zero point, and the other inputs' qparams are neither checked nor rescaled.
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec } from '../src/operator.js';
import { copyBlocks } from '../src/copy.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';
import { checkPassThroughQparams } from './int8-qparams.js';

/**
 * Concatenates uint8 row-major tensors along `axis`: for each of the `before` outer blocks the
 * inputs' slabs (dims[axis]·after bytes each) are laid side by side.
 */
export function concatBytes(inputs: readonly { data: Uint8Array; dims: readonly number[] }[], axis: number, outDims: readonly number[]): Uint8Array {
  const before = outDims.slice(0, axis).reduce((p, d) => p * d, 1);
  const after = outDims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outRow = outDims[axis]! * after;
  const y = new Uint8Array(before * outRow);
  let offset = 0;
  for (const t of inputs) {
    const slab = t.dims[axis]! * after;
    copyBlocks(y, offset, outRow, t.data, 0, slab, slab, before);
    offset += slab;
  }
  return y;
}

const spec: OperatorSpec = {
  type: 'Int8Concat',
  engine: '',
  summary:
    'byte concatenation of uint8 tensors along `axis` (default 3 with order NHWC, 1 with NCHW, 0 without order); Y takes X0\'s qparams, the other inputs\' are ignored; the split_info output is never written',
  schema: { minInputs: 1, maxInputs: Infinity, minOutputs: 1, maxOutputs: 2 },
  argKinds: { axis: 'i', order: 's', add_axis: 'i', Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    // The order string is compared as it is (no NHWC/nhwc normalisation here).
    const order = args.getString('order', '');
    let axis: number;
    if (order === 'NHWC' || order === 'NCHW') {
      axis = args.getInt('axis', order === 'NHWC' ? 3 : 1);
      if (axis < 0) throw new Caffe2Error(`Check failed: axis_ >= 0 (${axis} vs 0)`, {}, 'fatal');
      if (axis >= 4) throw new Caffe2Error(`Check failed: axis_ < 4 (${axis} vs 4)`, {}, 'fatal');
    } else {
      axis = args.getInt('axis', 0);
    }
    // `add_axis` is in the schema but the op never reads it: inputs are never given a new axis.
    return {
      run(io) {
        const x0 = io.int8(0);
        const where0 = { blob: io.inputName(0) };
        checkPassThroughQparams(io, args, x0, 'fatal', 'X0');
        if (x0.zeroPoint < 0 || x0.zeroPoint > 255) {
          throw new Caffe2Error(`Check failed: the first input's zero point ${x0.zeroPoint} must lie in [0, 255]`, where0, 'fatal');
        }
        const rank = x0.ndim;
        if (order === 'NHWC' && rank !== 4) {
          throw new Caffe2Error(`Check failed: Y_dims.size() == 4 (${rank} vs 4): with order NHWC the inputs must be 4-D, got ${shapeString(x0.dims)}`, where0, 'fatal');
        }
        if (axis < 0 || axis >= rank) {
          // Caffe2 does not check this and indexes its dims vector out of range.
          throw new Caffe2Error(`axis ${axis} is out of range for inputs of rank ${rank} (Caffe2 does not check)`, where0, 'invalid');
        }
        const outDims = [...x0.dims];
        const inputs = [x0];
        for (let i = 1; i < io.numInputs; i++) {
          const xi = io.int8(i);
          const where = { blob: io.inputName(i) };
          if (xi.ndim !== rank) {
            throw new Caffe2Error(`Check failed: Xi.t.dim() == Y_dims.size() (${xi.ndim} vs ${rank}): input ${i} has shape ${shapeString(xi.dims)}, input 0 ${shapeString(x0.dims)}`, where, 'fatal');
          }
          for (let j = 0; j < rank; j++) {
            if (j !== axis && xi.dims[j] !== outDims[j]) {
              throw new Caffe2Error(
                `Check failed: Xi.t.size(${j}) == Y_dims[${j}] (${xi.dims[j]} vs ${outDims[j]}): input ${i} ${shapeString(xi.dims)} must match input 0 ${shapeString(x0.dims)} off axis ${axis}`,
                where,
                'fatal',
              );
            }
          }
          outDims[axis] = outDims[axis]! + xi.dims[axis]!;
          inputs.push(xi);
        }
        checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        // The copy reads each input as uint8 (an int32 Int8 tensor fails there).
        const data = inputs.map((_, i) => ({ data: io.int8(i, 'uint8').data as Uint8Array, dims: inputs[i]!.dims }));
        io.setOutput(0, new Int8Tensor(concatBytes(data, axis, outDims), outDims, x0.scale, x0.zeroPoint));
      },
    };
  },
};

export const int8ConcatOps: OperatorSpec[] = [spec];
