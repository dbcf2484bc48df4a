// Blob contents: dense CPU tensors (Caffe2's TensorCPU) and quantized tensors (Int8TensorCPU).
import { Caffe2Error } from './errors.js';

export type DType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'bool' | 'float16' | 'string';

export type NumericData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | BigInt64Array;

/** Element storage per dtype: bool is one byte per element (0/1), float16 holds raw half bits. */
export type TensorData = NumericData | string[];

/** Default cap on one tensor's size in bytes, checked before allocating (1 GiB). */
export const DEFAULT_MAX_TENSOR_BYTES = 1 << 30;

const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1, float16: 2, string: 8,
};

/** Product of dims after validating each is a non-negative safe integer. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Caffe2Error(`invalid dimension ${String(d)} in shape [${dims.join(',')}]`, {}, 'invalid');
    n *= d;
    if (!Number.isSafeInteger(n)) throw new Caffe2Error(`shape [${dims.join(',')}] has too many elements`, {}, 'invalid');
  }
  return n;
}

/** Throws unless a tensor of this dtype and shape fits under the byte limit. */
export function checkAllocation(dtype: DType, dims: readonly number[], maxBytes = DEFAULT_MAX_TENSOR_BYTES): number {
  const n = elementCount(dims);
  const bytes = n * BYTES_PER_ELEMENT[dtype];
  if (bytes > maxBytes) {
    throw new Caffe2Error(`a ${dtype} tensor of shape [${dims.join(',')}] needs ${bytes} bytes, over the limit of ${maxBytes}`, {}, 'invalid');
  }
  return n;
}

export function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': case 'float16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'string': return new Array<string>(n).fill('');
  }
}

function dataMatchesDtype(dtype: DType, data: TensorData): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'float64': return data instanceof Float64Array;
    case 'int8': return data instanceof Int8Array;
    case 'uint8': case 'bool': return data instanceof Uint8Array;
    case 'int16': return data instanceof Int16Array;
    case 'uint16': case 'float16': return data instanceof Uint16Array;
    case 'int32': return data instanceof Int32Array;
    case 'int64': return data instanceof BigInt64Array;
    case 'string': return Array.isArray(data);
  }
}

/** A dense row-major tensor with a dtype, like Caffe2's TensorCPU. */
export class Tensor<D extends TensorData = TensorData> {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: D;

  constructor(dtype: DType, dims: readonly number[], data: D) {
    const n = elementCount(dims);
    if (!dataMatchesDtype(dtype, data)) throw new Caffe2Error(`tensor data does not hold ${dtype} elements`, {}, 'invalid');
    if (data.length !== n) {
      throw new Caffe2Error(`tensor of shape [${dims.join(',')}] needs ${n} elements, got ${data.length}`, {}, 'invalid');
    }
    this.dtype = dtype;
    this.dims = Object.freeze([...dims]);
    this.data = data;
  }

  static zeros(dtype: DType, dims: readonly number[], maxBytes?: number): Tensor {
    return new Tensor(dtype, dims, allocate(dtype, checkAllocation(dtype, dims, maxBytes)));
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.dims.length;
  }
}

/** Float tensor shorthand. */
export function float32Tensor(dims: readonly number[], data?: ArrayLike<number>): Tensor<Float32Array> {
  const n = elementCount(dims);
  const arr = data ? Float32Array.from(data) : new Float32Array(n);
  return new Tensor('float32', dims, arr);
}

/**
 * A quantized tensor, like Caffe2's Int8TensorCPU: data (uint8, or int32 for biases), dims,
 * a float32 scale and an integer zero point. real value = (q - zeroPoint) * scale.
 */
export class Int8Tensor {
  readonly data: Uint8Array | Int32Array;
  readonly dims: readonly number[];
  readonly scale: number;
  readonly zeroPoint: number;

  constructor(data: Uint8Array | Int32Array, dims: readonly number[], scale: number, zeroPoint: number) {
    const n = elementCount(dims);
    if (data.length !== n) {
      throw new Caffe2Error(`int8 tensor of shape [${dims.join(',')}] needs ${n} elements, got ${data.length}`, {}, 'invalid');
    }
    this.data = data;
    this.dims = Object.freeze([...dims]);
    this.scale = Math.fround(scale);
    this.zeroPoint = zeroPoint;
  }

  get dtype(): 'uint8' | 'int32' {
    return this.data instanceof Uint8Array ? 'uint8' : 'int32';
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.dims.length;
  }
}

/** An object that is neither a Tensor nor an Int8Tensor (e.g. a packed-weight blob). */
export interface OpaqueBlob {
  readonly typeName: string;
}

/** What a workspace blob can hold. `undefined` means the blob exists but is empty. */
export type BlobValue = Tensor | Int8Tensor | Uint8Array | OpaqueBlob | undefined;

export function blobTypeName(v: BlobValue): string {
  if (v === undefined) return 'nullptr (uninitialized)';
  if (v instanceof Tensor) return `Tensor<${v.dtype}>`;
  if (v instanceof Int8Tensor) return 'Int8TensorCPU';
  if (v instanceof Uint8Array) return 'std::string';
  return v.typeName;
}

/** Bytes a blob's contents hold (string elements counted as UTF-16 plus a small overhead). */
export function blobBytes(v: BlobValue): number {
  if (v instanceof Tensor) {
    const d = v.data;
    if (Array.isArray(d)) return d.reduce((sum, str) => sum + 16 + 2 * str.length, 0);
    return d.byteLength;
  }
  if (v instanceof Int8Tensor) return v.data.byteLength;
  if (v instanceof Uint8Array) return v.byteLength;
  return 0;
}

/** Shape as Caffe2 prints it. */
export function shapeString(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}
