// A net builder in the style of caffe2/python/core.py (core.Net) and model_helper.ModelHelper,
// so Caffe2 Python translates line by line: `net.Int8Conv([...], 'y', {kernel: 3, ...})`.
import { Caffe2Error } from './errors.js';
import type { ArgKind } from './operator.js';
import type { Argument, DeviceOption, NetDef, OperatorDef } from './proto/types.js';
import { findOp } from './registry.js';

/** A named blob, as returned by op calls (core.BlobReference). */
export class BlobReference {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

/** An argument value with its wire field stated explicitly. */
export interface TypedArg {
  readonly kind: ArgKind | 'n' | 'nets';
  readonly value: unknown;
}

/** Explicit argument kinds, for when a plain JS value is ambiguous (1.0 is an integer to JS). */
export const arg = {
  f: (v: number): TypedArg => ({ kind: 'f', value: v }),
  i: (v: number | bigint): TypedArg => ({ kind: 'i', value: v }),
  s: (v: string | Uint8Array): TypedArg => ({ kind: 's', value: v }),
  floats: (v: ArrayLike<number>): TypedArg => ({ kind: 'floats', value: Array.from(v) }),
  ints: (v: ArrayLike<number | bigint>): TypedArg => ({ kind: 'ints', value: Array.from(v) }),
  strings: (v: Array<string | Uint8Array>): TypedArg => ({ kind: 'strings', value: v }),
};

export type ArgValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | ReadonlyArray<number | bigint | boolean>
  | ReadonlyArray<string | Uint8Array>
  | NetDef
  | Net
  | TypedArg;

export type BlobLike = string | BlobReference;
export type Inputs = BlobLike | readonly BlobLike[];
/** Output names, or a count of auto-named outputs, or undefined for one auto-named output. */
export type Outputs = BlobLike | readonly BlobLike[] | number | undefined;

export interface OpOptions {
  engine?: string;
  name?: string;
  device_option?: DeviceOption;
  control_input?: string[];
  debug_info?: string;
}

const utf8 = new TextEncoder();

function isTypedArg(v: unknown): v is TypedArg {
  return typeof v === 'object' && v !== null && 'kind' in v && 'value' in v && Object.keys(v).length === 2;
}

function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? utf8.encode(v) : v;
}

function withKind(name: string, kind: TypedArg['kind'], value: unknown): Argument {
  switch (kind) {
    case 'f':
      return { name, f: Math.fround(Number(value)) };
    case 'i':
      return { name, i: typeof value === 'boolean' ? Number(value) : (value as number | bigint) };
    case 's':
      return { name, s: toBytes(value as string | Uint8Array) };
    case 'floats':
      return { name, floats: Array.from(value as ArrayLike<number>, (x) => Math.fround(Number(x))) };
    case 'ints':
      return { name, ints: Array.from(value as ArrayLike<number | bigint | boolean>, (x) => (typeof x === 'boolean' ? Number(x) : x)) };
    case 'strings':
      return { name, strings: (value as Array<string | Uint8Array>).map(toBytes) };
    case 'n':
      return { name, n: value as NetDef };
    case 'nets':
      return { name, nets: value as NetDef[] };
  }
}

/**
 * caffe2.python.utils.MakeArgument for JS values. Plain numbers use the kind the op declares
 * for that argument (so Y_scale: 1 is stored as a float), else integer -> i, other -> f.
 * Uint8Array is bytes (`s`), as `values=arr.tobytes()` is in Python.
 */
export function makeArgument(name: string, value: ArgValue, declared?: ArgKind): Argument {
  if (isTypedArg(value)) return withKind(name, value.kind, value.value);
  if (value instanceof Net) return { name, n: value.Proto() };
  if (typeof value === 'number') return withKind(name, declared === 'f' || declared === 'i' ? declared : Number.isInteger(value) ? 'i' : 'f', value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return withKind(name, 'i', value);
  if (typeof value === 'string' || value instanceof Uint8Array) return withKind(name, 's', value);
  if (value instanceof Float32Array || value instanceof Float64Array) return withKind(name, 'floats', value);
  if (value instanceof Int32Array || value instanceof BigInt64Array) return withKind(name, 'ints', value);
  if (Array.isArray(value)) {
    const list = value as unknown[];
    if (list.every((x) => typeof x === 'string' || x instanceof Uint8Array)) return withKind(name, 'strings', list);
    if (list.every((x) => typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean')) {
      const allInts = list.every((x) => typeof x !== 'number' || Number.isInteger(x));
      const kind = declared === 'floats' || declared === 'ints' ? declared : allInts ? 'ints' : 'floats';
      return withKind(name, kind, list);
    }
    if (list.every((x) => x instanceof Net)) return withKind(name, 'nets', (list as Net[]).map((n) => n.Proto()));
  }
  if (typeof value === 'object' && value !== null && ('op' in value || 'name' in value)) return withKind(name, 'n', value);
  throw new Caffe2Error(`don't know how to make argument ${name} from ${String(value)}`);
}

const usedNetNames = new Map<string, number>();

/** A unique net name per process, as core.Net does: "n", then "n_1", "n_2", ... */
function uniqueNetName(base: string): string {
  const count = usedNetNames.get(base);
  usedNetNames.set(base, (count ?? -1) + 1);
  return count === undefined ? base : `${base}_${count + 1}`;
}

function names(x: Inputs): string[] {
  return (Array.isArray(x) ? x : [x]).map(String);
}

type OpMethod = (inputs?: Inputs, outputs?: Outputs, args?: Record<string, ArgValue>, options?: OpOptions) => BlobReference & BlobReference[];

/** core.Net: builds a NetDef op by op. Any op type can be called as a method: net.Int8Conv(...). */
export class Net {
  private readonly net: NetDef;
  private readonly defined = new Set<string>();

  constructor(nameOrProto: string | NetDef) {
    if (typeof nameOrProto === 'string') {
      this.net = { name: uniqueNetName(nameOrProto), op: [], external_input: [], external_output: [] };
    } else {
      this.net = structuredClone(nameOrProto);
      for (const b of this.net.external_input ?? []) this.defined.add(b);
      for (const op of this.net.op ?? []) for (const o of op.output ?? []) this.defined.add(o);
    }
    // Method calls for op types: any capitalised property that is not a member is an op.
    return new Proxy(this, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && !(prop in target) && /^[A-Z]/.test(prop)) {
          return (inputs?: Inputs, outputs?: Outputs, args?: Record<string, ArgValue>, options?: OpOptions) =>
            target.addOp(prop, inputs ?? [], outputs, args, options);
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  }

  Name(): string {
    return this.net.name ?? '';
  }

  /** The NetDef being built (the live object, as Python's Proto() is). */
  Proto(): NetDef {
    return this.net;
  }

  BlobIsDefined(name: BlobLike): boolean {
    return this.defined.has(String(name));
  }

  AddExternalInput(...blobs: BlobLike[]): BlobReference[] {
    const list = (this.net.external_input ??= []);
    return blobs.map((b) => {
      const name = String(b);
      if (list.includes(name)) throw new Caffe2Error(`blob ${name} is already an external input of net ${this.Name()}`);
      list.push(name);
      this.defined.add(name);
      return new BlobReference(name);
    });
  }

  AddExternalOutput(...blobs: BlobLike[]): BlobReference[] {
    const list = (this.net.external_output ??= []);
    return blobs.map((b) => {
      const name = String(b);
      if (!this.defined.has(name)) throw new Caffe2Error(`blob ${name} is not defined in net ${this.Name()}`);
      if (!list.includes(name)) list.push(name);
      return new BlobReference(name);
    });
  }

  private nextName(prefix: string, outputId?: number): string {
    const base = `${this.Name()}/${prefix}`;
    const suffix = outputId === undefined ? '' : `:${outputId}`;
    let name = base + suffix;
    for (let index = 2; this.defined.has(name); index++) name = `${base}_${index}${suffix}`;
    return name;
  }

  /** Appends an op of any type; returns its output reference (or the list for several outputs). */
  addOp(type: string, inputs: Inputs, outputs?: Outputs, args: Record<string, ArgValue> = {}, options: OpOptions = {}): BlobReference & BlobReference[] {
    const inNames = names(inputs);
    for (const name of inNames) if (!this.defined.has(name)) this.AddExternalInput(name);
    let outNames: string[];
    if (outputs === undefined) outNames = [this.nextName(type)];
    else if (typeof outputs === 'number') outNames = Array.from({ length: outputs }, (_, i) => this.nextName(type, i));
    else outNames = names(outputs);
    const declared = findOp(type, options.engine ?? '')?.argKinds ?? findOp(type, '')?.argKinds ?? {};
    const op: OperatorDef = { input: inNames, output: outNames, type };
    const argList = Object.entries(args).map(([k, v]) => makeArgument(k, v, declared[k]));
    if (argList.length) op.arg = argList;
    if (options.name) op.name = options.name;
    if (options.engine) op.engine = options.engine;
    if (options.device_option) op.device_option = options.device_option;
    if (options.control_input) op.control_input = options.control_input;
    if (options.debug_info) op.debug_info = options.debug_info;
    (this.net.op ??= []).push(op);
    for (const o of outNames) this.defined.add(o);
    const refs = outNames.map((n) => new BlobReference(n));
    // One output returns the reference itself, several return the list (as core.Net does).
    return (refs.length === 1 ? refs[0] : refs) as BlobReference & BlobReference[];
  }
}

/** Net with op-type methods visible to TypeScript. */
export type NetBuilder = Net & { [opType: string]: OpMethod };

/** Creates a core.Net-style builder. */
export function createNet(name: string | NetDef): NetBuilder {
  return new Net(name) as NetBuilder;
}

/** model_helper.ModelHelper: `param_init_net` for parameters, `net` for the model. */
export class ModelHelper {
  readonly name: string;
  readonly param_init_net: NetBuilder;
  readonly net: NetBuilder;

  constructor(name = 'model') {
    this.name = name;
    this.param_init_net = createNet(`${name}_init`);
    this.net = createNet(name);
  }
}
