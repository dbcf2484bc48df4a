// NCHW2NHWC and NHWC2NCHW: float-only permutation copies (caffe2/operators/order_switch_ops.cc).
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec, OpIO } from '../src/operator.js';
import { Tensor } from '../src/tensor.js';

function floatInput(io: OpIO): Tensor<Float32Array> {
  const x = io.tensor(0);
  if (x.dtype !== 'float32') {
    throw new Caffe2Error(`only float tensors are supported (Caffe2 registers this op for float), got ${x.dtype}`, { blob: io.inputName(0) });
  }
  if (x.ndim < 3) throw new Caffe2Error(`input must have at least 3 dims, got [${x.dims.join(',')}]`, { blob: io.inputName(0) });
  return x as Tensor<Float32Array>;
}

/** Moves channels: per batch, a [C, S] matrix becomes [S, C] (toLast) or back. */
function transposeChannels(x: Float32Array, n: number, c: number, s: number, toLast: boolean): Float32Array {
  const y = new Float32Array(x.length);
  // An empty tensor may have a huge batch or spatial size next to its zero: loop over nothing.
  if (y.length === 0) return y;
  // Copied as bit patterns, as Caffe2 copies floats: a float copy could quiet a signalling NaN.
  const from = new Int32Array(x.buffer, x.byteOffset, x.length);
  const to = new Int32Array(y.buffer);
  // Each [rows, cols] matrix becomes [cols, rows]; the inner loop runs along the longer side.
  const rows = toLast ? c : s;
  const cols = toLast ? s : c;
  for (let base = 0; base < n * rows * cols; base += rows * cols) {
    if (rows <= cols) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0, r = base + i * cols, w = base + i; j < cols; j++, w += rows) to[w] = from[r + j]!;
      }
    } else {
      for (let j = 0; j < cols; j++) {
        for (let i = 0, r = base + j, w = base + j * rows; i < rows; i++, r += cols) to[w + i] = from[r]!;
      }
    }
  }
  return y;
}

export const nchw2nhwc: OperatorSpec = {
  type: 'NCHW2NHWC',
  engine: '',
  summary: 'float tensor N,C,spatial... -> N,spatial...,C',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  create() {
    return {
      run(io) {
        const x = floatInput(io);
        const [n, c, ...spatial] = x.dims as number[];
        const s = spatial.reduce((a, b) => a * b, 1);
        io.setOutput(0, new Tensor('float32', [n!, ...spatial, c!], transposeChannels(x.data, n!, c!, s, true)));
      },
    };
  },
};

export const nhwc2nchw: OperatorSpec = {
  type: 'NHWC2NCHW',
  engine: '',
  summary: 'float tensor N,spatial...,C -> N,C,spatial...',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  create() {
    return {
      run(io) {
        const x = floatInput(io);
        const dims = x.dims as number[];
        const n = dims[0]!;
        const c = dims[dims.length - 1]!;
        const spatial = dims.slice(1, -1);
        const s = spatial.reduce((a, b) => a * b, 1);
        io.setOutput(0, new Tensor('float32', [n, c, ...spatial], transposeChannels(x.data, n, c, s, false)));
      },
    };
  },
};

export const layoutOps: OperatorSpec[] = [nchw2nhwc, nhwc2nchw];
