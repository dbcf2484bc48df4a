// Fill ops that build parameter blobs in init nets: the float/int Given*Fill family,
// ConstantFill (caffe2/operators/filler_op.h, given_tensor_fill_op.h) and the Int8 fills
// (caffe2/operators/quantized/int8_given_tensor_fill_op.h). Values and shapes are parsed when
// the op is created, as the C++ constructors do; the element count, only a DCHECK upstream,
// is enforced here.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec, OpIO, RunOptions } from '../src/operator.js';
import { DataType } from '../src/proto/types.js';
import { allocate, checkAllocation, Int8Tensor, Tensor, type DType, type TensorData } from '../src/tensor.js';

/** TensorProto.DataType -> our dtype, for the types fill ops can produce. */
const DTYPE_OF: Partial<Record<number, DType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.BOOL]: 'bool',
  [DataType.INT8]: 'int8',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.UINT8]: 'uint8',
  [DataType.UINT16]: 'uint16',
  [DataType.STRING]: 'string',
};

function shapeArg(args: ArgumentHelper, name: string): number[] {
  const dims = args.getInts(name, [], 'int64');
  for (const d of dims) if (d < 0) throw new Caffe2Error(`argument ${name} has a negative dimension ${d}`, {}, 'invalid');
  return dims;
}

/** FillerOp's shape rules: from `shape` without inputs, or from input 0 (its dims, or its contents with input_as_shape). */
function fillerShape(args: ArgumentHelper, numInputs: number): (io: OpIO) => number[] {
  const shape = shapeArg(args, 'shape');
  const extraShape = shapeArg(args, 'extra_shape');
  const inputAsShape = args.getBool('input_as_shape', false);
  if (numInputs > 0) {
    if (args.has('shape')) throw new Caffe2Error('Cannot set the shape argument and pass in an input at the same time');
  } else {
    if (extraShape.length > 0) throw new Caffe2Error('Cannot set extra_shape when there is no input');
    if (inputAsShape) throw new Caffe2Error('An input must be given if input_as_shape is true');
    return () => shape;
  }
  return (io) => {
    const x = io.tensor(0);
    if (!inputAsShape) return [...x.dims, ...extraShape];
    if (x.ndim !== 1) throw new Caffe2Error('When input_as_shape is true, the input must be a 1D tensor of data type int64_t', { blob: io.inputName(0) });
    if (x.dtype !== 'int64') throw new Caffe2Error(`Tensor type mismatch, caller expects elements of int64_t, while tensor contains ${x.dtype}`, { blob: io.inputName(0) });
    const dims = Array.from(x.data as BigInt64Array, Number);
    for (const d of dims) if (!(d >= 0)) throw new Caffe2Error(`shape input has an invalid dimension ${d}`, { blob: io.inputName(0) }, 'invalid');
    return [...dims, ...extraShape];
  };
}

function checkedCount(dtype: DType, dims: number[], options: RunOptions): number {
  return checkAllocation(dtype, dims, options.maxTensorBytes);
}

/** Reads `values` from the field that matches dtype (floats, ints or strings). */
function readValues(args: ArgumentHelper, dtype: DType): number[] | bigint[] | string[] {
  switch (dtype) {
    case 'float32':
      return args.getFloats('values');
    case 'float64':
      return args.getFloats('values');
    case 'string':
      return args.getStrings('values');
    case 'int64':
      return (args.get('values')?.ints ?? []).map((v) => BigInt(v));
    case 'bool':
      return args.getInts('values', [], 'int64').map((v) => (v !== 0 ? 1 : 0));
    default:
      return args.getInts('values', [], dtype as 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16');
  }
}

function tensorFromValues(dtype: DType, dims: number[], values: number[] | bigint[] | string[], options: RunOptions): Tensor {
  const n = checkedCount(dtype, dims, options);
  if (values.length !== n) {
    throw new Caffe2Error(`values has ${values.length} elements but shape [${dims.join(',')}] needs ${n}`, {}, 'invalid');
  }
  const data = allocate(dtype, n);
  if (Array.isArray(data)) (values as string[]).forEach((v, i) => (data[i] = v));
  else if (data instanceof BigInt64Array) data.set(values as bigint[]);
  else (data as Exclude<TensorData, string[] | BigInt64Array>).set(values as number[]);
  return new Tensor(dtype, dims, data);
}

function givenTensorFill(type: string, dtype: DType, valuesKind: 'floats' | 'ints' | 'strings', allowDtypeArg: boolean): OperatorSpec {
  return {
    type,
    engine: '',
    summary: `${dtype} tensor from the \`values\` argument (${valuesKind}) and \`shape\``,
    schema: { minInputs: 0, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
    argKinds: { shape: 'ints', values: valuesKind, extra_shape: 'ints', input_as_shape: 'i', dtype: 'i' },
    create({ def, args, options }) {
      let outType = dtype;
      if (allowDtypeArg && args.has('dtype')) {
        const code = args.getInt('dtype', DataType.FLOAT);
        const mapped = DTYPE_OF[code];
        if (!mapped || mapped === 'int8' || mapped === 'uint8' || mapped === 'uint16') {
          throw new Caffe2Error(`Unexpected 'dtype' argument value: ${code}`);
        }
        outType = mapped;
      }
      const values = readValues(args, outType);
      const shapeOf = fillerShape(args, def.input?.length ?? 0);
      return {
        run(io) {
          io.setOutput(0, tensorFromValues(outType, shapeOf(io), values, options));
        },
      };
    },
  };
}

export const constantFill: OperatorSpec = {
  type: 'ConstantFill',
  engine: '',
  summary: 'tensor filled with `value`; dtype from `dtype`, else from the field `value` uses (f: float, i: int64)',
  schema: { minInputs: 0, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { shape: 'ints', extra_shape: 'ints', input_as_shape: 'i', dtype: 'i' },
  create({ def, args, options }) {
    let code: number = args.getInt('dtype', DataType.FLOAT);
    if (!args.has('dtype') && args.has('value')) {
      if (args.hasSingle('value', 'f')) code = DataType.FLOAT;
      else if (args.hasSingle('value', 'i')) code = DataType.INT64;
      else throw new Caffe2Error("Argument 'value' is of unexpected type");
    }
    const dtype = DTYPE_OF[code];
    if (!dtype) throw new Caffe2Error(`Unexpected 'dtype' argument value: ${code}`);
    let value: number | bigint | string;
    if (dtype === 'float32' || dtype === 'float64') value = args.getFloat('value', 0);
    else if (dtype === 'string') value = args.getString('value', '');
    else if (dtype === 'bool') value = args.getBool('value', false) ? 1 : 0;
    else if (dtype === 'int64') value = BigInt(args.getInt('value', 0, 'int64'));
    else value = args.getInt('value', 0, dtype as 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16');
    const shapeOf = fillerShape(args, def.input?.length ?? 0);
    return {
      run(io) {
        const dims = shapeOf(io);
        const data = allocate(dtype, checkedCount(dtype, dims, options));
        (data as { fill(v: unknown): unknown }).fill(value);
        io.setOutput(0, new Tensor(dtype, dims, data));
      },
    };
  },
};

function int8Qparams(args: ArgumentHelper): { scale: number; zeroPoint: number } {
  const scale = args.getFloat('Y_scale', 1);
  // Caffe2 stores any float. A negative, infinite or NaN scale has no meaning as a quantization
  // step (dequantizing gives mirrored values, infinities or NaN): refuse it here. Zero is kept:
  // it dequantizes to zeros, and the ops that need a positive scale refuse it when they read it,
  // as QNNPACK does.
  if (!(scale >= 0 && scale < Infinity)) {
    throw new Caffe2Error(`Y_scale ${scale} must be finite and not negative (Caffe2 does not check)`, {}, 'invalid');
  }
  return { scale, zeroPoint: args.getInt('Y_zero_point', 0) };
}

export const int8GivenTensorFill: OperatorSpec = {
  type: 'Int8GivenTensorFill',
  engine: '',
  summary: 'Int8 tensor of uint8 bytes from `values` (a bytes string), `shape`, `Y_scale`, `Y_zero_point`',
  schema: { minInputs: 0, maxInputs: 0, minOutputs: 1, maxOutputs: 1 },
  argKinds: { shape: 'ints', values: 's', Y_scale: 'f', Y_zero_point: 'i' },
  create({ args, options }) {
    const dims = shapeArg(args, 'shape');
    const bytes = args.getBytes('values') ?? new Uint8Array(0);
    const { scale, zeroPoint } = int8Qparams(args);
    const n = checkedCount('uint8', dims, options);
    if (bytes.length !== n) {
      throw new Caffe2Error(`values holds ${bytes.length} bytes but shape [${dims.join(',')}] needs ${n}`, {}, 'invalid');
    }
    return {
      run(io) {
        io.setOutput(0, new Int8Tensor(bytes.slice(), dims, scale, zeroPoint));
      },
    };
  },
};

export const int8GivenIntTensorFill: OperatorSpec = {
  type: 'Int8GivenIntTensorFill',
  engine: '',
  summary: 'Int8 tensor of int32 values (how biases are stored) from `values` (ints), `shape`, `Y_scale`, `Y_zero_point`',
  schema: { minInputs: 0, maxInputs: 0, minOutputs: 1, maxOutputs: 1 },
  argKinds: { shape: 'ints', values: 'ints', Y_scale: 'f', Y_zero_point: 'i' },
  create({ args, options }) {
    const dims = shapeArg(args, 'shape');
    const values = Int32Array.from(args.getInts('values', [], 'int32'));
    const { scale, zeroPoint } = int8Qparams(args);
    const n = checkedCount('int32', dims, options);
    if (values.length !== n) {
      throw new Caffe2Error(`values has ${values.length} elements but shape [${dims.join(',')}] needs ${n}`, {}, 'invalid');
    }
    return {
      run(io) {
        io.setOutput(0, new Int8Tensor(values.slice(), dims, scale, zeroPoint));
      },
    };
  },
};

export const fillOps: OperatorSpec[] = [
  givenTensorFill('GivenTensorFill', 'float32', 'floats', true),
  givenTensorFill('GivenTensorDoubleFill', 'float64', 'floats', false),
  givenTensorFill('GivenTensorIntFill', 'int32', 'ints', false),
  givenTensorFill('GivenTensorInt64Fill', 'int64', 'ints', false),
  givenTensorFill('GivenTensorInt16Fill', 'int16', 'ints', false),
  givenTensorFill('GivenTensorBoolFill', 'bool', 'ints', false),
  givenTensorFill('GivenTensorStringFill', 'string', 'strings', false),
  constantFill,
  int8GivenTensorFill,
  int8GivenIntTensorFill,
];
