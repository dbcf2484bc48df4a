// The Caffe2 protobuf schema, parsed once from the embedded proto/caffe2.proto, and the
// conversion between protobufjs messages and our plain objects (see types.ts).
import protobuf from 'protobufjs';
import Long from 'long';
import { CAFFE2_PROTO_SOURCE } from '../generated/caffe2-proto-source.js';
import type { MessageName } from './types.js';

protobuf.util.Long = Long;
protobuf.configure();

let root: protobuf.Root | undefined;

/** The parsed caffe2 schema (field names kept exactly as written in the .proto). */
export function caffe2Root(): protobuf.Root {
  if (!root) root = protobuf.parse(CAFFE2_PROTO_SOURCE, { keepCase: true }).root;
  return root;
}

export function messageType(name: MessageName): protobuf.Type {
  return caffe2Root().lookupType(`caffe2.${name}`);
}

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function longToInt64(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  const l = Long.isLong(v) ? (v as Long) : Long.fromValue(v as string);
  const n = l.toNumber();
  return Number.isSafeInteger(n) ? n : BigInt(l.toString());
}

function plainValue(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toPlain(field.resolvedType, v as protobuf.Message);
  if (INT64_TYPES.has(field.type)) return longToInt64(v);
  if (field.type === 'bytes') return new Uint8Array(v as Uint8Array);
  return v;
}

/** Converts a decoded protobufjs message into a plain object holding only the fields present. */
export function toPlain<T = Record<string, unknown>>(type: protobuf.Type, msg: protobuf.Message | Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  const m = msg as unknown as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    field.resolve();
    if (!Object.prototype.hasOwnProperty.call(m, field.name)) continue;
    const v = m[field.name];
    if (v === undefined || v === null) continue;
    if (field.repeated) {
      const arr = v as unknown[];
      if (arr.length === 0) continue;
      out[field.name] = arr.map((x) => plainValue(field, x));
    } else {
      out[field.name] = plainValue(field, v);
    }
  }
  return out as T;
}

function messageValue(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fromPlain(field.resolvedType, v as Record<string, unknown>);
  if (typeof v === 'bigint') return Long.fromString(v.toString(), field.type.startsWith('u') || field.type === 'fixed64');
  return v;
}

/** Builds a protobufjs message from a plain object (numbers, bigints, Uint8Arrays, nested objects). */
export function fromPlain(type: protobuf.Type, obj: Record<string, unknown>): protobuf.Message {
  const props: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    props[field.name] = field.repeated ? (v as unknown[]).map((x) => messageValue(field, x)) : messageValue(field, v);
  }
  return type.fromObject(props);
}

/** Decodes binary protobuf bytes into a plain object. Throws protobufjs's error on malformed input. */
export function decodeBinary<T>(name: MessageName, bytes: Uint8Array): T {
  const type = messageType(name);
  return toPlain<T>(type, type.decode(bytes));
}

/** Encodes a plain object as binary protobuf. */
export function encodeBinary(name: MessageName, obj: object): Uint8Array {
  const type = messageType(name);
  return type.encode(fromPlain(type, obj as Record<string, unknown>)).finish();
}
