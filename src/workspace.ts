// A Caffe2-shaped workspace: blobs by name, created nets, and the verbs of
// caffe2/python/workspace.py with their meanings (copies in and out, Caffe2's errors).
import { asCaffe2Error, Caffe2Error } from './errors.js';
import { CreatedNet, CreatedOperator, type BlobStore } from './net.js';
import { defaultThreads } from './kernels/thread-pool.js';
import { dropBlobData, holdBlobData } from './kernels/wasm-outputs.js';
import { DEFAULT_MAX_OP_WORK, type Isa, type KernelChoice, type RunOptions } from './operator.js';
import { decodeBinary } from './proto/schema.js';
import type { NetDef, OperatorDef } from './proto/types.js';
import { blobBytes, blobTypeName, checkAllocation, DEFAULT_MAX_TENSOR_BYTES, Int8Tensor, Tensor, type BlobValue, type DType, type TensorData } from './tensor.js';

/** Anything that can stand for a net: a NetDef, a builder net (with Proto()), or serialized bytes. */
export type NetLike = NetDef | { Proto(): NetDef } | Uint8Array;
export type OperatorLike = OperatorDef | Uint8Array;

/** What FetchInt8Blob returns, like Caffe2's Int8Tensor namedtuple. */
export interface Int8Fetched {
  data: Uint8Array | Int32Array;
  dims: number[];
  scale: number;
  zero_point: number;
}

export interface WorkspaceOptions {
  /** Largest tensor, in bytes, an op or a feed may create (default 1 GiB). */
  maxTensorBytes?: number;
  /**
   * Most work one op run may do, in multiply-adds (window taps for pooling), checked before it
   * computes anything (default DEFAULT_MAX_OP_WORK = 10^10).
   */
  maxOpWork?: number;
  /**
   * Most bytes all blobs together may hold (default 4 GiB). An op whose outputs would take the
   * workspace over it fails, and nothing it computed is kept.
   */
  maxWorkspaceBytes?: number;
  /** CPU the DNNLOWP engine is emulated on (default 'vnni': exact accumulation). */
  isa?: Isa;
  /** Kernel implementation (default 'wasm' where WebAssembly SIMD is available, else 'js'). */
  kernels?: KernelChoice;
  /**
   * Threads an op may be split over (default 1; with the Node entry, every core up to 4). Above
   * 1, the wasm kernels share work with a pool of worker threads; results are identical for
   * every thread count.
   */
  threads?: number;
}

/** Default cap on the bytes of all blobs of a workspace together (4 GiB). */
export const DEFAULT_MAX_WORKSPACE_BYTES = 4 * 2 ** 30;

export function toNetDef(net: NetLike): NetDef {
  if (net instanceof Uint8Array) return decodeBinary<NetDef>('NetDef', net);
  if (typeof (net as { Proto?: unknown }).Proto === 'function') return (net as { Proto(): NetDef }).Proto();
  return net as NetDef;
}

function toOperatorDef(op: OperatorLike): OperatorDef {
  return op instanceof Uint8Array ? decodeBinary<OperatorDef>('OperatorDef', op) : op;
}

function copyData<D extends TensorData>(data: D): D {
  return (Array.isArray(data) ? [...data] : data.slice()) as D;
}

const TYPED_ARRAY_DTYPES: Array<[new (...a: never[]) => unknown, DType]> = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
];

export class Workspace implements BlobStore {
  private readonly blobs = new Map<string, BlobValue>();
  private readonly nets = new Map<string, CreatedNet>();
  readonly options: RunOptions;
  /** Limit on the bytes of all blobs together (WorkspaceOptions.maxWorkspaceBytes). */
  readonly maxWorkspaceBytes: number;
  private storedBytes = 0;

  constructor(options: WorkspaceOptions = {}) {
    for (const key of ['maxTensorBytes', 'maxOpWork', 'maxWorkspaceBytes'] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new Caffe2Error(`WorkspaceOptions.${key} must be a number >= 0, got ${String(v)}`);
    }
    if (options.isa !== undefined && options.isa !== 'vnni' && options.isa !== 'avx2') throw new Caffe2Error(`WorkspaceOptions.isa must be 'vnni' or 'avx2', got ${String(options.isa)}`);
    if (options.kernels !== undefined && options.kernels !== 'wasm' && options.kernels !== 'js') throw new Caffe2Error(`WorkspaceOptions.kernels must be 'wasm' or 'js', got ${String(options.kernels)}`);
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 64)) throw new Caffe2Error(`WorkspaceOptions.threads must be an integer from 1 to 64, got ${String(options.threads)}`);
    this.options = {
      maxTensorBytes: options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES,
      maxOpWork: options.maxOpWork ?? DEFAULT_MAX_OP_WORK,
      isa: options.isa ?? 'vnni',
      kernels: options.kernels ?? 'wasm',
      threads: options.threads ?? defaultThreads(),
    };
    this.maxWorkspaceBytes = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES;
  }

  // BlobStore, used by nets and operators.
  hasBlob(name: string): boolean {
    return this.blobs.has(name);
  }
  /**
   * The blob's value itself, not a copy: its data may live in the wasm kernels' memory and is
   * reused once no blob holds it (src/kernels/wasm-outputs.ts), so copy what you keep past the
   * blob's next write, or use FetchBlob / FetchInt8Blob, which copy.
   */
  getBlob(name: string): BlobValue {
    return this.blobs.get(name);
  }
  createBlob(name: string): void {
    if (!this.blobs.has(name)) this.blobs.set(name, undefined);
  }
  setBlob(name: string, value: BlobValue): void {
    this.checkCommit([[name, value]]);
    const old = this.blobs.get(name);
    this.storedBytes += blobBytes(value) - blobBytes(old);
    this.blobs.set(name, value);
    holdBlobData(value);
    dropBlobData(old);
  }
  checkCommit(entries: ReadonlyArray<readonly [string, BlobValue]>): void {
    let total = this.storedBytes;
    const seen = new Set<string>();
    for (const [name, value] of entries) {
      total += blobBytes(value) - (seen.has(name) ? 0 : blobBytes(this.blobs.get(name)));
      seen.add(name);
    }
    if (total > this.maxWorkspaceBytes) {
      const names = entries.map(([n]) => n);
      throw new Caffe2Error(`storing ${names.join(', ')} would take the workspace's blobs to ${total} bytes, over its limit of ${this.maxWorkspaceBytes} (WorkspaceOptions.maxWorkspaceBytes)`, { blob: names[0] }, 'invalid');
    }
  }
  /** Bytes all blobs hold now (what maxWorkspaceBytes limits). */
  get bytesInUse(): number {
    return this.storedBytes;
  }

  /**
   * Feeds a copy of a tensor. Accepts a Tensor, or a typed array with its dims (dtype from the
   * array type; pass dtype 'bool' for a Uint8Array of 0/1), or a string (a string blob).
   * There is no feeder for Int8 tensors, as in Caffe2: they come from Int8Quantize or the Int8 fills.
   */
  FeedBlob(name: string, value: Tensor | string, dims?: undefined): boolean;
  FeedBlob(name: string, value: Exclude<TensorData, string[]>, dims: readonly number[], dtype?: DType): boolean;
  FeedBlob(name: string, value: Tensor | string | Exclude<TensorData, string[]>, dims?: readonly number[], dtype?: DType): boolean {
    if (typeof name !== 'string' || name === '') throw new Caffe2Error('FeedBlob needs a blob name');
    if (value instanceof Int8Tensor) {
      throw new Caffe2Error(`cannot feed an Int8 tensor to blob ${name}: Caffe2 has no Int8 feeder; use Int8Quantize or Int8GivenTensorFill`, { blob: name });
    }
    let v: BlobValue;
    try {
      if (typeof value === 'string') v = new TextEncoder().encode(value);
      else if (value instanceof Tensor) {
        checkAllocation(value.dtype, value.dims, this.options.maxTensorBytes);
        v = new Tensor(value.dtype, value.dims, copyData(value.data));
      } else {
        const found = TYPED_ARRAY_DTYPES.find(([ctor]) => value instanceof ctor);
        if (!found || !dims) throw new Caffe2Error(`FeedBlob(${name}): pass a Tensor, or a typed array and its dims`);
        checkAllocation(dtype ?? found[1], dims, this.options.maxTensorBytes);
        v = new Tensor(dtype ?? found[1], dims, copyData(value));
      }
    } catch (e) {
      throw asCaffe2Error(e, { blob: name });
    }
    this.setBlob(name, v);
    return true;
  }

  /**
   * A copy of a blob's tensor. Like Caffe2: an Int8 blob raises a TypeError pointing to
   * FetchInt8Blob, a string blob gives its bytes, and any other object (including an empty blob)
   * gives the text "NAME, a C++ native class of type T.".
   */
  FetchBlob(name: string): Tensor | Uint8Array | string {
    if (!this.blobs.has(name)) throw new Caffe2Error(`Can't find blob: ${name}`, { blob: name });
    const v = this.blobs.get(name);
    if (v instanceof Int8Tensor) throw new TypeError(`Use FetchInt8Blob to fetch Int8 Blob ${name}`);
    if (v instanceof Tensor) return new Tensor(v.dtype, v.dims, copyData(v.data));
    if (v instanceof Uint8Array) return v.slice();
    return `${name}, a C++ native class of type ${blobTypeName(v)}.`;
  }

  /** {data, scale, zero_point} of an Int8 blob (data copied; uint8, or int32 for biases). */
  FetchInt8Blob(name: string): Int8Fetched {
    if (!this.blobs.has(name)) throw new Caffe2Error(`Can't find blob: ${name}`, { blob: name });
    const v = this.blobs.get(name);
    if (!(v instanceof Int8Tensor)) throw new Caffe2Error(`blob ${name} holds ${blobTypeName(v)}, not an Int8 tensor`, { blob: name });
    return { data: v.data.slice(), dims: [...v.dims], scale: v.scale, zero_point: v.zeroPoint };
  }

  /** (q - zero_point) * scale of an Int8 blob, as float32. */
  FetchInt8BlobRealVal(name: string): Tensor<Float32Array> {
    const { data, dims, scale, zero_point } = this.FetchInt8Blob(name);
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Math.fround((data[i]! - zero_point) * scale);
    return new Tensor('float32', dims, out);
  }

  HasBlob(name: string): boolean {
    return this.blobs.has(name);
  }

  /** Blob names, sorted. */
  Blobs(): string[] {
    return [...this.blobs.keys()].sort();
  }

  CreateBlob(name: string): boolean {
    this.createBlob(name);
    return true;
  }

  /** Drops every blob and net. */
  ResetWorkspace(): boolean {
    for (const value of this.blobs.values()) dropBlobData(value);
    this.blobs.clear();
    this.storedBytes = 0;
    this.nets.clear();
    return true;
  }

  /** Creates, runs once and discards a net: its ops are fresh every time. */
  RunNetOnce(net: NetLike): boolean {
    const def = toNetDef(net);
    new CreatedNet(def, this).run(this);
    return true;
  }

  /**
   * Creates a net kept in the workspace under its name. Its ops persist across RunNet calls
   * and, like Caffe2's QNNPACK-backed ops, freeze what they derive on their first run.
   */
  CreateNet(net: NetLike, overwrite = false, inputBlobs: readonly string[] = []): boolean {
    const def = toNetDef(net);
    if (!def.name) throw new Caffe2Error('Net definition should have a name.');
    if (this.nets.has(def.name) && !overwrite) {
      throw new Caffe2Error(`I respectfully refuse to overwrite an existing net of the same name "${def.name}", unless you explicitly specify overwrite=true.`, {
        net: def.name,
      });
    }
    for (const b of inputBlobs) this.createBlob(b);
    const created = new CreatedNet(def, this);
    this.nets.set(def.name, created);
    return true;
  }

  /** Runs a created net numIter times. With allowFail a failure returns false instead of throwing. */
  RunNet(net: string | NetLike, numIter = 1, allowFail = false): boolean {
    const name = typeof net === 'string' ? net : toNetDef(net).name ?? '';
    const created = this.nets.get(name);
    if (!created) throw new Caffe2Error(`Can't find net ${name}`, { net: name });
    try {
      for (let i = 0; i < numIter; i++) created.run(this);
    } catch (e) {
      if (allowFail) return false;
      throw e;
    }
    return true;
  }

  /** Creates, runs and discards one operator. */
  RunOperatorOnce(op: OperatorLike): boolean {
    const def = toOperatorDef(op);
    CreatedOperator.create(def, 0, undefined, this).run(this);
    return true;
  }

  /** Names of the created nets, sorted. */
  Nets(): string[] {
    return [...this.nets.keys()].sort();
  }
}
