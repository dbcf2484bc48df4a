// Reading operator arguments the way Caffe2's ArgumentHelper does (caffe2/utils/proto_utils.cc):
// a name that is absent gives the default; a name that is present but lacks the field the
// reader needs (e.g. Y_scale stored in `i` when a float is read from `f`) is an error, and
// integer reads must convert losslessly.
import { Caffe2Error } from './errors.js';
import type { Argument, Int64, NetDef, TensorProto } from './proto/types.js';

const utf8 = new TextDecoder('utf-8');

export type IntKind = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'size_t';

const INT_RANGES: Record<IntKind, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  size_t: [0, Number.MAX_SAFE_INTEGER],
};

function int64ToNumber(name: string, v: Int64, kind: IntKind): number {
  const [lo, hi] = INT_RANGES[kind];
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof v === 'bigint' ? !(v >= BigInt(lo) && v <= BigInt(hi)) : !(n >= lo && n <= hi)) {
    throw new Caffe2Error(`value ${String(v)} of argument ${name} cannot be represented correctly in a target type (${kind})`);
  }
  return n;
}

export class ArgumentHelper {
  private readonly byName = new Map<string, Argument>();

  constructor(args: readonly Argument[] | undefined) {
    for (const a of args ?? []) {
      const name = a.name ?? '';
      if (this.byName.has(name)) throw new Caffe2Error(`Duplicated argument name [${name}] found in operator def`);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): Argument | undefined {
    return this.byName.get(name);
  }

  private need<K extends keyof Argument>(name: string, field: K): NonNullable<Argument[K]> | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    const v = a[field];
    if (v === undefined) throw new Caffe2Error(`Argument ${name} does not have the right field: expected field ${String(field)}`);
    return v as NonNullable<Argument[K]>;
  }

  /** True when `name` is present with the field a reader of that kind uses (HasSingleArgumentOfType). */
  hasSingle(name: string, field: 'f' | 'i' | 's' | 'n' | 't'): boolean {
    const a = this.byName.get(name);
    return a !== undefined && a[field] !== undefined;
  }

  /** float/double arguments come from `f` (a float32 on the wire). */
  getFloat(name: string, def: number): number {
    return this.need(name, 'f') ?? def;
  }

  /** Integer arguments come from `i`, range-checked for the C++ type read. */
  getInt(name: string, def: number, kind: IntKind = 'int32'): number {
    const v = this.need(name, 'i');
    return v === undefined ? def : int64ToNumber(name, v, kind);
  }

  /** bool arguments come from `i`; any non-zero value is true (no lossless check upstream). */
  getBool(name: string, def: boolean): boolean {
    const v = this.need(name, 'i');
    return v === undefined ? def : v !== 0 && v !== 0n;
  }

  getString(name: string, def: string): string {
    const v = this.need(name, 's');
    return v === undefined ? def : utf8.decode(v);
  }

  getBytes(name: string): Uint8Array | undefined {
    return this.need(name, 's');
  }

  getNet(name: string): NetDef | undefined {
    return this.need(name, 'n');
  }

  getTensor(name: string): TensorProto | undefined {
    return this.need(name, 't');
  }

  getInts(name: string, def: number[] = [], kind: IntKind = 'int32'): number[] {
    const a = this.byName.get(name);
    if (!a) return def;
    return (a.ints ?? []).map((v) => int64ToNumber(name, v, kind));
  }

  getFloats(name: string, def: number[] = []): number[] {
    const a = this.byName.get(name);
    if (!a) return def;
    return a.floats ?? [];
  }

  getStrings(name: string, def: string[] = []): string[] {
    const a = this.byName.get(name);
    if (!a) return def;
    return (a.strings ?? []).map((s) => utf8.decode(s));
  }
}
