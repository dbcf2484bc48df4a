// Node-only file helpers: the CLI and scripts use these; the library core never touches fs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Caffe2Error } from '../errors.js';
import { parseNetDef, serializeNetDef, type ProtoFormat } from '../netdef-io.js';
import { encodeNpy, parseNpy } from '../npy.js';
import type { NetDef } from '../proto/types.js';
import type { Tensor } from '../tensor.js';

function readBytes(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new Caffe2Error(`cannot read file: ${(e as Error).message}`, { file: path });
  }
}

/** Reads a NetDef from a .pb or .pbtxt file (format told from the content). */
export function readNetFile(path: string): NetDef {
  return parseNetDef(readBytes(path), path);
}

/** Format from the file name: .pbtxt / .prototxt / .txt are text, anything else binary. */
export function formatForPath(path: string): ProtoFormat {
  return /\.(pbtxt|prototxt|txt)$/i.test(path) ? 'text' : 'binary';
}

export function writeNetFile(path: string, net: NetDef, format: ProtoFormat = formatForPath(path)): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, serializeNetDef(net, format));
}

export function readNpyFile(path: string, maxBytes?: number): Tensor {
  return parseNpy(readBytes(path), { file: path, maxBytes });
}

export function writeNpyFile(path: string, t: Tensor): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeNpy(t));
}
