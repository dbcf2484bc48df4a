// Shape and dtype ops that sit around the int8 cores of real nets: Concat, Reshape, Flatten,
// Transpose, Slice, Copy and Cast (caffe2/operators/concat_split_op.h, reshape_op.h, flatten_op.h,
// transpose_op.h, slice_op.h, copy_op.cc, cast_op.cc, caffe2/utils/cast.h). Except Transpose and
// Cast they move elements of any dtype, as Caffe2's raw copies do.
//
// This module also exports the small helpers the other float-op modules share (axis
// canonicalisation, C++ type names, output allocation).
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce } from '../src/errors.js';
import type { OperatorSpec, OpIO } from '../src/operator.js';
import { DataType } from '../src/proto/types.js';
import { allocate, checkAllocation, shapeString, Tensor, type DType, type TensorData } from '../src/tensor.js';

// ---- shared helpers ----------------------------------------------------------------------------

/** Caffe2's TypeMeta names, as its messages print them (Linux, libstdc++). */
const CPP_TYPE_NAMES: Record<DType, string> = {
  float32: 'float',
  float64: 'double',
  int8: 'signed char',
  uint8: 'unsigned char',
  int16: 'short',
  uint16: 'unsigned short',
  int32: 'int',
  int64: 'long',
  bool: 'bool',
  float16: 'c10::Half',
  string: 'std::string',
};

export function cppTypeName(dtype: DType): string {
  return CPP_TYPE_NAMES[dtype];
}

/** DispatchHelper<TensorTypes<...>>: a dtype outside the list is an enforce failure. */
export function dispatchType(io: OpIO, i: number, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new Caffe2Error(`Unsupported type of tensor: ${cppTypeName(t.dtype)}`, { blob: io.inputName(i) });
  }
}

/** Tensor::data<T>() on a tensor of another dtype. */
export function requireDtype(io: OpIO, i: number, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) {
    throw new Caffe2Error(`Tensor type mismatch, caller expects elements of ${cppTypeName(dtype)}, while tensor contains ${cppTypeName(t.dtype)}`, {
      blob: io.inputName(i),
    });
  }
}

/** Tensor::canonical_axis_index: axis in [-ndim, ndim), negative counts from the end. */
export function canonicalAxis(axis: number, ndim: number, blob?: string): number {
  enforce(axis >= -ndim && axis < ndim, () => `axis ${axis} is out of range for a ${ndim}-D tensor (it must be in [${-ndim}, ${ndim}))`, { blob });
  return axis < 0 ? axis + ndim : axis;
}

/** Tensor::dim32(i) (and size(i)): an index past the rank is an enforce failure. */
export function dimAt(io: OpIO, i: number, t: Tensor, d: number): number {
  enforce(d >= 0 && d < t.ndim, () => `dimension ${d} is out of range for a ${t.ndim}-D tensor of shape ${shapeString(t.dims)}`, {
    blob: io.inputName(i),
  });
  return t.dims[d]!;
}

/** Product of dims[from, to). */
export function prod(dims: readonly number[], from = 0, to = dims.length): number {
  let n = 1;
  for (let d = from; d < to; d++) n *= dims[d]!;
  return n;
}

/** An output tensor of this dtype and shape, after the allocation limit check. */
export function newOutput(io: OpIO, dtype: DType, dims: readonly number[]): Tensor {
  const n = checkAllocation(dtype, dims, io.options.maxTensorBytes);
  return new Tensor(dtype, dims, allocate(dtype, n));
}

export function newFloatOutput(io: OpIO, dims: readonly number[]): Tensor<Float32Array> {
  return newOutput(io, 'float32', dims) as Tensor<Float32Array>;
}

/** Copies n elements between two buffers of the same dtype. */
function copyElements(dst: TensorData, dstOff: number, src: TensorData, srcOff: number, n: number): void {
  if (Array.isArray(dst)) {
    const s = src as string[];
    for (let k = 0; k < n; k++) dst[dstOff + k] = s[srcOff + k]!;
  } else {
    (dst as Float32Array).set((src as Float32Array).subarray(srcOff, srcOff + n), dstOff);
  }
}

/** A copy of t's elements with new dims (element count must match). */
function reshaped(io: OpIO, t: Tensor, dims: readonly number[]): Tensor {
  const out = newOutput(io, t.dtype, dims);
  copyElements(out.data, 0, t.data, 0, t.size);
  return out;
}

// ---- Concat ----------------------------------------------------------------------------------

/** GetDimFromOrderString (caffe2/core/types.h): NHWC concatenates on 3, NCHW on 1. */
function dimFromOrder(order: string): number {
  if (order === 'NHWC' || order === 'nhwc') return 3;
  if (order === 'NCHW' || order === 'nchw') return 1;
  throw new Caffe2Error(`Unsupported storage order: ${order}`);
}

export const concatOp: OperatorSpec = {
  type: 'Concat',
  engine: '',
  summary: 'concatenates tensors of one dtype along `axis` (or the C of `order`), or stacks them on a new axis with `add_axis`; output 1 is split_info (int32)',
  schema: { minInputs: 1, maxInputs: Infinity, minOutputs: 2, maxOutputs: 2 },
  argKinds: { axis: 'i', order: 's', add_axis: 'i' },
  create({ args }) {
    enforce(!(args.has('axis') && args.has('order')), "You shouldn't specify both the dim to concat, and the order in the case of 4-D images.");
    let axis: number;
    let addAxis = false;
    if (args.has('axis')) {
      axis = args.getInt('axis', -1);
      addAxis = args.getInt('add_axis', 0) !== 0;
    } else {
      axis = dimFromOrder(args.getString('order', 'NCHW'));
    }
    return {
      run(io) {
        const inputs = Array.from({ length: io.numInputs }, (_, k) => io.tensor(k));
        const x0 = inputs[0]!;
        const adjRank = x0.ndim + (addAxis ? 1 : 0);
        const ax = canonicalAxis(axis, adjRank, io.inputName(0));
        inputs.forEach((t, k) => {
          if (k > 0 && t.dtype !== x0.dtype) {
            throw new Caffe2Error(`All inputs must have the same type, expected: ${cppTypeName(x0.dtype)} but got: ${cppTypeName(t.dtype)} for input: ${k}`, {
              blob: io.inputName(k),
            });
          }
        });
        // ConcatOp::RunOnDevice: every dim of input 0 but the axis must match in every input.
        let before = 1;
        let after = 1;
        for (let d = 0; d < x0.ndim; d++) {
          if (d === ax && !addAxis) continue;
          const dim = x0.dims[d]!;
          if (d < ax) before *= dim;
          else after *= dim;
          for (let k = 1; k < inputs.length; k++) {
            const dk = dimAt(io, k, inputs[k]!, d);
            enforce(dk === dim, () => `Expect dimension = ${dim} got ${dk} at axis = ${d} for input: ${k}. The input tensors can only have different dimensions when arg 'add_axis' = 0 and along the axis = ${ax} <${x0.dims.join(',')}> vs <${inputs[k]!.dims.join(',')}>.`, {
              blob: io.inputName(k),
            });
          }
        }
        const split = inputs.map((t, k) => (addAxis ? 1 : dimAt(io, k, t, ax)));
        const channels = split.reduce((a, b) => a + b, 0);
        const outDims = [...x0.dims];
        if (addAxis) outDims.splice(ax, 0, channels);
        else outDims[ax] = channels;
        // Caffe2 copies before x (split[k]·after) elements from each input, using input 0's
        // before/after; an input of higher rank is read only that far. Reading past its end is UB.
        inputs.forEach((t, k) => {
          if (before * split[k]! * after > t.size) {
            throw new Caffe2Error(`input ${k} of shape ${shapeString(t.dims)} is too small for the concatenation (Caffe2 would read past its end)`, { blob: io.inputName(k) }, 'invalid');
          }
        });
        const splitInfo = newOutput(io, 'int32', [inputs.length]);
        (splitInfo.data as Int32Array).set(split);
        const y = newOutput(io, x0.dtype, outDims);
        const rowOut = channels * after;
        let offset = 0;
        inputs.forEach((t, k) => {
          const block = split[k]! * after;
          // An empty input (or output) may come with a huge slab count: copy nothing.
          if (block === 0 || y.size === 0) return;
          for (let r = 0; r < before; r++) copyElements(y.data, r * rowOut + offset, t.data, r * block, block);
          offset += block;
        });
        io.setOutput(0, y);
        io.setOutput(1, splitInfo);
      },
    };
  },
};

// ---- Reshape ---------------------------------------------------------------------------------

export const reshapeOp: OperatorSpec = {
  type: 'Reshape',
  engine: '',
  summary: 'reshapes to `shape` (or a 1-D int32/int64 shape input; 0 copies the input dim, -1 is inferred); output 1 is the old shape',
  schema: { minInputs: 1, maxInputs: 2, minOutputs: 2, maxOutputs: 2, allowInplace: [[0, 0]] },
  argKinds: { shape: 'ints' },
  create({ args }) {
    const argShape = args.getInts('shape', [], 'int64');
    const hasShapeArg = args.has('shape');
    return {
      run(io) {
        let newShape: number[];
        // The old_shape output takes the shape's index type: int64 from the argument, else the input's.
        let indexType: 'int32' | 'int64' = 'int64';
        if (io.numInputs === 2) {
          const s = io.tensor(1);
          dispatchType(io, 1, s, ['int32', 'int64']);
          indexType = s.dtype as 'int32' | 'int64';
          enforce(!hasShapeArg, 'New shape is specified by the input blob, do not pass in the argument `shape`.');
          enforce(s.ndim === 1, 'Shape should be 1-D', { blob: io.inputName(1) });
          newShape = Array.from(s.data as Int32Array | BigInt64Array, Number);
        } else {
          enforce(hasShapeArg, 'Argument `shape` is missing.');
          newShape = [...argShape];
        }
        const x = io.tensor(0);
        const total = x.size;
        // ReshapeOp::DoRunWithTypeImpl: Caffe1's 0 copies the input dim, but only for a non-empty input.
        if (total !== 0) {
          for (let d = 0; d < newShape.length && d < x.ndim; d++) if (newShape[d] === 0) newShape[d] = x.dims[d]!;
        }
        let unknown = -1;
        let size = 1;
        newShape.forEach((d, k) => {
          if (d === -1) {
            enforce(unknown === -1, 'Argument `shape` has more than one missing dimension.');
            unknown = k;
          } else {
            size *= d;
          }
        });
        if (size === 0 && total !== 0) throw new Caffe2Error(`Can not reshape a non-zero size (${total}) tensor to zero size.`);
        if (total !== 0) {
          if (unknown !== -1) {
            enforce(total % size === 0, `Argument \`shape\` does not agree with the input data. (${total} vs ${size})`);
            newShape[unknown] = total / size;
          } else {
            enforce(total === size, `Argument \`shape\` does not agree with the input data. (${total} != ${size})`);
          }
        } else if (unknown !== -1) {
          newShape[unknown] = 0;
        }
        if (newShape.some((d) => d < 0)) {
          // e.g. [-2, -3] for 6 elements passes the size checks; Caffe2 then resizes to negative dims.
          throw new Caffe2Error(`new shape [${newShape.join(',')}] has a negative dimension (Caffe2 does not check)`, {}, 'invalid');
        }
        const oldShape = newOutput(io, indexType, [x.ndim]);
        if (indexType === 'int64') (oldShape.data as BigInt64Array).set(x.dims.map((d) => BigInt(d)));
        else (oldShape.data as Int32Array).set(x.dims);
        io.setOutput(0, reshaped(io, x, newShape));
        io.setOutput(1, oldShape);
      },
    };
  },
};

// ---- Flatten ---------------------------------------------------------------------------------

export const flattenOp: OperatorSpec = {
  type: 'Flatten',
  engine: '',
  summary: 'flattens to 2-D: [prod(dims[:axis]), prod(dims[axis:])], axis default 1',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axis: 'i' },
  create({ args }) {
    const axis = args.getInt('axis', 1);
    return {
      run(io) {
        const x = io.tensor(0);
        enforce(x.ndim >= axis, `The rank of the tensor must be >= axis. (${x.ndim} vs ${axis})`, { blob: io.inputName(0) });
        // size_to_dim_ takes the axis as unsigned, so a negative axis fails its check.
        enforce(axis >= 0, `axis ${axis} must not be negative (size_to_dim)`, { blob: io.inputName(0) });
        io.setOutput(0, reshaped(io, x, [prod(x.dims, 0, axis), prod(x.dims, axis)]));
      },
    };
  },
};

// ---- Transpose -------------------------------------------------------------------------------

export const transposeOp: OperatorSpec = {
  type: 'Transpose',
  engine: '',
  summary: 'permutes dimensions by `axes` (default: reversed); float, double, int32, int64',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axes: 'ints' },
  create({ args }) {
    let axes = args.getInts('axes');
    const sorted = [...axes].sort((a, b) => a - b);
    if (sorted.some((a, k) => a !== k)) throw new Caffe2Error('Axes should be a permutation of 0 to ndim.');
    return {
      run(io) {
        const x = io.tensor(0);
        dispatchType(io, 0, x, ['float32', 'float64', 'int32', 'int64']);
        const ndim = x.ndim;
        // TransposeOp::TransposeImpl fills in the reversed axes on the first run and keeps them, so
        // a later run of the same created op with another rank fails the check below.
        if (axes.length === 0) axes = Array.from({ length: ndim }, (_, k) => ndim - 1 - k);
        else enforce(ndim === axes.length, `${ndim} vs ${axes.length}: the input rank must equal the number of axes`, { blob: io.inputName(0) });
        const yDims = axes.map((a) => x.dims[a]!);
        const y = newOutput(io, x.dtype, yDims);
        const xStrides = x.dims.map((_, d) => prod(x.dims, d + 1));
        const srcStride = axes.map((a) => xStrides[a]!);
        const idx = new Array<number>(ndim).fill(0);
        const src = x.data as Float32Array;
        const dst = y.data as Float32Array;
        for (let o = 0; o < y.size; o++) {
          let s = 0;
          for (let d = 0; d < ndim; d++) s += idx[d]! * srcStride[d]!;
          dst[o] = src[s]!;
          for (let d = ndim - 1; d >= 0; d--) {
            if (++idx[d]! < yDims[d]!) break;
            idx[d] = 0;
          }
        }
        io.setOutput(0, y);
      },
    };
  },
};

// ---- Slice -----------------------------------------------------------------------------------

export const sliceOp: OperatorSpec = {
  type: 'Slice',
  engine: '',
  summary: 'slices along at most one dimension with `starts`/`ends` (or int32/int64 inputs); negative indices count from size+1',
  schema: { minInputs: 1, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { starts: 'ints', ends: 'ints' },
  create({ args }) {
    const startsArg = args.getInts('starts', [], 'int64');
    const endsArg = args.getInts('ends', [], 'int64');
    const hasStarts = args.has('starts');
    const hasEnds = args.has('ends');
    return {
      run(io) {
        let starts: number[];
        let ends: number[];
        if (io.numInputs > 1) {
          const st = io.tensor(1);
          dispatchType(io, 1, st, ['int32', 'int64']);
          enforce(io.numInputs > 2, 'Slice with a starts input also needs an ends input (input 2)');
          const en = io.tensor(2);
          requireDtype(io, 2, en, st.dtype);
          enforce(st.ndim === 1, `starts must be 1-D (${st.ndim} vs 1)`, { blob: io.inputName(1) });
          enforce(en.ndim === 1, `ends must be 1-D (${en.ndim} vs 1)`, { blob: io.inputName(2) });
          starts = Array.from(st.data as Int32Array | BigInt64Array, Number);
          ends = Array.from(en.data as Int32Array | BigInt64Array, Number);
        } else {
          enforce(hasStarts, 'Slice needs the `starts` argument (or inputs)');
          enforce(hasEnds, 'Slice needs the `ends` argument (or inputs)');
          enforce(startsArg.length === endsArg.length, `starts and ends must have the same length (${startsArg.length} vs ${endsArg.length})`);
          starts = startsArg;
          ends = endsArg;
        }
        const x = io.tensor(0);
        const ndim = x.ndim;
        enforce(ndim >= starts.length, `the input has ${ndim} dims, fewer than the ${starts.length} starts (${ndim} vs ${starts.length})`, { blob: io.inputName(0) });
        enforce(starts.length === ends.length, `starts and ends must have the same length (${starts.length} vs ${ends.length})`);
        const startIdx = new Array<number>(ndim).fill(0);
        const endIdx = new Array<number>(ndim).fill(0);
        // SliceImpl leaves dst_sizes at 0 for the dims past the given starts (see below).
        const dstDims = new Array<number>(ndim).fill(0);
        for (let d = 0; d < ndim; d++) {
          const size = x.dims[d]!;
          if (d >= starts.length) {
            endIdx[d] = size;
            continue;
          }
          if (size > 0) {
            let s = starts[d]!;
            let e = ends[d]!;
            if (s < 0) s = size + 1 + s;
            if (e < 0) e = size + 1 + e;
            if (s > size) s = size;
            if (e > size) e = size;
            enforce(s >= 0, `start ${s} along dim ${d} is negative after adjustment (${s} vs 0)`);
            enforce(e >= 0, `end ${e} along dim ${d} is negative after adjustment (${e} vs 0)`);
            enforce(e >= s, `end ${e} is before start ${s} along dim ${d}`);
            startIdx[d] = s;
            endIdx[d] = e;
            dstDims[d] = e - s;
          }
        }
        if (x.size <= 0) {
          io.setOutput(0, newOutput(io, x.dtype, dstDims));
          return;
        }
        let dim = -1;
        for (let d = 0; d < ndim; d++) {
          if (startIdx[d]! > 0 || endIdx[d]! < x.dims[d]!) {
            enforce(dim === -1, 'Currently only possible to slice in 1 dimension.');
            dim = d;
          }
        }
        if (dim === -1) {
          io.setOutput(0, reshaped(io, x, x.dims));
          return;
        }
        const unit = prod(x.dims, dim + 1);
        const blocks = prod(x.dims, 0, dim);
        const dstBlock = unit * (endIdx[dim]! - startIdx[dim]!);
        const y = newOutput(io, x.dtype, dstDims);
        if (dstBlock === 0) {
          io.setOutput(0, y);
          return;
        }
        if (dstBlock * blocks > y.size) {
          // SliceImpl quirk: with fewer starts than dims the trailing output dims stay 0, and the
          // copy then writes past the end of the empty output.
          throw new Caffe2Error(
            `slicing a ${ndim}-D tensor with ${starts.length} starts leaves the trailing output dims at 0 (shape ${shapeString(dstDims)}); Caffe2 then writes past the end of the output`,
            { blob: io.inputName(0) },
            'invalid',
          );
        }
        const srcBlock = unit * x.dims[dim]!;
        const srcOffset = unit * startIdx[dim]!;
        for (let b = 0; b < blocks; b++) copyElements(y.data, b * dstBlock, x.data, b * srcBlock + srcOffset, dstBlock);
        io.setOutput(0, y);
      },
    };
  },
};

// ---- Copy ------------------------------------------------------------------------------------

export const copyOp: OperatorSpec = {
  type: 'Copy',
  engine: '',
  summary: 'copies a tensor of any dtype',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: {},
  create() {
    return {
      run(io) {
        const x = io.tensor(0);
        io.setOutput(0, reshaped(io, x, x.dims));
      },
    };
  },
};

// ---- Cast ------------------------------------------------------------------------------------

const DATA_TYPE_NAMES: Record<string, number> = {
  UNDEFINED: DataType.UNDEFINED,
  FLOAT: DataType.FLOAT,
  INT32: DataType.INT32,
  BYTE: DataType.BYTE,
  STRING: DataType.STRING,
  BOOL: DataType.BOOL,
  UINT8: DataType.UINT8,
  INT8: DataType.INT8,
  UINT16: DataType.UINT16,
  INT16: DataType.INT16,
  INT64: DataType.INT64,
  FLOAT16: DataType.FLOAT16,
  DOUBLE: DataType.DOUBLE,
  ZERO_COLLISION_HASH: DataType.ZERO_COLLISION_HASH,
  REBATCHING_BUFFER: DataType.REBATCHING_BUFFER,
};

/** cast::GetCastDataType: a string names a DataType (case-insensitive), else an int, default FLOAT. */
function castDataType(args: ArgumentHelper, name: string): number {
  if (args.hasSingle(name, 's')) {
    const s = args.getString(name, 'float').toUpperCase();
    const v = DATA_TYPE_NAMES[s];
    if (v === undefined) throw new Caffe2Error(`Unknown 'to' argument: ${s}`);
    return v;
  }
  return args.getInt(name, DataType.FLOAT);
}

/** CastOp<CPUContext>::SetBody. */
function castTarget(to: number): DType {
  switch (to) {
    case DataType.FLOAT: return 'float32';
    case DataType.INT32: return 'int32';
    case DataType.BYTE: throw new Caffe2Error('BYTE is deprecated', {}, 'fatal');
    case DataType.STRING: return 'string';
    case DataType.BOOL: return 'bool';
    case DataType.UINT8: return 'uint8';
    case DataType.INT8: return 'int8';
    case DataType.UINT16: return 'uint16';
    case DataType.INT16: return 'int16';
    case DataType.INT64: return 'int64';
    case DataType.FLOAT16: throw new Caffe2Error('Casting to and from at::Half on CPU is not supported yet');
    case DataType.DOUBLE: return 'float64';
    case DataType.UNDEFINED: throw new Caffe2Error("Cast op must have 'to' argument of type DataType");
    default: throw new Caffe2Error(`Unexpected 'to' argument value: ${to}`);
  }
}

const CAST_SOURCES: readonly DType[] = ['float32', 'int32', 'bool', 'uint8', 'int8', 'uint16', 'int16', 'int64', 'float64'];

const INT_LIMITS: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
};

const TWO_63 = 2 ** 63;

/** Integer → narrower integer: two's-complement wrap, as static_cast does on every target we know. */
function wrapInt(v: number, dtype: DType): number {
  switch (dtype) {
    case 'int8': return (v << 24) >> 24;
    case 'uint8': return v & 0xff;
    case 'int16': return (v << 16) >> 16;
    case 'uint16': return v & 0xffff;
    default: return v | 0;
  }
}

/** int64 → float32 rounded once, to nearest even (a double step would round twice above 2^53). */
export function int64ToFloat32(v: bigint): number {
  const neg = v < 0n;
  let a = neg ? -v : v;
  if (a < 1n << 53n) return Math.fround(Number(v));
  const shift = BigInt(a.toString(2).length - 24);
  const rem = a & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  a >>= shift;
  if (rem > half || (rem === half && (a & 1n) === 1n)) a += 1n;
  const r = Math.fround(Number(a) * 2 ** Number(shift));
  return neg ? -r : r;
}

/** printf("%f") of a double: six decimals of the exact binary value, ties to even (glibc). */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mant = bits & ((1n << 52n) - 1n);
  if (biased !== 0) mant |= 1n << 52n;
  const exp = (biased === 0 ? 1 : biased) - 1075; // value = mant · 2^exp
  let scaled: bigint;
  if (exp >= 0) {
    scaled = (mant << BigInt(exp)) * 1000000n;
  } else {
    const num = mant * 1000000n;
    const den = 1n << BigInt(-exp);
    scaled = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const intPart = scaled / 1000000n;
  const frac = (scaled % 1000000n).toString().padStart(6, '0');
  return `${neg ? '-' : ''}${intPart}.${frac}`;
}

function castTensor(io: OpIO, x: Tensor, to: DType): Tensor {
  const y = newOutput(io, to, x.dims);
  const n = x.size;
  const srcIsFloat = x.dtype === 'float32' || x.dtype === 'float64';
  const refuse = (v: number | bigint): never => {
    throw new Caffe2Error(`cannot cast ${String(v)} (${cppTypeName(x.dtype)}) to ${cppTypeName(to)}: out of range, which is undefined behaviour for static_cast`, { blob: io.inputName(0) }, 'invalid');
  };
  if (x.dtype === 'int64') {
    const src = x.data as BigInt64Array;
    for (let k = 0; k < n; k++) {
      const v = src[k]!;
      switch (to) {
        case 'int64': (y.data as BigInt64Array)[k] = v; break;
        case 'float32': (y.data as Float32Array)[k] = int64ToFloat32(v); break;
        case 'float64': (y.data as Float64Array)[k] = Number(v); break;
        case 'bool': (y.data as Uint8Array)[k] = v !== 0n ? 1 : 0; break;
        case 'string': (y.data as string[])[k] = v.toString(); break;
        default: (y.data as Int32Array)[k] = wrapInt(Number(BigInt.asIntN(32, v)), to);
      }
    }
    return y;
  }
  const src = x.data as Exclude<TensorData, string[] | BigInt64Array>;
  for (let k = 0; k < n; k++) {
    const v = src[k]!;
    switch (to) {
      case 'float32': (y.data as Float32Array)[k] = v; break; // the typed array rounds to nearest float
      case 'float64': (y.data as Float64Array)[k] = v; break;
      case 'bool': (y.data as Uint8Array)[k] = v !== 0 ? 1 : 0; break; // NaN != 0 is true
      case 'string': (y.data as string[])[k] = srcIsFloat ? formatFixed6(v) : String(v); break;
      case 'int64': {
        if (!srcIsFloat) {
          (y.data as BigInt64Array)[k] = BigInt(v);
        } else {
          const t = Math.trunc(v);
          if (!(t >= -TWO_63 && t < TWO_63)) refuse(v);
          (y.data as BigInt64Array)[k] = BigInt(t);
        }
        break;
      }
      default: {
        // int8/uint8/int16/uint16/int32: floats truncate toward zero and must fit; ints wrap.
        if (srcIsFloat) {
          const t = Math.trunc(v);
          const [lo, hi] = INT_LIMITS[to]!;
          if (!(t >= lo && t <= hi)) refuse(v);
          (y.data as Int32Array)[k] = t;
        } else {
          (y.data as Int32Array)[k] = wrapInt(v, to);
        }
      }
    }
  }
  return y;
}

export const castOp: OperatorSpec = {
  type: 'Cast',
  engine: '',
  summary: 'converts elements to the TensorProto.DataType in `to` (number or name; default FLOAT) with C++ static_cast semantics',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { to: 'i', from_type: 'i' },
  create({ args }) {
    const to = castDataType(args, 'to');
    castDataType(args, 'from_type'); // parsed (and checked) by the constructor, unused
    const target = castTarget(to);
    return {
      run(io) {
        const x = io.tensor(0);
        dispatchType(io, 0, x, CAST_SOURCES);
        io.setOutput(0, castTensor(io, x, target));
      },
    };
  },
};

export const floatShapeOps: OperatorSpec[] = [concatOp, reshapeOp, flattenOp, transposeOp, sliceOp, copyOp, castOp];
