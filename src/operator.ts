// The operator interface every op module implements, modelled on QNNPACK's create/setup/run
// split: `create` parses arguments (Caffe2 does this in the op constructor, so argument errors
// surface at creation); the returned instance's `run` may build and cache whatever it derives
// from its first run's inputs (packed weights, requantization parameters, lookup tables), as
// Caffe2's QNNPACK-backed ops do.
import type { ArgumentHelper } from './arguments.js';
import { Caffe2Error } from './errors.js';
import type { OperatorDef } from './proto/types.js';
import { blobTypeName, Int8Tensor, Tensor, type BlobValue, type DType } from './tensor.js';

/** The argument field a builder should use for a named argument. */
export type ArgKind = 'f' | 'i' | 's' | 'floats' | 'ints' | 'strings';

export interface OpSchema {
  minInputs: number;
  maxInputs: number;
  minOutputs: number;
  maxOutputs: number;
  /** Pairs [input, output] that may name the same blob. Caffe2 rejects in-place use otherwise. */
  allowInplace?: ReadonlyArray<readonly [number, number]> | 'any';
}

/**
 * Which x86 CPU the DNNLOWP (FBGEMM) engine is emulated on. 'vnni' (AVX512-VNNI) accumulates
 * exactly; 'avx2' reproduces the int16 saturation of FBGEMM's vpmaddubsw pairs on CPUs without VNNI.
 */
export type Isa = 'vnni' | 'avx2';

export interface RunOptions {
  /** Largest tensor, in bytes, any op may allocate. */
  maxTensorBytes: number;
  /** Most arithmetic one op run may do (multiply-adds, or window taps for pooling); see checkOpWork. */
  maxOpWork: number;
  isa: Isa;
  /** Which implementation runs the heavy int8 kernels (see src/kernels/). */
  kernels: KernelChoice;
  /** Threads the wasm kernels may split one op over (1: the calling thread only). */
  threads: number;
}

/**
 * 'wasm': WebAssembly SIMD kernels (the default where the platform has wasm SIMD);
 * 'js': the plain TypeScript reference kernels. Both give identical bytes.
 */
export type KernelChoice = 'wasm' | 'js';

/**
 * Default cap on the work of one op run: 10^10 multiply-adds. Real int8 layers stay far below it
 * (the largest conv of a ResNet-50 at 1333x800 is about 2.5·10^9, a MobileNet layer about 10^8),
 * while a hostile net can describe far more in a few bytes: a 100x100 kernel over a 1000x1000
 * input is 8·10^9, minutes of computing; 10^12 would be hours.
 */
export const DEFAULT_MAX_OP_WORK = 1e10;

/**
 * Refuses, before computing anything, an op run whose work (multiply-adds, or window taps for
 * pooling) is over the workspace's maxOpWork. Caffe2 has no such limit; it would simply run.
 * `what` names the op's work in the message, and is only called to build it.
 */
export function checkOpWork(options: RunOptions, work: number, what: () => string): void {
  const limit = options.maxOpWork ?? DEFAULT_MAX_OP_WORK;
  if (!(work <= limit)) {
    throw new Caffe2Error(`${what()} needs ${work} multiply-adds, over this runtime's per-op work limit of ${limit} (WorkspaceOptions.maxOpWork)`, {}, 'invalid');
  }
}

export interface OpCreateContext {
  def: OperatorDef;
  args: ArgumentHelper;
  options: RunOptions;
}

export interface OperatorInstance {
  run(io: OpIO): void;
}

export interface OperatorSpec {
  type: string;
  /** '' for Caffe2's default engine (QNNPACK arithmetic for the Int8 ops). */
  engine: string;
  schema: OpSchema;
  /** How each known argument is stored on the wire; lets the builder type plain numbers. */
  argKinds?: Readonly<Record<string, ArgKind>>;
  /** One line for docs and the supported-ops table. */
  summary: string;
  create(ctx: OpCreateContext): OperatorInstance;
}

/** Access to an op's input and output blobs during one run. */
export class OpIO {
  private readonly outputs = new Map<number, BlobValue>();

  constructor(
    readonly def: OperatorDef,
    private readonly read: (name: string) => BlobValue,
    readonly options: RunOptions,
  ) {}

  get numInputs(): number {
    return this.def.input?.length ?? 0;
  }

  get numOutputs(): number {
    return this.def.output?.length ?? 0;
  }

  inputName(i: number): string {
    return this.def.input![i]!;
  }

  outputName(i: number): string {
    return this.def.output![i]!;
  }

  input(i: number): BlobValue {
    return this.read(this.inputName(i));
  }

  /** Caffe2's Blob::Get error for input i holding something other than `expected`. */
  wrongTypeError(i: number, expected: string, got: BlobValue = this.input(i)): Caffe2Error {
    return new Caffe2Error(
      `wrong type for the Blob instance. Blob contains ${blobTypeName(got)} while caller expects ${expected}`,
      { blob: this.inputName(i) },
    );
  }

  /** Input i as a dense Tensor, optionally of one dtype. */
  tensor(i: number, dtype?: DType): Tensor {
    const v = this.input(i);
    if (!(v instanceof Tensor)) throw this.wrongTypeError(i, 'Tensor', v);
    if (dtype && v.dtype !== dtype) {
      throw new Caffe2Error(`Tensor type mismatch, caller expects elements of ${dtype}, while tensor contains ${v.dtype}`, {
        blob: this.inputName(i),
      });
    }
    return v;
  }

  /** Input i as an Int8TensorCPU, optionally requiring uint8 or int32 data. */
  int8(i: number, dtype?: 'uint8' | 'int32'): Int8Tensor {
    const v = this.input(i);
    if (!(v instanceof Int8Tensor)) throw this.wrongTypeError(i, 'Int8TensorCPU', v);
    if (dtype && v.dtype !== dtype) {
      throw new Caffe2Error(`Tensor type mismatch, caller expects elements of ${dtype}, while tensor contains ${v.dtype}`, {
        blob: this.inputName(i),
      });
    }
    return v;
  }

  setOutput(i: number, v: BlobValue): void {
    this.outputs.set(i, v);
  }

  /** Outputs written during the run, committed to the workspace by the net only if the op succeeds. */
  writtenOutputs(): ReadonlyMap<number, BlobValue> {
    return this.outputs;
  }
}

/** Error helper for ops: an error about input i's blob. */
export function inputError(io: OpIO, i: number, reason: string, kind: 'enforce' | 'fatal' | 'invalid' = 'enforce'): Caffe2Error {
  return new Caffe2Error(reason, { blob: io.inputName(i) }, kind);
}
