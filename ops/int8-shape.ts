// Int8Reshape, Int8Flatten, Int8Slice and Int8Transpose, default engine: Caffe2's int8 wrappers
// (caffe2/operators/quantized/int8_{reshape,flatten,slice,transpose}_op.h) around the float
// ops' shape logic (reshape_op.h, slice_op.h, transpose_op.h). They move bytes only; the output
// keeps the input's scale and zero point ("Ypass"), after Caffe2's checks that the Y_scale /
// Y_zero_point arguments equal them.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce, type FailureKind } from '../src/errors.js';
import type { OperatorSpec, OpIO } from '../src/operator.js';
import { f32, formatScale } from '../src/quant/float32.js';
import { checkAllocation, elementCount, Int8Tensor, shapeString, Tensor, type DType } from '../src/tensor.js';
import { copyBlocks } from '../src/copy.js';

const YQ_ARG_KINDS = { Y_scale: 'f', Y_zero_point: 'i' } as const;

function fail(io: OpIO, i: number, reason: string, kind: FailureKind = 'enforce'): Caffe2Error {
  return new Caffe2Error(reason, { blob: io.inputName(i) }, kind);
}

/**
 * The Ypass checks: Y_zero_point is read before Y_scale (argument errors surface in that order),
 * then both must equal the input's. `kind` is 'fatal' for CHECK_EQ (Reshape, Flatten, Slice)
 * and 'enforce' for CAFFE_ENFORCE_EQ (Transpose).
 */
function ypass(io: OpIO, args: ArgumentHelper, x: Int8Tensor, kind: 'fatal' | 'enforce'): void {
  const yZeroPoint = args.getInt('Y_zero_point', 0);
  const yScale = f32(args.getFloat('Y_scale', 1));
  const how = kind === 'fatal' ? 'CHECK_EQ' : 'CAFFE_ENFORCE_EQ';
  if (yZeroPoint !== x.zeroPoint) {
    throw fail(io, 0, `${how}(Y_zero_point, X.zero_point) failed: ${yZeroPoint} vs. ${x.zeroPoint}; this op keeps the input's zero point`, kind);
  }
  if (yScale !== x.scale) {
    throw fail(io, 0, `${how}(Y_scale, X.scale) failed: ${formatScale(yScale)} vs. ${formatScale(x.scale)}; this op keeps the input's scale`, kind);
  }
}

/** A fresh copy of an Int8 tensor's data (uint8, or int32 for bias-style tensors). */
function copyInt8Data(x: Int8Tensor): Uint8Array | Int32Array {
  return x.data.slice();
}

function allocLike(x: Int8Tensor, n: number): Uint8Array | Int32Array {
  return x.dtype === 'uint8' ? new Uint8Array(n) : new Int32Array(n);
}

/** DispatchHelper<TensorTypes<int, int64_t>> on an index tensor. */
function indexDtype(io: OpIO, i: number): { t: Tensor; dtype: 'int32' | 'int64' } {
  const t = io.tensor(i);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') {
    throw fail(io, i, `Unsupported type of tensor: ${t.dtype} (expected int32 or int64)`);
  }
  return { t, dtype: t.dtype };
}

function indexValues(t: Tensor): number[] {
  return t.dtype === 'int64' ? Array.from(t.data as BigInt64Array, Number) : Array.from(t.data as Int32Array);
}

// ---------------------------------------------------------------------------------------------
// Int8Reshape

const TWO_POW_63 = 2 ** 63;

export const int8Reshape: OperatorSpec = {
  type: 'Int8Reshape',
  engine: '',
  summary: 'reshape (0 copies an input dim, one -1 is inferred) from `shape` or a 1-D int32/int64 input; second output is the old shape',
  schema: { minInputs: 1, maxInputs: 2, minOutputs: 2, maxOutputs: 2, allowInplace: [[0, 0]] },
  argKinds: { shape: 'ints', ...YQ_ARG_KINDS },
  create({ def, args }) {
    const hasShapeArg = args.has('shape');
    // ReshapeOp's constructor reads `shape` as repeated int64.
    const shapeArg = args.getInts('shape', [], 'int64');
    const outputs = def.output ?? [];
    if (outputs.length === 2 && outputs[0] === outputs[1]) {
      // Caffe2 does not check this: writing old_shape replaces the Int8 blob that Y points into.
      throw new Caffe2Error(`both outputs are "${outputs[0]}"; Caffe2 would write old_shape over the reshaped Int8 tensor (undefined behaviour)`, { blob: outputs[0] }, 'invalid');
    }
    return {
      run(io) {
        let shapeInput: Tensor | undefined;
        let indexType: 'int32' | 'int64' = 'int64';
        if (io.numInputs === 2) {
          const d = indexDtype(io, 1);
          shapeInput = d.t;
          indexType = d.dtype;
        } else {
          enforce(hasShapeArg, 'Argument `shape` is missing.');
        }
        const x = io.int8(0);
        ypass(io, args, x, 'fatal');

        let shape = [...shapeArg];
        if (shapeInput) {
          enforce(!hasShapeArg, 'New shape is specified by the input blob, do not pass in the argument `shape`.');
          if (shapeInput.ndim !== 1) throw fail(io, 1, 'Shape should be 1-D');
          if (shapeInput.size > 0) shape = indexValues(shapeInput);
        }
        const total = x.size;
        // The legacy Caffe1 `0` (copy the input dim) applies only to a non-empty input.
        if (total !== 0) {
          for (let i = 0; i < shape.length && i < x.ndim; i++) if (shape[i] === 0) shape[i] = x.dims[i]!;
        }
        // reshape_op.h accumulates the product in the index type T: int32 wraps, int64 is exact.
        let size = 1;
        let unknown = -1;
        for (let i = 0; i < shape.length; i++) {
          const d = shape[i]!;
          if (d === -1) {
            enforce(unknown === -1, 'Argument `shape` has more than one missing dimension.');
            unknown = i;
          } else if (indexType === 'int32') {
            size = Math.imul(size, d | 0);
          } else {
            size *= d;
            if (!(Math.abs(size) < TWO_POW_63)) {
              throw new Caffe2Error(`the product of shape ${shapeString(shape)} overflows int64 (undefined behaviour in Caffe2)`, {}, 'invalid');
            }
          }
        }
        if (size === 0 && total !== 0) throw new Caffe2Error(`Can not reshape a non-zero size (${total}) tensor to zero size.`);
        if (total !== 0) {
          if (unknown !== -1) {
            enforce(total % size === 0, `Argument \`shape\` does not agree with the input data. (${total} vs ${size})`);
            shape[unknown] = total / size;
          } else {
            enforce(total === size, `Argument \`shape\` does not agree with the input data. (${total} != ${size})`);
          }
        } else if (unknown !== -1) {
          shape[unknown] = 0;
        }
        // Caffe2 does not check these: negative dims reach Tensor::Resize, and a shape whose
        // element count differs from the input's (an empty input reshaped to a non-empty shape,
        // or an int32 product that wrapped) leaves uninitialised or truncated data.
        if (shape.some((d) => d < 0)) {
          throw fail(io, 0, `new shape ${shapeString(shape)} has a negative dimension (Caffe2 does not check; undefined behaviour)`, 'invalid');
        }
        const count = elementCount(shape);
        if (count !== total) {
          throw fail(io, 0, `new shape ${shapeString(shape)} has ${count} elements but the input ${shapeString(x.dims)} has ${total} (Caffe2 does not check; the output would hold uninitialised data)`, 'invalid');
        }
        // old_shape: a plain tensor of the index type holding the input dims, written first.
        const oldShape =
          indexType === 'int64'
            ? new Tensor('int64', [x.ndim], BigInt64Array.from(x.dims, (d) => BigInt(d)))
            : new Tensor('int32', [x.ndim], Int32Array.from(x.dims));
        io.setOutput(1, oldShape);
        const inplace = io.outputName(0) === io.inputName(0);
        io.setOutput(0, new Int8Tensor(inplace ? x.data : copyInt8Data(x), shape, x.scale, x.zeroPoint));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8Flatten

export const int8Flatten: OperatorSpec = {
  type: 'Int8Flatten',
  engine: '',
  summary: 'flatten to 2-D (prod(dims[:axis]), prod(dims[axis:])), axis default 1',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axis: 'i', ...YQ_ARG_KINDS },
  create({ args }) {
    const axis = args.getInt('axis', 1);
    return {
      run(io) {
        const x = io.int8(0);
        ypass(io, args, x, 'fatal');
        // CAFFE_ENFORCE_GE(rank, axis) compares size_t with int, so a negative axis fails too.
        if (!(axis >= 0 && x.ndim >= axis)) {
          throw fail(io, 0, `The rank of the tensor must be >= axis. (rank ${x.ndim}, axis ${axis})`);
        }
        const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
        const inner = x.dims.slice(axis).reduce((a, b) => a * b, 1);
        const dims = [outer, inner];
        checkAllocation(x.dtype, dims, io.options.maxTensorBytes);
        io.setOutput(0, new Int8Tensor(copyInt8Data(x), dims, x.scale, x.zeroPoint));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8Slice

interface IndexHost {
  /** Any dtype can be copied in; only int32/int64 can be read back as indices. */
  dtype: DType;
  dims: readonly number[];
  values: number[];
}

/**
 * SliceImpl (slice_op.h), forward direction: per dim a negative index i means dim + 1 + i,
 * indices are clamped to the dim, 0 <= start <= end is enforced, dims past the lists are kept
 * whole, and at most one dim may actually be cut.
 */
function sliceInt8(io: OpIO, x: Int8Tensor, sIndex: 'int32' | 'int64', starts: IndexHost, ends: IndexHost): Int8Tensor {
  if (ends.dtype !== sIndex) {
    throw fail(io, 2, `Tensor type mismatch, caller expects elements of ${sIndex}, while tensor contains ${ends.dtype}`);
  }
  enforce(starts.dims.length === 1, `starts must be 1-D, got shape ${shapeString(starts.dims)}`);
  enforce(ends.dims.length === 1, `ends must be 1-D, got shape ${shapeString(ends.dims)}`);
  const n = starts.values.length;
  if (!(x.ndim >= n)) throw fail(io, 0, `the input has rank ${x.ndim} but ${n} start indices were given`);
  enforce(n === ends.values.length, `starts has ${n} entries but ends has ${ends.values.length}`);

  const rank = x.ndim;
  const startIdx = new Array<number>(rank);
  const endIdx = new Array<number>(rank);
  const outDims = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const d = x.dims[i]!;
    if (i >= n) {
      startIdx[i] = 0;
      endIdx[i] = d;
      outDims[i] = d;
      continue;
    }
    if (d > 0) {
      let start = starts.values[i]!;
      let end = ends.values[i]!;
      if (start < 0) start = d + 1 + start;
      if (end < 0) end = d + 1 + end;
      if (start > d) start = d;
      if (end > d) end = d;
      enforce(start >= 0, `slice start ${start} for dim ${i} is negative after wrapping (given ${starts.values[i]})`);
      enforce(end >= 0, `slice end ${end} for dim ${i} is negative after wrapping (given ${ends.values[i]})`);
      enforce(end >= start, `slice end ${end} is before start ${start} for dim ${i}`);
      startIdx[i] = start;
      endIdx[i] = end;
      outDims[i] = end - start;
    } else {
      startIdx[i] = 0;
      endIdx[i] = 0;
      outDims[i] = 0;
    }
  }
  if (x.size === 0) {
    checkAllocation(x.dtype, outDims, io.options.maxTensorBytes);
    return new Int8Tensor(allocLike(x, 0), outDims, x.scale, x.zeroPoint);
  }
  let dim = -1;
  for (let i = 0; i < rank; i++) {
    if (startIdx[i]! > 0 || endIdx[i]! < x.dims[i]!) {
      if (dim !== -1) throw fail(io, 0, 'Currently only possible to slice in 1 dimension.');
      dim = i;
    }
  }
  if (dim === -1) return new Int8Tensor(copyInt8Data(x), x.dims, x.scale, x.zeroPoint);
  const count = checkAllocation(x.dtype, outDims, io.options.maxTensorBytes);
  const out = allocLike(x, count);
  const unit = x.dims.slice(dim + 1).reduce((a, b) => a * b, 1);
  const blocks = x.dims.slice(0, dim).reduce((a, b) => a * b, 1);
  const srcBlock = unit * x.dims[dim]!;
  const dstBlock = unit * (endIdx[dim]! - startIdx[dim]!);
  const srcOffset = unit * startIdx[dim]!;
  copyBlocks(out, 0, dstBlock, x.data, srcOffset, srcBlock, dstBlock, blocks);
  return new Int8Tensor(out, outDims, x.scale, x.zeroPoint);
}

export const int8Slice: OperatorSpec = {
  type: 'Int8Slice',
  engine: '',
  summary: 'slice one dimension: `starts`/`ends` (ints), `dim`/`start_idx`/`end_idx`, or 1-D index inputs; negative i means dim+1+i',
  schema: { minInputs: 1, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { starts: 'ints', ends: 'ints', dim: 'i', start_idx: 'i', end_idx: 'i', ...YQ_ARG_KINDS },
  create({ args }) {
    // SliceOp's constructor reads both lists as repeated int64.
    let starts = args.getInts('starts', [], 'int64');
    let ends = args.getInts('ends', [], 'int64');
    // Argument mode: the index tensors are built once, on the first run that gets that far
    // (statically_inited_), so a rank read there for `dim` stays frozen.
    let staticHosts: { starts: IndexHost; ends: IndexHost } | undefined;
    // Input mode: ReinitializeAndCopyFrom refuses to change a host tensor's dtype once set.
    let startsHostDtype: DType | undefined;
    let endsHostDtype: DType | undefined;
    return {
      run(io) {
        let sIndex: 'int32' | 'int64';
        let hosts: { starts: IndexHost; ends: IndexHost };
        if (io.numInputs > 1) {
          const s = indexDtype(io, 1);
          sIndex = s.dtype;
          const copyHost = (i: number, t: Tensor, frozen: DType | undefined): IndexHost => {
            if (frozen !== undefined && frozen !== t.dtype) {
              throw fail(io, i, `We don't allow a change of data type in ReinitializeAndCopyFrom. Attempt to change from: ${frozen} to: ${t.dtype}`);
            }
            const isIndex = t.dtype === 'int32' || t.dtype === 'int64';
            return { dtype: t.dtype, dims: t.dims, values: isIndex ? indexValues(t) : [] };
          };
          const startsHost = copyHost(1, s.t, startsHostDtype);
          startsHostDtype = startsHost.dtype;
          // With two inputs Caffe2 still reads Input(2) (an out-of-range access that throws).
          if (io.numInputs < 3) throw fail(io, 1, 'Int8Slice with a starts input also needs an ends input (input 2)');
          // Any dtype is copied here; a mismatch with starts' type fails later, in SliceImpl.
          const endsHost = copyHost(2, io.tensor(2), endsHostDtype);
          endsHostDtype = endsHost.dtype;
          hosts = { starts: startsHost, ends: endsHost };
        } else {
          sIndex = 'int64';
          if (!staticHosts) {
            if (args.has('dim') && args.has('start_idx') && args.has('end_idx')) {
              const dim = args.getInt('dim', 0);
              const start = args.getInt('start_idx', 0, 'int64');
              const end = args.getInt('end_idx', -1, 'int64');
              const rank = io.int8(0).ndim;
              if (!(dim >= 0 && dim < rank)) {
                throw fail(io, 0, `dim ${dim} is outside the input's rank ${rank} (Caffe2 does not check; out-of-bounds write)`, 'invalid');
              }
              // std::vector::resize: keep the first `rank` entries, pad starts with 0 and ends with -1.
              starts = Array.from({ length: rank }, (_, i) => (i < starts.length ? starts[i]! : 0));
              ends = Array.from({ length: rank }, (_, i) => (i < ends.length ? ends[i]! : -1));
              starts[dim] = start;
              ends[dim] = end;
            } else {
              enforce(args.has('starts'), 'Int8Slice needs the `starts` and `ends` arguments (or `dim`, `start_idx` and `end_idx`): `starts` is missing');
              enforce(args.has('ends'), 'Int8Slice needs the `starts` and `ends` arguments (or `dim`, `start_idx` and `end_idx`): `ends` is missing');
            }
            enforce(starts.length === ends.length, `starts has ${starts.length} entries but ends has ${ends.length}`);
            staticHosts = {
              starts: { dtype: 'int64', dims: [starts.length], values: [...starts] },
              ends: { dtype: 'int64', dims: [ends.length], values: [...ends] },
            };
          }
          hosts = staticHosts;
        }
        const x = io.int8(0);
        ypass(io, args, x, 'fatal');
        io.setOutput(0, sliceInt8(io, x, sIndex, hosts.starts, hosts.ends));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8Transpose

/** Y[i0..] with Y.dims[k] = X.dims[axes[k]]: a generic strided permutation copy. */
function transposeBytes(x: Uint8Array, dims: readonly number[], axes: readonly number[], outDims: readonly number[]): Uint8Array {
  const rank = dims.length;
  const out = new Uint8Array(x.length);
  if (x.length === 0) return out;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= dims[i]!;
  }
  // Stride in X of each output axis.
  const strides = axes.map((a) => inStrides[a]!);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]! += 1;
      src += strides[k]!;
      if (idx[k]! < outDims[k]!) break;
      src -= strides[k]! * outDims[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

export const int8Transpose: OperatorSpec = {
  type: 'Int8Transpose',
  engine: '',
  summary: 'permute axes (`axes`, default reversed, frozen from the first run\'s rank); uint8 data only',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { axes: 'ints', ...YQ_ARG_KINDS },
  create({ args }) {
    let axes = args.getInts('axes', [], 'int32');
    const sorted = [...axes].sort((a, b) => a - b);
    if (sorted.some((a, i) => a !== i)) {
      throw new Caffe2Error(`Axes should be a permutation of 0 to ndim. (axes [${axes.join(',')}])`);
    }
    return {
      run(io) {
        const x = io.int8(0);
        ypass(io, args, x, 'enforce');
        const rank = x.ndim;
        // TransposeOp fills in the reversed order on the first run and keeps it.
        if (axes.length === 0) axes = Array.from({ length: rank }, (_, i) => rank - 1 - i);
        else if (rank !== axes.length) throw fail(io, 0, `input rank ${rank} does not match the ${axes.length} axes [${axes.join(',')}]`);
        const outDims = axes.map((a) => x.dims[a]!);
        checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        if (x.dtype !== 'uint8') {
          throw fail(io, 0, `Tensor type mismatch, caller expects elements of uint8, while tensor contains ${x.dtype}`);
        }
        io.setOutput(0, new Int8Tensor(transposeBytes(x.data as Uint8Array, x.dims, axes, outDims), outDims, x.scale, x.zeroPoint));
      },
    };
  },
};

export const int8ShapeOps: OperatorSpec[] = [int8Reshape, int8Flatten, int8Slice, int8Transpose];
