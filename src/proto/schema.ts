// The Caffe2 protobuf schema, parsed once from the embedded proto/caffe2.proto, and the
// conversion between protobufjs messages and our plain objects (see types.ts).
import protobuf from 'protobufjs';
import Long from 'long';
import { CAFFE2_PROTO_SOURCE } from '../generated/caffe2-proto-source.js';
import { Caffe2Error } from '../errors.js';
import type { MessageName } from './types.js';

protobuf.util.Long = Long;
protobuf.configure();

/** How deep messages may nest in binary protobuf (protoc's default recursion limit). */
export const MAX_BINARY_NESTING = 100;

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

function plainValue(field: protobuf.Field, v: unknown, depth: number): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toPlain(field.resolvedType, v as protobuf.Message, depth + 1);
  if (INT64_TYPES.has(field.type)) return longToInt64(v);
  if (field.type === 'bytes') return new Uint8Array(v as Uint8Array);
  return v;
}

/** Converts a decoded protobufjs message into a plain object holding only the fields present. */
export function toPlain<T = Record<string, unknown>>(type: protobuf.Type, msg: protobuf.Message | Record<string, unknown>, depth = 0): T {
  if (depth > MAX_BINARY_NESTING) throw new Caffe2Error(`messages nested deeper than ${MAX_BINARY_NESTING} levels`, {}, 'invalid');
  const out: Record<string, unknown> = {};
  const m = msg as unknown as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    field.resolve();
    const present = Object.prototype.hasOwnProperty.call(m, field.name) && m[field.name] !== undefined && m[field.name] !== null;
    if (!present) {
      // C++ protobuf refuses a message without its required fields (Caffe2 then cannot read the net).
      if ((field as protobuf.IField).rule === 'required' || field.required) {
        throw new Caffe2Error(`a ${type.fullName.replace(/^\./, '')} lacks its required field "${field.name}"`, {}, 'invalid');
      }
      continue;
    }
    const v = m[field.name];
    if (field.repeated) {
      const arr = v as unknown[];
      if (arr.length === 0) continue;
      out[field.name] = arr.map((x) => plainValue(field, x, depth));
    } else {
      out[field.name] = plainValue(field, v, depth);
    }
  }
  return out as T;
}

function messageValue(field: protobuf.Field, v: unknown, depth: number): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fromPlain(field.resolvedType, v as Record<string, unknown>, depth + 1);
  if (typeof v === 'bigint') return Long.fromString(v.toString(), field.type.startsWith('u') || field.type === 'fixed64');
  return v;
}

/** Builds a protobufjs message from a plain object (numbers, bigints, Uint8Arrays, nested objects). */
export function fromPlain(type: protobuf.Type, obj: Record<string, unknown>, depth = 0): protobuf.Message {
  if (depth > MAX_BINARY_NESTING) throw new Caffe2Error(`cannot encode messages nested deeper than ${MAX_BINARY_NESTING} levels (no decoder would read them back)`, {}, 'invalid');
  const props: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    props[field.name] = field.repeated ? (v as unknown[]).map((x) => messageValue(field, x, depth)) : messageValue(field, v, depth);
  }
  return type.fromObject(props);
}

/** protobufjs's own error texts, turned into a reason that names the byte offset. */
function describeDecodeError(e: unknown, pos: number, end: number, total: number): string {
  const msg = e instanceof Error ? e.message : String(e);
  // Reader: "index out of range: POS + N > LEN" (a read past the end of the enclosing message).
  const range = /^index out of range: (\d+) \+ (\d+) > (\d+)$/.exec(msg);
  if (range) {
    const [, at, n, limit] = range;
    const where = Number(limit) === total ? `the data ends at byte ${limit}` : `its enclosing message ends at byte ${limit}`;
    return `truncated or corrupt at byte ${at}: a value needs ${n} bytes there, but ${where}`;
  }
  // Decoder: a length-delimited field whose length runs past the end of what holds it.
  if (msg === 'index out of range') {
    return `truncated or corrupt at byte ${pos}: a length-delimited field runs past byte ${end} (the end of ${end === total ? 'the data' : 'its enclosing message'})`;
  }
  if (msg === 'maximum nesting depth exceeded') return `messages nested deeper than ${MAX_BINARY_NESTING} levels at byte ${pos}`;
  if (msg === 'invalid varint encoding') return `invalid varint (more than 10 bytes) at byte ${pos}`;
  const wire = /^invalid wire type (\d+) at offset (\d+)$/.exec(msg);
  if (wire) return `invalid wire type ${wire[1]} in the field tag that ends at byte ${wire[2]}`;
  const required = /^missing required '(.*)'$/.exec(msg);
  if (required) return `a message ending at byte ${pos} lacks its required field "${required[1]}"`;
  if (e instanceof RangeError && /call stack/i.test(msg)) return `messages nested too deeply to decode (at byte ${pos})`;
  return `${msg} (at byte ${pos})`;
}

/**
 * Decodes binary protobuf bytes into a plain object. Malformed input throws a Caffe2Error
 * (kind 'invalid') whose reason names the byte offset where decoding stopped.
 */
export function decodeBinary<T>(name: MessageName, bytes: Uint8Array): T {
  const type = messageType(name);
  const reader = protobuf.Reader.create(bytes);
  let decoded: protobuf.Message;
  try {
    protobuf.Reader.recursionLimit = MAX_BINARY_NESTING;
    decoded = type.decode(reader);
  } catch (e) {
    throw new Caffe2Error(describeDecodeError(e, reader.pos, reader.len, bytes.length), {}, 'invalid');
  }
  return toPlain<T>(type, decoded);
}

/** Encodes a plain object as binary protobuf. */
export function encodeBinary(name: MessageName, obj: object): Uint8Array {
  const type = messageType(name);
  return type.encode(fromPlain(type, obj as Record<string, unknown>)).finish();
}
