// Reading and writing NetDefs in binary (.pb) and text (.pbtxt) form. The format is told from
// the content, as Caffe2's ReadProtoFromFile tries both: text never holds control bytes, and
// nearly every binary NetDef does (field tags and lengths below 0x20).
import { asCaffe2Error, Caffe2Error } from './errors.js';
import { decodeBinary, encodeBinary } from './proto/schema.js';
import { parseTextFormat, printTextFormat } from './proto/text-format.js';
import type { MessageName, NetDef } from './proto/types.js';

export type ProtoFormat = 'binary' | 'text';

/** 'text' when the bytes are printable UTF-8 / whitespace only (they may still be binary), else 'binary'. */
export function detectFormat(bytes: Uint8Array): ProtoFormat {
  if (bytes.length === 0) return 'binary';
  for (const b of bytes) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return 'binary';
    if (b === 0x7f) return 'binary';
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'text';
  } catch {
    return 'binary';
  }
}

/**
 * Parses a serialized message of either format; errors name the file. Bytes that look like text
 * are tried as text first and then as binary (a short binary message can be all printable, e.g.
 * a NetDef holding only a name); other bytes are binary only.
 */
export function parseMessage<T>(name: MessageName, bytes: Uint8Array, file?: string): T {
  const format = detectFormat(bytes);
  let textError: unknown;
  if (format === 'text') {
    try {
      return parseTextFormat<T>(name, new TextDecoder().decode(bytes), file);
    } catch (e) {
      textError = e;
    }
  }
  try {
    return decodeBinary<T>(name, bytes);
  } catch (e) {
    if (textError instanceof Caffe2Error) throw textError.withContext({ file });
    const msg = e instanceof Error ? e.message : String(e);
    throw asCaffe2Error(new Caffe2Error(`not a valid binary caffe2.${name} protobuf (${msg})`, {}, 'invalid'), { file });
  }
}

export function parseNetDef(bytes: Uint8Array, file?: string): NetDef {
  return parseMessage<NetDef>('NetDef', bytes, file);
}

export function serializeNetDef(net: NetDef, format: ProtoFormat = 'binary'): Uint8Array {
  return format === 'binary' ? encodeBinary('NetDef', net) : new TextEncoder().encode(printTextFormat('NetDef', net));
}
