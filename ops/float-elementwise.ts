// Element-wise float ops: Relu and Sigmoid (caffe2/operators/relu_op.cc, sigmoid_op.cc), the binary
// Add/Sub/Mul/Div with both of Caffe2's broadcasting schemes (elementwise_ops.h,
// elementwise_ops_utils.cc, elementwise_ops_schema.cc) and the n-ary Sum (utility_ops.h).
//
// Float32 results are exact: one IEEE binary32 operation computed in double and rounded once
// gives the correctly rounded float result for +, -, × and ÷. Sigmoid uses libm-quality exp in
// double, rounded once, where Caffe2 uses Eigen's vectorised expf; the two may differ in the last bit.
import { Caffe2Error, enforce } from '../src/errors.js';
import type { OperatorSpec, OpIO } from '../src/operator.js';
import { shapeString, type DType, type Tensor } from '../src/tensor.js';
import { cppTypeName, dispatchType, newOutput, requireDtype } from './float-shape.js';

// ---- unary -----------------------------------------------------------------------------------

function unaryFloatOp(type: string, summary: string, fn: (x: number) => number): OperatorSpec {
  return {
    type,
    engine: '',
    summary,
    schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1, allowInplace: [[0, 0]] },
    argKinds: {},
    create() {
      return {
        run(io) {
          const x = io.tensor(0);
          dispatchType(io, 0, x, ['float32']);
          const y = newOutput(io, 'float32', x.dims);
          const src = x.data as Float32Array;
          const dst = y.data as Float32Array;
          for (let k = 0; k < src.length; k++) dst[k] = fn(src[k]!);
          io.setOutput(0, y);
        },
      };
    },
  };
}

// ReluFunctor<CPUContext>: Eigen cwiseMax(0), which follows std::max(x, 0): NaN stays NaN
// (unlike ConvRelu's std::max(0, x), which turns NaN into 0). [?] Eigen releases before 3.3.8
// vectorised this with _mm_max_ps(x, 0), which gives 0 for NaN lanes.
export const reluOp = unaryFloatOp('Relu', 'max(x, 0) on float tensors (NaN propagates)', (x) => (x < 0 ? 0 : x));

export const sigmoidOp = unaryFloatOp('Sigmoid', '1 / (1 + exp(-x)) on float tensors', (x) => 1 / (1 + Math.exp(-x)));

// ---- binary: broadcasting --------------------------------------------------------------------

type Numeric = 'float32' | 'float64' | 'int32' | 'int64';
const NUMERIC_TYPES: readonly DType[] = ['int32', 'int64', 'float32', 'float64'];

/** elementwise_ops_utils::ComputeLegacyBroadcastSizes: B matches a contiguous run of A's dims. */
function legacyBroadcastSizes(io: OpIO, a: Tensor, b: Tensor, axisArg: number): [number, number, number] {
  enforce(a.ndim >= b.ndim, 'If you are doing broadcasting, input1 should have a smaller or equal number of dimensions.', { blob: io.inputName(1) });
  const axis = axisArg === -1 ? a.ndim - b.ndim : axisArg;
  enforce(axis >= 0 && axis <= a.ndim - b.ndim, `Broadcast axis should be in the range of[0, A.ndim() - B.ndim()], but axis = ${axis}`);
  let bStart = 0;
  while (bStart < b.ndim && b.dims[bStart] === 1) bStart++;
  let bEnd = b.ndim - 1;
  while (bEnd >= bStart && b.dims[bEnd] === 1) bEnd--;
  let pre = 1;
  let n = 1;
  let post = 1;
  for (let d = 0; d < axis + bStart; d++) pre *= a.dims[d]!;
  for (let d = bStart; d <= bEnd; d++) {
    enforce(a.dims[d + axis] === b.dims[d], `Broadcast dimension mismatch. (${a.dims[d + axis]} vs ${b.dims[d]})`, { blob: io.inputName(1) });
    n *= b.dims[d]!;
  }
  for (let d = axis + bEnd + 1; d < a.ndim; d++) post *= a.dims[d]!;
  return [pre, n, post];
}

/** elementwise_ops_utils::ComputeBinaryBroadcastForwardDims: numpy rules, a 0 dim wins over 1. */
export function broadcastDims(aDims: readonly number[], bDims: readonly number[]): number[] {
  const ndim = Math.max(aDims.length, bDims.length);
  const out = new Array<number>(ndim);
  let i = aDims.length - 1;
  let j = bDims.length - 1;
  let k = ndim - 1;
  for (; i >= 0 && j >= 0; i--, j--, k--) {
    const ad = aDims[i]!;
    const bd = bDims[j]!;
    enforce(ad === bd || ad === 1 || bd === 1, `A_dim: ${ad},B_dim: ${bd}`);
    out[k] = ad === 0 || bd === 0 ? 0 : Math.max(ad, bd);
  }
  for (; i >= 0; i--) out[k--] = aDims[i]!;
  for (; j >= 0; j--) out[k--] = bDims[j]!;
  return out;
}

/** Element strides of `dims` read as a broadcast to `out` (right-aligned; 0 along broadcast dims). */
function broadcastStrides(dims: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    const o = out.length - dims.length + k;
    strides[o] = dims[k] === 1 && out[o] !== 1 ? 0 : s;
    s *= dims[k]!;
  }
  return strides;
}

type BinaryKind = 'Add' | 'Sub' | 'Mul' | 'Div';

interface Kernels {
  f: (a: number, b: number) => number;
  i32: (a: number, b: number) => number;
  i64: (a: bigint, b: bigint) => bigint;
}

const INT32_MIN = -2147483648;
const INT64_MIN = -(1n << 63n);

function divideByZero(): never {
  throw new Caffe2Error('integer division by zero (undefined behaviour in Caffe2: the process traps)', {}, 'invalid');
}

function divideOverflow(): never {
  throw new Caffe2Error('integer division overflow (INT_MIN / -1 is undefined behaviour in Caffe2: the process traps)', {}, 'invalid');
}

// Integer +, - and × wrap in two's complement (signed overflow is undefined in C++; every
// Caffe2 build wraps in practice). Division truncates toward zero.
const KERNELS: Record<BinaryKind, Kernels> = {
  Add: { f: (a, b) => a + b, i32: (a, b) => (a + b) | 0, i64: (a, b) => BigInt.asIntN(64, a + b) },
  Sub: { f: (a, b) => a - b, i32: (a, b) => (a - b) | 0, i64: (a, b) => BigInt.asIntN(64, a - b) },
  Mul: { f: (a, b) => a * b, i32: (a, b) => Math.imul(a, b), i64: (a, b) => BigInt.asIntN(64, a * b) },
  Div: {
    f: (a, b) => a / b,
    i32: (a, b) => {
      if (b === 0) divideByZero();
      if (a === INT32_MIN && b === -1) divideOverflow();
      return Math.trunc(a / b) | 0;
    },
    i64: (a, b) => {
      if (b === 0n) divideByZero();
      if (a === INT64_MIN && b === -1n) divideOverflow();
      return a / b;
    },
  },
};

/** C[idx] = A[broadcast idx] op B[broadcast idx] over outDims. */
function broadcastApply(
  dtype: Numeric,
  kind: BinaryKind,
  aData: Tensor['data'],
  aDims: readonly number[],
  bData: Tensor['data'],
  bDims: readonly number[],
  outDims: readonly number[],
  out: Tensor['data'],
): void {
  const ndim = outDims.length;
  const sa = broadcastStrides(aDims, outDims);
  const sb = broadcastStrides(bDims, outDims);
  const total = out.length;
  const idx = new Array<number>(ndim).fill(0);
  const k = KERNELS[kind];
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    if (dtype === 'int64') {
      (out as BigInt64Array)[o] = k.i64((aData as BigInt64Array)[ia]!, (bData as BigInt64Array)[ib]!);
    } else {
      const a = (aData as Float64Array)[ia]!;
      const b = (bData as Float64Array)[ib]!;
      // Float32Array stores round the double result once; float64 is native.
      (out as Float64Array)[o] = dtype === 'int32' ? k.i32(a, b) : k.f(a, b);
    }
    for (let d = ndim - 1; d >= 0; d--) {
      ia += sa[d]!;
      ib += sb[d]!;
      if (++idx[d]! < outDims[d]!) break;
      ia -= sa[d]! * outDims[d]!;
      ib -= sb[d]! * outDims[d]!;
      idx[d] = 0;
    }
  }
}

function binaryOp(kind: BinaryKind, verb: string, inplace: ReadonlyArray<readonly [number, number]>): OperatorSpec {
  return {
    type: kind,
    engine: '',
    summary: `element-wise ${verb} of int32/int64/float/double tensors: numpy broadcasting, or Caffe2's legacy \`broadcast\`=1 with \`axis\`/\`axis_str\``,
    schema: { minInputs: 2, maxInputs: 2, minOutputs: 1, maxOutputs: 1, allowInplace: inplace },
    argKinds: { broadcast: 'i', axis: 'i', axis_str: 's', order: 's' },
    create({ args }) {
      const legacy = args.getBool('broadcast', false);
      let axis = args.getInt('axis', -1);
      const axisStr = args.getString('axis_str', '');
      const order = args.getString('order', 'NCHW');
      // BinaryElementwiseWithArgsOp constructor. The final "else" branch re-checks what it just
      // tested, so axis/axis_str without broadcast=1 are accepted and ignored.
      if (legacy) {
        if (axis !== -1) {
          enforce(axisStr.length === 0, 'Args axis and axis_str cannot be used simultaneously.');
        } else if (axisStr.length > 0) {
          enforce(axisStr.length === 1, `Unsupported axis string${axisStr}`);
          const found = order.indexOf(axisStr);
          enforce(found !== -1, `Unrecognizable axis string ${axisStr} from order string ${order}`);
          axis = found;
        }
      }
      return {
        run(io) {
          const a = io.tensor(0);
          const b = io.tensor(1);
          dispatchType(io, 0, a, NUMERIC_TYPES);
          requireDtype(io, 1, b, a.dtype);
          const outIsA = io.outputName(0) === io.inputName(0);
          const outIsB = io.outputName(0) === io.inputName(1);
          let aDims: number[];
          let bDims: number[];
          let outDims: number[];
          if (legacy) {
            enforce(!outIsB, 'In-place is allowed only with the first tensor when legacy-broadcasting');
            outDims = [...a.dims];
            if (b.size === 1) {
              aDims = [a.size];
              bDims = [1];
            } else {
              const [pre, n, post] = legacyBroadcastSizes(io, a, b, axis);
              aDims = [pre, n, post];
              bDims = [n, 1];
            }
          } else {
            aDims = [...a.dims];
            bDims = [...b.dims];
            outDims = broadcastDims(aDims, bDims);
            // In place, the output keeps the aliased input's shape.
            const same = (x: readonly number[]) => x.length === outDims.length && x.every((d, k) => d === outDims[k]);
            if (outIsA) enforce(same(aDims), `${shapeString(outDims)} vs ${shapeString(aDims)}: in-place output must keep input 0's shape`);
            else if (outIsB) enforce(same(bDims), `${shapeString(outDims)} vs ${shapeString(bDims)}: in-place output must keep input 1's shape`);
          }
          const y = newOutput(io, a.dtype, outDims);
          try {
            broadcastApply(a.dtype as Numeric, kind, a.data, aDims, b.data, bDims, legacy ? aDims : outDims, y.data);
          } catch (e) {
            if (e instanceof Caffe2Error && !e.context.blob) throw new Caffe2Error(e.reason, { blob: io.inputName(1) }, e.kind);
            throw e;
          }
          io.setOutput(0, y);
        },
      };
    },
  };
}

export const addOp = binaryOp('Add', 'addition', [[0, 0], [1, 0]]);
export const subOp = binaryOp('Sub', 'subtraction', [[0, 0], [1, 0]]);
export const mulOp = binaryOp('Mul', 'multiplication', [[0, 0], [1, 0]]);
export const divOp = binaryOp('Div', 'division', [[0, 0]]);

// ---- Sum -------------------------------------------------------------------------------------

export const sumOp: OperatorSpec = {
  type: 'Sum',
  engine: '',
  summary: 'element-wise sum of same-shape float or int32 tensors, added left to right',
  schema: { minInputs: 1, maxInputs: Infinity, minOutputs: 1, maxOutputs: 1, allowInplace: [[0, 0]] },
  argKinds: {},
  create() {
    return {
      run(io) {
        const x0 = io.tensor(0);
        if (x0.dtype !== 'float32' && x0.dtype !== 'int32') {
          throw new Caffe2Error(`Sum operator only supports 32-bit float and ints, but input was of type ${cppTypeName(x0.dtype)}`, { blob: io.inputName(0) });
        }
        const y = newOutput(io, x0.dtype, x0.dims);
        if (io.numInputs === 1) {
          (y.data as Float32Array).set(x0.data as Float32Array);
          io.setOutput(0, y);
          return;
        }
        const inputs = Array.from({ length: io.numInputs }, (_, k) => io.tensor(k));
        inputs.forEach((t, k) => {
          const same = t.ndim === x0.ndim && t.dims.every((d, j) => d === x0.dims[j]);
          if (k > 0 && !same) {
            throw new Caffe2Error(
              `Check failed: output->sizes() == Input(i).sizes().Description: Input #${k}, input dimension:${shapeString(t.dims)} should match output dimension: ${shapeString(x0.dims)}`,
              { blob: io.inputName(k) },
            );
          }
        });
        inputs.forEach((t, k) => requireDtype(io, k, t, x0.dtype));
        // SumOp: out = x0 + x1, then out += xi; each step rounds (float) or wraps (int32).
        const dst = y.data as Float32Array | Int32Array;
        const first = x0.data as Float32Array | Int32Array;
        const second = inputs[1]!.data as Float32Array | Int32Array;
        const int = x0.dtype === 'int32';
        for (let e = 0; e < dst.length; e++) dst[e] = int ? (first[e]! + second[e]!) | 0 : first[e]! + second[e]!;
        for (let k = 2; k < inputs.length; k++) {
          const src = inputs[k]!.data as Float32Array | Int32Array;
          for (let e = 0; e < dst.length; e++) dst[e] = int ? (dst[e]! + src[e]!) | 0 : dst[e]! + src[e]!;
        }
        io.setOutput(0, y);
      },
    };
  },
};

export const floatElementwiseOps: OperatorSpec[] = [reluOp, sigmoidOp, addOp, subOp, mulOp, divOp, sumOp];
