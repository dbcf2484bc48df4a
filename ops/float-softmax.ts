// Softmax on float tensors (caffe2/operators/softmax_op.cc, softmax_utils.cc): the input is
// coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row becomes
// exp(x - max) / sum(exp(x - max)). Computed in double and rounded once per element; Caffe2
// uses float expf and a float sum, so the last bit may differ.
import type { OperatorSpec } from '../src/operator.js';
import { canonicalAxis, newFloatOutput, prod, requireDtype } from './float-shape.js';

export const softmaxOp: OperatorSpec = {
  type: 'Softmax',
  engine: '',
  summary: 'softmax over the trailing dims from `axis` (default 1) of a float tensor',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axis: 'i' },
  create({ args }) {
    const axis = args.getInt('axis', 1);
    return {
      run(io) {
        const x = io.tensor(0);
        const ax = canonicalAxis(axis, x.ndim, io.inputName(0));
        requireDtype(io, 0, x, 'float32');
        const n = prod(x.dims, 0, ax);
        const d = prod(x.dims, ax);
        const y = newFloatOutput(io, x.dims);
        // An empty tensor may have a huge row count or row length next to its zero: loop over
        // nothing and allocate no row buffer.
        if (y.size === 0) {
          io.setOutput(0, y);
          return;
        }
        const src = x.data as Float32Array;
        const dst = y.data;
        const row = new Float64Array(d);
        for (let r = 0; r < n; r++) {
          const base = r * d;
          let max = -Infinity;
          for (let c = 0; c < d; c++) max = Math.max(max, src[base + c]!);
          let sum = 0;
          for (let c = 0; c < d; c++) sum += row[c] = Math.exp(src[base + c]! - max);
          for (let c = 0; c < d; c++) dst[base + c] = row[c]! / sum;
        }
        io.setOutput(0, y);
      },
    };
  },
};

export const floatSoftmaxOps: OperatorSpec[] = [softmaxOp];
