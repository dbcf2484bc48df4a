// FC on float tensors (caffe2/operators/fully_connected_op.h, FullyConnectedOp with W transposed):
// X is coerced to [M, K] at `axis`, W to [N, K] at `axis_w`, and Y[m, n] = Σ_k X[m,k]·W[n,k] + b[n]
// with Y's shape X.dims[:axis] + [N]. Each output is accumulated in double and rounded once to
// float; Caffe2's BLAS accumulates in float, so results agree to a few ulps, not bit for bit.
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec } from '../src/operator.js';
import { checkAllocation, shapeString } from '../src/tensor.js';
import { canonicalAxis, newFloatOutput, prod, requireDtype } from './float-shape.js';

/** y[m·N + n] = fround(Σ_k x[m·K + k]·w[n·K + k] + b[n]). */
export function fcFloat(x: Float32Array, w: Float32Array, b: Float32Array, m: number, n: number, k: number, y: Float32Array): void {
  for (let r = 0; r < m; r++) {
    const xBase = r * k;
    for (let c = 0; c < n; c++) {
      const wBase = c * k;
      let acc = 0;
      for (let j = 0; j < k; j++) acc += x[xBase + j]! * w[wBase + j]!;
      y[r * n + c] = acc + b[c]!;
    }
  }
}

export const fcOp: OperatorSpec = {
  type: 'FC',
  engine: '',
  summary: 'fully connected on float tensors: Y = X·Wᵀ + b, X coerced to 2-D at `axis`, W at `axis_w`',
  schema: { minInputs: 3, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axis: 'i', axis_w: 'i', float16_compute: 'i' },
  create({ args }) {
    // FullyConnectedOp stores both axes in size_t; canonical_axis_index reads them back as
    // signed, so negative axes count from the end as usual.
    const axis = args.getInt('axis', 1);
    const axisW = args.getInt('axis_w', 1);
    args.getBool('float16_compute', false); // read (and type-checked) upstream; float math either way
    return {
      run(io) {
        const x = io.tensor(0);
        const w = io.tensor(1);
        const b = io.tensor(2);
        enforce(b.ndim === 1, `bias must be 1-D, got ${b.ndim} dims`, { blob: io.inputName(2) });
        const ax = canonicalAxis(axis, x.ndim, io.inputName(0));
        const m = prod(x.dims, 0, ax);
        const k = prod(x.dims, ax);
        const axw = canonicalAxis(axisW, w.ndim, io.inputName(1));
        const n = prod(w.dims, 0, axw);
        const mismatch = () =>
          `Dimension mismatch: X: ${shapeString(x.dims)}, W: ${shapeString(w.dims)}, b: ${shapeString(b.dims)}, axis: ${axis}, M: ${m}, N: ${n}, K: ${k}`;
        // The checks divide X.numel() by K and W.numel() by N; a zero traps in Caffe2.
        if (k === 0) throw new Caffe2Error(`${mismatch()} (K = 0: Caffe2 divides by zero)`, { blob: io.inputName(0) }, 'invalid');
        if (n === 0) throw new Caffe2Error(`${mismatch()} (N = 0: Caffe2 divides by zero)`, { blob: io.inputName(1) }, 'invalid');
        // K == W.numel() / N (integer division upstream; exact here, since N is a prefix product of W's dims).
        enforce(k === Math.floor(w.size / n), mismatch, { blob: io.inputName(1) });
        enforce(n === b.dims[0], mismatch, { blob: io.inputName(2) });
        const outDims = [...x.dims.slice(0, ax), n];
        checkAllocation('float32', outDims, io.options.maxTensorBytes);
        checkOpWork(io.options, m * n * k, () => `a fully connected layer (M ${m}, N ${n}, K ${k})`);
        const y = newFloatOutput(io, outDims);
        if (x.size > 0) {
          requireDtype(io, 0, x, 'float32');
          requireDtype(io, 1, w, 'float32');
          requireDtype(io, 2, b, 'float32');
          fcFloat(x.data as Float32Array, w.data as Float32Array, b.data as Float32Array, m, n, k, y.data);
        }
        io.setOutput(0, y);
      },
    };
  },
};

export const floatFcOps: OperatorSpec[] = [fcOp];
