#!/usr/bin/env node
// Fuzzer for caffe2-int8's loaders and workspace: seeded mutations of the golden .pb nets (byte
// flips, truncation, huge varints and lengths, duplicated runs and fields, splices between files,
// deep Argument.n nesting, and structured changes to the decoded nets), their .pbtxt text forms,
// the real nets' .pbtxt files and the golden .npy inputs and outputs, plus synthesised nets that
// give any registered op random inputs and arguments. Each runs through parseNetDef / parseNpy
// and a Workspace (RunNetOnce init, feed, run predict or CreateNet + RunNet, fetch, inspect).
// Every outcome must be a success or a Caffe2Error (FetchBlob of an Int8 blob raises Caffe2's
// TypeError, which the runner answers with FetchInt8Blob); anything else (including a Caffe2Error
// that merely wraps another exception as its `cause`), a hang or running out of memory is a
// finding.
//
//   npm run build && npm run fuzz -- --seconds 600 [--seed 1] [--out DIR] [--timeout 20000] [--memory 768]
//
// Each case runs in a child process (restarted after a crash) under a wall-clock timeout and a
// memory cap (V8 heap via --max-old-space-size, plus a resident-set watchdog for typed arrays).
// Findings are minimised (nets first by structure: ops, arguments and fields are dropped while the
// failure persists; then delta debugging on the bytes: chunks are removed likewise) and
// written to the output folder (default: $TMPDIR/caffe2-int8-fuzz-findings), one sub-folder per
// distinct failure, with a note on how to replay it (`--replay DIR`). The folder is scratch space:
// turn a finding into a regression test under test/fixtures/ rather than committing it.
//
// This module also exports the mutators and the case runner; test/fuzz.test.ts uses them
// in-process on the TypeScript sources with a fixed seed and a small budget.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = resolve(PROJECT_ROOT, '..', 'shared');

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers (mulberry32).

export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    float: next,
    /** Integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format: just enough to find fields to mutate.

export function encodeVarint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

function readVarint(bytes, pos) {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) return undefined;
    const b = bytes[pos + i];
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return { value: v, end: pos + i + 1 };
  }
  return undefined;
}

/**
 * The fields found by walking the bytes as protobuf, recursing into length-delimited fields whose
 * content also walks cleanly: {start (tag), valueStart, end, wire, fieldNo, lenStart?, depth}.
 */
export function protoFields(bytes, start = 0, end = bytes.length, depth = 0, out = []) {
  const local = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos);
    if (!tag || tag.end > end) return undefined;
    const wire = Number(tag.value & 7n);
    const fieldNo = Number(tag.value >> 3n);
    if (fieldNo === 0) return undefined;
    let valueStart = tag.end;
    let fieldEnd;
    let lenStart;
    if (wire === 0) {
      const v = readVarint(bytes, valueStart);
      if (!v) return undefined;
      fieldEnd = v.end;
    } else if (wire === 1) fieldEnd = valueStart + 8;
    else if (wire === 5) fieldEnd = valueStart + 4;
    else if (wire === 2) {
      const len = readVarint(bytes, valueStart);
      if (!len) return undefined;
      lenStart = valueStart;
      valueStart = len.end;
      fieldEnd = len.end + Number(len.value);
    } else return undefined;
    if (fieldEnd > end) return undefined;
    local.push({ start: pos, valueStart, end: fieldEnd, wire, fieldNo, lenStart, depth });
    pos = fieldEnd;
  }
  out.push(...local);
  if (depth < 8) {
    for (const f of local) if (f.wire === 2 && f.end > f.valueStart) protoFields(bytes, f.valueStart, f.end, depth + 1, out);
  }
  return out;
}

function concat(...parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function lengthDelimited(fieldNo, content) {
  return concat(Uint8Array.from(encodeVarint((fieldNo << 3) | 2)), Uint8Array.from(encodeVarint(content.length)), content);
}

/**
 * NetDef.arg { Argument.n { NetDef.arg { ... } } } nested `levels` deep (NetDefs counted), built
 * in linear time: the sizes first, from the inside out, then the bytes from the outside in.
 */
export function nestedNetDef(levels) {
  const leaf = [0x0a, 4, 0x64, 0x65, 0x65, 0x70]; // NetDef.name "deep"
  const name = [0x0a, 1, 0x6e]; // Argument.name "n"
  const netSize = [leaf.length];
  const argSize = [];
  for (let d = 0; d < levels; d++) {
    argSize.push(name.length + 1 + encodeVarint(netSize[d]).length + netSize[d]); // + Argument.n
    netSize.push(1 + encodeVarint(argSize[d]).length + argSize[d]); // NetDef.arg
  }
  const out = new Uint8Array(netSize[levels]);
  let o = 0;
  const put = (arr) => {
    out.set(arr, o);
    o += arr.length;
  };
  for (let d = levels - 1; d >= 0; d--) {
    put([0x32, ...encodeVarint(argSize[d])]);
    put(name);
    put([0x42, ...encodeVarint(netSize[d])]);
  }
  put(leaf);
  return out;
}

/** The same nesting in text format (one line per level). */
export function nestedNetDefText(levels) {
  return `${'arg { name: "n" n { '.repeat(levels)}name: "deep"${' } }'.repeat(levels)}\n`;
}

const INTERESTING_VARINTS = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 16n, 127n, 128n, 255n, 256n, 1000n, 65535n, 65536n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -1n, -2n, -128n, -(2n ** 31n)];
const HUGE_LENGTHS = [2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n + 5n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n, 1000000n, 65536n];
const INTERESTING_FLOATS = [0, -0, -1, 1, 0.5, 2, 1e-45, 1.1754942e-38, 1e-30, 1e30, 3.4028235e38, Infinity, -Infinity, NaN, 255, 256, -255, 1e10];
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a, 0x7f, 0x80, 0xff, 0xfe, 0x0f, 0x10, 0x20];

function float32Bytes(v) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return b;
}

function splice(bytes, at, removeCount, insert) {
  return concat(bytes.subarray(0, at), insert, bytes.subarray(at + removeCount));
}

const BINARY_MUTATORS = {
  flipBits(rng, b) {
    if (b.length === 0) return b;
    const out = b.slice();
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  setByte(rng, b) {
    if (b.length === 0) return b;
    const out = b.slice();
    out[rng.int(out.length)] = rng.pick(INTERESTING_BYTES);
    return out;
  },
  truncate(rng, b) {
    return b.subarray(0, rng.int(b.length + 1)).slice();
  },
  insertHugeVarint(rng, b) {
    const v = rng.chance(0.2) ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01] : encodeVarint(rng.pick(HUGE_LENGTHS));
    const tag = rng.chance(0.5) ? [] : encodeVarint((1 + rng.int(12)) * 8 + rng.pick([0, 2, 2, 2, 5]));
    return splice(b, rng.int(b.length + 1), 0, Uint8Array.from([...tag, ...v]));
  },
  duplicateRun(rng, b) {
    if (b.length === 0) return b;
    const a = rng.int(b.length);
    const len = 1 + rng.int(Math.min(64, b.length - a));
    const run = b.slice(a, a + len);
    const times = rng.chance(0.2) ? 2 + rng.int(30) : 1;
    const rep = concat(...Array.from({ length: times }, () => run));
    return splice(b, rng.int(b.length + 1), 0, rep);
  },
  deleteRun(rng, b) {
    if (b.length === 0) return b;
    const a = rng.int(b.length);
    return splice(b, a, 1 + rng.int(Math.min(32, b.length - a)), new Uint8Array(0));
  },
  // Field-aware mutators: fall back to flipBits when the bytes no longer walk as protobuf.
  hugeLength(rng, b) {
    const fields = (protoFields(b) ?? []).filter((f) => f.wire === 2);
    if (fields.length === 0) return BINARY_MUTATORS.insertHugeVarint(rng, b);
    const f = rng.pick(fields);
    const oldLen = f.valueStart - f.lenStart;
    const cur = BigInt(f.end - f.valueStart);
    const v = rng.chance(0.6) ? rng.pick(HUGE_LENGTHS) : BigInt.asUintN(64, cur + BigInt(rng.int(7) - 3));
    return splice(b, f.lenStart, oldLen, Uint8Array.from(encodeVarint(v)));
  },
  setVarintField(rng, b) {
    const fields = (protoFields(b) ?? []).filter((f) => f.wire === 0);
    if (fields.length === 0) return BINARY_MUTATORS.flipBits(rng, b);
    const f = rng.pick(fields);
    const v = rng.chance(0.8) ? rng.pick(INTERESTING_VARINTS) : BigInt(rng.int(2000) - 1000);
    return splice(b, f.valueStart, f.end - f.valueStart, Uint8Array.from(encodeVarint(v)));
  },
  setFloatField(rng, b) {
    const fields = (protoFields(b) ?? []).filter((f) => f.wire === 5);
    if (fields.length === 0) return BINARY_MUTATORS.setVarintField(rng, b);
    const f = rng.pick(fields);
    return splice(b, f.valueStart, 4, float32Bytes(rng.pick(INTERESTING_FLOATS)));
  },
  duplicateField(rng, b) {
    const fields = protoFields(b) ?? [];
    if (fields.length === 0) return BINARY_MUTATORS.duplicateRun(rng, b);
    const f = rng.pick(fields);
    // Only fields at the top level can be duplicated without fixing the enclosing lengths.
    const top = fields.filter((x) => x.depth === 0);
    const g = f.depth === 0 || top.length === 0 ? f : rng.pick(top);
    return splice(b, g.end, 0, b.slice(g.start, g.end));
  },
  deleteField(rng, b) {
    const fields = (protoFields(b) ?? []).filter((f) => f.depth === 0);
    if (fields.length === 0) return BINARY_MUTATORS.deleteRun(rng, b);
    const f = rng.pick(fields);
    return splice(b, f.start, f.end - f.start, new Uint8Array(0));
  },
  deepNesting(rng, b) {
    const levels = rng.pick([50, 99, 100, 101, 150, 1000, 20000]);
    return concat(b, nestedNetDef(levels));
  },
};

const SPLICERS = {
  spliceDonor(rng, b, donor) {
    return concat(b.subarray(0, rng.int(b.length + 1)), donor.subarray(rng.int(donor.length + 1)));
  },
  insertDonorField(rng, b, donor) {
    const fields = (protoFields(donor) ?? []).filter((f) => f.depth === 0);
    if (fields.length === 0) return SPLICERS.spliceDonor(rng, b, donor);
    const f = rng.pick(fields);
    const at = rng.chance(0.5) ? b.length : (rng.pick((protoFields(b) ?? []).filter((x) => x.depth === 0))?.end ?? b.length);
    return splice(b, at, 0, donor.slice(f.start, f.end));
  },
};

/** One to four stacked mutations of binary protobuf bytes; donors are other files of the same kind. */
export function mutateBinary(rng, bytes, donors = []) {
  let b = bytes;
  const names = Object.keys(BINARY_MUTATORS);
  const n = 1 + rng.int(rng.chance(0.5) ? 1 : 4);
  const applied = [];
  for (let k = 0; k < n; k++) {
    if (donors.length > 0 && rng.chance(0.12)) {
      const name = rng.pick(Object.keys(SPLICERS));
      b = SPLICERS[name](rng, b, rng.pick(donors));
      applied.push(name);
    } else {
      // The field-aware mutators make most semantically interesting nets: weigh them up.
      const name = rng.chance(0.5) ? rng.pick(['setVarintField', 'setVarintField', 'setFloatField', 'hugeLength', 'duplicateField', 'deleteField']) : rng.pick(names);
      b = BINARY_MUTATORS[name](rng, b);
      applied.push(name);
    }
  }
  return { bytes: b, mutations: applied };
}

// Text (.pbtxt) mutations.

const INTERESTING_NUMBERS = ['0', '-1', '1', '2', '3', '255', '256', '-128', '2147483647', '2147483648', '-2147483649', '4294967296', '9223372036854775807', '9223372036854775808', '18446744073709551616', '99999999999999999999999999', '1e309', '-1e309', '1e-45', '3.4028236e38', 'nan', 'inf', '-inf', '0x7fffffff', '0xffffffffffffffff', '017', '08', '1.5', '-0', '0.0', '1e30', '100000', '65536'];
const JUNK = ['{', '}', '<', '>', '[', ']', ':', ',', ';', '"', "'", '\\', '#', '-', '\u0000', '\u00ff', '\ud800', '\u{1f600}', 'op {', 'arg {', 'n {', '"\\x', '"\\777"', '"\\u00"', '\\U0011ffff', 'name', 'name:', '""', 'f: ', 'i: ', 's: ', 'ints: [', 'floats: [1,', '0x', '1e', '.', '..'];
const OP_TYPES = ['Int8Conv', 'Int8ConvRelu', 'Int8FC', 'Int8ConvTranspose', 'Int8MaxPool', 'Int8AveragePool', 'Int8AveragePoolRelu', 'Int8ChannelShuffle', 'Int8Concat', 'Int8ResizeNearest', 'Int8Reshape', 'Int8Flatten', 'Int8Slice', 'Int8Transpose', 'Int8RoIAlign', 'Int8Quantize', 'Int8Dequantize', 'Int8GivenTensorFill', 'Int8GivenIntTensorFill', 'GivenTensorFill', 'ConstantFill', 'NCHW2NHWC', 'NHWC2NCHW', 'Int8Add', 'Int8Relu', 'Int8Sigmoid', 'Int8Softmax', 'Conv', 'FC', 'MaxPool', 'AveragePool', 'Add', 'Mul', 'Relu', 'Softmax', 'Reshape', 'Transpose', 'Concat', 'Int8ConvPackWeight', 'Nonexistent'];
const ARG_NAMES = ['kernel', 'stride', 'pad', 'dilation', 'group', 'kernel_h', 'kernel_w', 'stride_h', 'pad_t', 'pad_b', 'legacy_pad', 'global_pooling', 'adj', 'axis', 'order', 'Y_scale', 'Y_zero_point', 'shape', 'values', 'width_scale', 'height_scale', 'output_size', 'pooled_h', 'pooled_w', 'sampling_ratio', 'spatial_scale', 'starts', 'ends', 'axes', 'dtype', 'value', 'extra_shape', 'input_as_shape', 'broadcast'];

const NUMBER_RE = /-?(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?f?|\.\d+)|\b(?:nan|inf|-inf)\b/g;

function lines(text) {
  return text.split('\n');
}

const TEXT_MUTATORS = {
  replaceNumber(rng, t) {
    const matches = [...t.matchAll(NUMBER_RE)];
    if (matches.length === 0) return TEXT_MUTATORS.insertJunk(rng, t);
    const m = rng.pick(matches);
    const v = rng.chance(0.85) ? rng.pick(INTERESTING_NUMBERS) : String(rng.int(600) - 100);
    return t.slice(0, m.index) + v + t.slice(m.index + m[0].length);
  },
  insertJunk(rng, t) {
    const at = rng.int(t.length + 1);
    return t.slice(0, at) + rng.pick(JUNK) + t.slice(at);
  },
  deleteLine(rng, t) {
    const ls = lines(t);
    ls.splice(rng.int(ls.length), 1 + (rng.chance(0.3) ? rng.int(5) : 0));
    return ls.join('\n');
  },
  duplicateLines(rng, t) {
    const ls = lines(t);
    const a = rng.int(ls.length);
    const block = ls.slice(a, a + 1 + rng.int(12));
    const times = rng.chance(0.2) ? 2 + rng.int(20) : 1;
    ls.splice(rng.int(ls.length + 1), 0, ...Array.from({ length: times }, () => block).flat());
    return ls.join('\n');
  },
  swapLines(rng, t) {
    const ls = lines(t);
    const a = rng.int(ls.length);
    const b = rng.int(ls.length);
    [ls[a], ls[b]] = [ls[b], ls[a]];
    return ls.join('\n');
  },
  truncate(rng, t) {
    return t.slice(0, rng.int(t.length + 1));
  },
  changeOpType(rng, t) {
    const matches = [...t.matchAll(/type: "([^"]*)"/g)];
    if (matches.length === 0) return TEXT_MUTATORS.insertJunk(rng, t);
    const m = rng.pick(matches);
    return `${t.slice(0, m.index)}type: "${rng.pick(OP_TYPES)}"${t.slice(m.index + m[0].length)}`;
  },
  addArgument(rng, t) {
    const matches = [...t.matchAll(/\n(\s*)type: "[^"]*"\n/g)];
    if (matches.length === 0) return TEXT_MUTATORS.insertJunk(rng, t);
    const m = rng.pick(matches);
    const name = rng.pick(ARG_NAMES);
    const field = rng.pick(['i', 'i', 'f', 's', 'ints', 'floats']);
    const value = field === 's' ? rng.pick(['"NHWC"', '"NCHW"', '""', '"\\377\\000"', '"x"']) : field === 'ints' || field === 'floats' ? `[${Array.from({ length: rng.int(5) }, () => rng.pick(INTERESTING_NUMBERS)).join(', ')}]` : rng.pick(INTERESTING_NUMBERS);
    const at = m.index + m[0].length;
    return `${t.slice(0, at)}${m[1]}arg { name: "${name}" ${field}: ${value} }\n${t.slice(at)}`;
  },
  renameBlob(rng, t) {
    const names = [...new Set([...t.matchAll(/(?:input|output|external_input|external_output): "([^"]*)"/g)].map((m) => m[1]))];
    if (names.length < 2) return TEXT_MUTATORS.insertJunk(rng, t);
    const a = rng.pick(names);
    const b = rng.pick(names);
    const matches = [...t.matchAll(new RegExp(`"${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'g'))];
    const m = rng.pick(matches);
    return `${t.slice(0, m.index)}"${b}"${t.slice(m.index + m[0].length)}`;
  },
  deepNesting(rng, t) {
    return t + nestedNetDefText(rng.pick([50, 99, 100, 101, 500, 5000]));
  },
};

/** One to four stacked mutations of protobuf text; donors are other texts. */
export function mutateText(rng, text, donors = []) {
  let t = text;
  const applied = [];
  const n = 1 + rng.int(rng.chance(0.5) ? 1 : 4);
  for (let k = 0; k < n; k++) {
    if (donors.length > 0 && rng.chance(0.1)) {
      const d = rng.pick(donors);
      const dl = lines(d);
      const a = rng.int(dl.length);
      const ls = lines(t);
      ls.splice(rng.int(ls.length + 1), 0, ...dl.slice(a, a + 1 + rng.int(40)));
      t = ls.join('\n');
      applied.push('spliceDonorLines');
    } else {
      const name = rng.pick(Object.keys(TEXT_MUTATORS));
      t = TEXT_MUTATORS[name](rng, t);
      applied.push(name);
    }
  }
  return { text: t, mutations: applied };
}

// Structured NetDef mutations: change the decoded net (arguments, op types, blob names, op
// order) and encode it again, so that the mutant parses and reaches the ops' own checks.

const ENGINES = ['', '', 'QNNPACK', 'DNNLOWP', 'DNNLOWP_ACC16', 'foo', 'DNNLOWP,QNNPACK', 'CUDNN'];
const INT_VALUES = [0, 1, 2, 3, -1, -2, 4, 7, 8, 255, 256, 1000, 65536, 2147483647, -2147483648, 4294967296, Number.MAX_SAFE_INTEGER, 2n ** 63n - 1n, -(2n ** 63n)];

function randomInt(rng) {
  return rng.chance(0.7) ? rng.pick(INT_VALUES) : rng.int(40) - 5;
}

function randomFloat(rng) {
  return rng.chance(0.7) ? rng.pick(INTERESTING_FLOATS) : Math.fround(rng.float() * 4 - 1);
}

function randomArgValue(rng, arg) {
  const out = { name: arg.name };
  const kind = rng.pick(['i', 'i', 'f', 'f', 's', 'ints', 'ints', 'floats', 'strings', 'same']);
  const len = rng.pick([0, 1, 2, 3, 4, 5, 8]);
  if (kind === 'same') {
    // Keep the field, change the value.
    if (arg.i !== undefined) out.i = randomInt(rng);
    else if (arg.f !== undefined) out.f = randomFloat(rng);
    else if (arg.s !== undefined) out.s = BINARY_MUTATORS[rng.pick(['truncate', 'duplicateRun', 'flipBits', 'deleteRun'])](rng, arg.s);
    else if (arg.ints !== undefined) out.ints = arg.ints.map((v) => (rng.chance(0.4) ? randomInt(rng) : v)).slice(0, rng.chance(0.2) ? rng.int(arg.ints.length + 1) : undefined);
    else if (arg.floats !== undefined) out.floats = arg.floats.map((v) => (rng.chance(0.3) ? randomFloat(rng) : v));
    else out.i = randomInt(rng);
  } else if (kind === 'i') out.i = randomInt(rng);
  else if (kind === 'f') out.f = randomFloat(rng);
  else if (kind === 's') out.s = new TextEncoder().encode(rng.pick(['NHWC', 'NCHW', 'nhwc', '', 'x', '\u00ff']));
  else if (kind === 'ints') out.ints = Array.from({ length: len }, () => randomInt(rng));
  else if (kind === 'floats') out.floats = Array.from({ length: len }, () => randomFloat(rng));
  else out.strings = Array.from({ length: len }, () => new TextEncoder().encode('a'));
  return out;
}

function blobNames(net) {
  const names = new Set([...(net.external_input ?? []), ...(net.external_output ?? [])]);
  for (const op of net.op ?? []) for (const b of [...(op.input ?? []), ...(op.output ?? [])]) names.add(b);
  return [...names];
}

const NET_MUTATORS = {
  changeArg(rng, net) {
    const op = rng.pick(net.op);
    if (!op.arg?.length) return NET_MUTATORS.addArg(rng, net);
    const k = rng.int(op.arg.length);
    op.arg[k] = randomArgValue(rng, op.arg[k]);
  },
  addArg(rng, net) {
    const op = rng.pick(net.op);
    op.arg = [...(op.arg ?? []), randomArgValue(rng, { name: rng.chance(0.9) ? rng.pick(ARG_NAMES) : (op.arg?.[0]?.name ?? 'x') })];
  },
  deleteArg(rng, net) {
    const op = rng.pick(net.op);
    if (op.arg?.length) op.arg.splice(rng.int(op.arg.length), 1);
  },
  fillShape(rng, net) {
    const fills = net.op.filter((o) => (o.arg ?? []).some((a) => a.name === 'shape'));
    if (fills.length === 0) return NET_MUTATORS.changeArg(rng, net);
    const op = rng.pick(fills);
    const a = op.arg.find((x) => x.name === 'shape');
    const dims = [...(a.ints ?? [])];
    const r = rng.int(4);
    if (r === 0 && dims.length) dims[rng.int(dims.length)] = randomInt(rng);
    else if (r === 1 && dims.length >= 2 && rng.chance(0.4)) {
      // Empty, with huge other dims: no bytes, but every size computed from the dims is huge.
      const zero = rng.int(dims.length);
      dims[zero] = 0;
      dims[(zero + 1) % dims.length] = rng.pick(HUGE_DIMS);
    } else if (r === 1) dims.splice(rng.int(dims.length + 1), 0, rng.pick([1, 2, 0]));
    else if (r === 2 && dims.length) dims.splice(rng.int(dims.length), 1);
    else dims.reverse();
    a.ints = dims;
    // Sometimes keep the values consistent with the new shape, so the fill succeeds.
    const n = dims.reduce((p, d) => p * Number(d), 1);
    const values = op.arg.find((x) => x.name === 'values');
    if (values && rng.chance(0.6) && n >= 0 && n <= 1 << 16) {
      if (values.s) values.s = Uint8Array.from({ length: n }, (_, k) => values.s[k % Math.max(1, values.s.length)] ?? rng.int(256));
      else if (values.ints) values.ints = Array.from({ length: n }, (_, k) => values.ints[k % Math.max(1, values.ints.length)] ?? 0);
      else if (values.floats) values.floats = Array.from({ length: n }, (_, k) => values.floats[k % Math.max(1, values.floats.length)] ?? 0);
    }
  },
  opType(rng, net) {
    rng.pick(net.op).type = rng.pick(OP_TYPES);
  },
  engine(rng, net) {
    rng.pick(net.op).engine = rng.pick(ENGINES);
  },
  device(rng, net) {
    rng.pick(net.op).device_option = { device_type: rng.pick([0, 1, 2, 6]) };
  },
  renameBlob(rng, net) {
    const op = rng.pick(net.op);
    const names = blobNames(net);
    const list = rng.chance(0.6) && op.input?.length ? op.input : op.output;
    if (!list?.length) return;
    list[rng.int(list.length)] = rng.chance(0.85) ? rng.pick(names) : rng.pick(['', 'fresh', 'x\u0000']);
  },
  inputCount(rng, net) {
    const op = rng.pick(net.op);
    const ins = op.input ?? [];
    if (rng.chance(0.5) && ins.length) ins.splice(rng.int(ins.length), 1);
    else ins.push(rng.pick(blobNames(net)));
    op.input = ins;
  },
  outputCount(rng, net) {
    const op = rng.pick(net.op);
    const outs = op.output ?? [];
    if (rng.chance(0.5) && outs.length) outs.splice(rng.int(outs.length), 1);
    else outs.push(rng.chance(0.5) ? rng.pick(blobNames(net)) : 'extra_out');
    op.output = outs;
  },
  opOrder(rng, net) {
    const r = rng.int(3);
    const k = rng.int(net.op.length);
    if (r === 0) net.op.splice(k, 1);
    else if (r === 1) net.op.splice(rng.int(net.op.length + 1), 0, structuredClone(net.op[k]));
    else net.op.splice(rng.int(net.op.length + 1), 0, ...net.op.splice(k, 1));
  },
  externals(rng, net) {
    const names = blobNames(net);
    const which = rng.chance(0.5) ? 'external_input' : 'external_output';
    const list = [...(net[which] ?? [])];
    if (rng.chance(0.5) && list.length) list.splice(rng.int(list.length), 1);
    else list.push(rng.chance(0.8) ? rng.pick(names) : 'never_made');
    net[which] = list;
  },
};

/**
 * One to three structured mutations of a decoded NetDef; donors are other decoded nets whose ops
 * may be borrowed. Returns a new object (the input is not changed).
 */
export function mutateNet(rng, netDef, donors = []) {
  const net = structuredClone(netDef);
  net.op = net.op ?? [];
  const applied = [];
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    if (net.op.length === 0 || (donors.length > 0 && rng.chance(0.1))) {
      const d = rng.pick(donors.length ? donors : [netDef]);
      if (d.op?.length) net.op.splice(rng.int(net.op.length + 1), 0, structuredClone(rng.pick(d.op)));
      applied.push('borrowOp');
      continue;
    }
    const name = rng.pick(Object.keys(NET_MUTATORS));
    NET_MUTATORS[name](rng, net);
    applied.push(name);
  }
  return { net, mutations: applied };
}

// .npy mutations: the header dict and the data.

const NPY_DESCRS = ["'<f4'", "'<f8'", "'|u1'", "'|i1'", "'<i4'", "'<i8'", "'|b1'", "'<f2'", "'>f4'", "'|f4'", "'<U4'", "'O'", "'<c8'", "[('a', '<f4')]", "'<f4[2]'", "'x'", '5'];

function npyParts(b) {
  if (b.length < 10 || b[0] !== 0x93) return undefined;
  const major = b[6];
  const lenBytes = major === 1 ? 2 : 4;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 8 + lenBytes) return undefined;
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + hlen > b.length) return undefined;
  let header = '';
  for (const c of b.subarray(start, start + hlen)) header += String.fromCharCode(c);
  return { major, header, data: b.subarray(start + hlen) };
}

function buildNpy(major, header, data) {
  const lenBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, Math.min(header.length, 0xffff), true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lenBytes + i] = header.charCodeAt(i) & 0xff;
  out.set(data, 8 + lenBytes + header.length);
  return out;
}

const NPY_MUTATORS = {
  shape(rng, p) {
    const m = /'shape': \(([^)]*)\)/.exec(p.header);
    if (!m) return p;
    const dims = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
    const r = rng.int(5);
    if (r === 0 && dims.length > 0) dims[rng.int(dims.length)] = rng.pick(['0', '-1', '2', '1', '100000000', '4294967296', '9007199254740993', '99999999999999999999', '1L', '1.0', 'None', "'3'"]);
    else if (r === 1) dims.splice(rng.int(dims.length + 1), 0, rng.pick(['1', '2', '0', '1000000']));
    else if (r === 2 && dims.length > 0) dims.splice(rng.int(dims.length), 1);
    else if (r === 3) dims.reverse();
    else if (dims.length > 0) dims[rng.int(dims.length)] = String(Number(dims[rng.int(dims.length)] || 1) * rng.pick([2, 3, 1000]));
    const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    return { ...p, header: p.header.replace(m[0], `'shape': ${shape}`) };
  },
  descr(rng, p) {
    return { ...p, header: p.header.replace(/'descr': ('[^']*'|\[[^\]]*\])/, `'descr': ${rng.pick(NPY_DESCRS)}`) };
  },
  fortran(rng, p) {
    return { ...p, header: p.header.replace(/'fortran_order': (True|False)/, `'fortran_order': ${rng.pick(['True', 'False', '0', 'None', "'no'"])}`) };
  },
  headerJunk(rng, p) {
    const at = rng.int(p.header.length + 1);
    return { ...p, header: p.header.slice(0, at) + rng.pick(["'", '{', '}', '(', ')', ',', ':', "'descr': '<f4', ", '\\', '\n', '\u00ff', 'True', ' ', "'extra': 1, ", '(((((((((((((((((((']) + p.header.slice(at) };
  },
  version(rng, p) {
    return { ...p, major: rng.pick([1, 2, 3, 0, 4, 255]) };
  },
  data(rng, p) {
    const m = BINARY_MUTATORS[rng.pick(['truncate', 'duplicateRun', 'deleteRun', 'flipBits'])];
    return { ...p, data: m(rng, p.data) };
  },
  /** A new shape and/or dtype with exactly the data it needs, so the file itself is valid. */
  consistent(rng, p) {
    const sm = /'shape': \(([^)]*)\)/.exec(p.header);
    const dm = /'descr': '([<>|=])([a-z])(\d+)'/.exec(p.header);
    if (!sm || !dm) return p;
    let dims = sm[1].split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
    let descr = `${dm[1]}${dm[2]}${dm[3]}`;
    if (rng.chance(0.7)) {
      const r = rng.int(5);
      if (r === 0 && dims.length) dims[rng.int(dims.length)] = rng.pick([0, 1, 2, 3, 5, 16, 64]);
      else if (r === 1) dims.splice(rng.int(dims.length + 1), 0, rng.pick([1, 2]));
      else if (r === 2 && dims.length) dims.splice(rng.int(dims.length), 1);
      else if (r === 3) dims = [...dims].reverse();
      else if (dims.length) dims[rng.int(dims.length)] *= 2;
    }
    if (rng.chance(0.3)) descr = rng.pick(['<f4', '<f8', '|u1', '|i1', '<i4', '<i8', '|b1', '<f2', '<i2', '<u2']);
    const item = Number(/\d+$/.exec(descr)[0]);
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(Number.isSafeInteger(n) && n >= 0 && n * item <= 8 << 20)) return p;
    const data = new Uint8Array(n * item);
    for (let k = 0; k < data.length; k++) data[k] = p.data.length ? p.data[k % p.data.length] : rng.int(256);
    if (descr === '|b1') for (let k = 0; k < data.length; k++) data[k] &= 1;
    const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    const header = p.header.replace(sm[0], `'shape': ${shape}`).replace(dm[0], `'descr': '${descr}'`);
    return { ...p, header, data };
  },
  /** NaN, infinities, -0, huge and tiny values in float32 data. */
  specialFloats(rng, p) {
    if (!/'descr': '<f4'/.test(p.header) || p.data.length < 4) return p;
    const data = p.data.slice();
    const dv = new DataView(data.buffer);
    const n = 1 + rng.int(8);
    for (let k = 0; k < n; k++) dv.setFloat32(4 * rng.int(data.length >> 2), rng.pick(INTERESTING_FLOATS), true);
    return { ...p, data };
  },
};

/** One to three mutations of a .npy file: header fields, version, data, or raw bytes. */
export function mutateNpy(rng, bytes) {
  const applied = [];
  if (rng.chance(0.2)) {
    const name = rng.pick(['flipBits', 'setByte', 'truncate', 'insertHugeVarint', 'duplicateRun', 'deleteRun']);
    return { bytes: BINARY_MUTATORS[name](rng, bytes), mutations: [name] };
  }
  let p = npyParts(bytes);
  if (!p) return { bytes: BINARY_MUTATORS.flipBits(rng, bytes), mutations: ['flipBits'] };
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const name = rng.chance(0.4) ? rng.pick(['consistent', 'specialFloats']) : rng.pick(Object.keys(NPY_MUTATORS));
    p = NPY_MUTATORS[name](rng, p);
    applied.push(name);
  }
  // Usually keep the header length right, sometimes let it lie.
  const header = rng.chance(0.85) ? p.header : p.header.slice(0, rng.int(p.header.length + 1));
  return { bytes: buildNpy(p.major, header, p.data), mutations: applied };
}

// ---------------------------------------------------------------------------------------------
// Corpus: the golden cases and the real nets.

/**
 * Loads ../shared/golden/* (nets, feeds, expected outputs) and ../shared/real-nets/**.pbtxt.
 * `lib` is the caffe2-int8 module (dist/src/index.js, or src/index.ts in the test suite).
 */
export function loadCorpus(lib, shared = SHARED) {
  const golden = join(shared, 'golden');
  const cases = [];
  if (existsSync(golden)) {
    for (const name of readdirSync(golden).sort()) {
      const dir = join(golden, name);
      if (!existsSync(join(dir, 'case.json'))) continue;
      const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const read = (f) => new Uint8Array(readFileSync(join(dir, f)));
      const c = {
        name,
        init: read(meta.init_net ?? 'init_net.pb'),
        predict: read(meta.predict_net ?? 'predict_net.pb'),
        feeds: (meta.feeds ?? []).map((f) => ({ name: f.name, file: f.file, bytes: read(f.file) })),
        expected: (meta.outputs ?? []).filter((o) => existsSync(join(dir, o.file))).map((o) => ({ file: o.file, bytes: read(o.file) })),
        fetch: meta.fetch ?? [],
        expectError: meta.expect_error !== null && meta.expect_error !== undefined,
      };
      c.initNet = lib.parseNetDef(c.init);
      c.predictNet = lib.parseNetDef(c.predict);
      c.initText = lib.printTextFormat('NetDef', c.initNet);
      c.predictText = lib.printTextFormat('NetDef', c.predictNet);
      cases.push(c);
    }
  }
  const realNets = [];
  const real = join(shared, 'real-nets');
  if (existsSync(real)) {
    for (const d of readdirSync(real, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      for (const f of readdirSync(join(real, d.name))) {
        if (f.endsWith('.pbtxt')) realNets.push({ name: `${d.name}/${f}`, text: readFileSync(join(real, d.name, f), 'utf8') });
      }
    }
  }
  return { lib, cases, realNets };
}

// Synthesised single-op nets: for any registered op, an init part that fills random inputs
// (Int8 uint8/int32, float, int) and the op with random arguments of the kinds it declares. Half
// of the conv / FC / pool cases get coherent shapes so that they pass the first checks.

const SCALES = [1, 0.5, 0.25, 0.1, 0.02, 1 / 256, 2, 1e-3, 3.5, 1e-7];
const ZERO_POINTS = [0, 0, 128, 255, 1, 7, 300, -1];
const SMALL_DIMS = [1, 1, 2, 2, 3, 4, 5, 8, 0];

const HUGE_DIMS = [100000, 1 << 20, 2 ** 31 - 1, 2 ** 31, 2 ** 40];

/** Small random dims; sometimes an empty tensor whose other dims are huge (it costs no bytes). */
function synthShape(rng, rank) {
  const dims = Array.from({ length: rank }, () => rng.pick(SMALL_DIMS));
  if (rank >= 2 && rng.chance(0.1)) {
    const zero = rng.int(rank);
    dims[zero] = 0;
    dims[(zero + 1 + rng.int(rank - 1)) % rank] = rng.pick(HUGE_DIMS);
  }
  return dims;
}

function prod(dims) {
  return dims.reduce((a, b) => a * b, 1);
}

function fillOp(rng, name, kind, dims, scale, zeroPoint) {
  const te = new TextEncoder();
  // A shape too big to fill gets no values (the fill then refuses the count mismatch).
  const n = prod(dims) <= 1 << 22 ? prod(dims) : 0;
  const shape = { name: 'shape', ints: dims };
  switch (kind) {
    case 'u8':
      return { type: 'Int8GivenTensorFill', output: [name], arg: [shape, { name: 'values', s: Uint8Array.from({ length: n }, () => rng.int(256)) }, { name: 'Y_scale', f: scale }, { name: 'Y_zero_point', i: zeroPoint }] };
    case 'i32q':
      return { type: 'Int8GivenIntTensorFill', output: [name], arg: [shape, { name: 'values', ints: Array.from({ length: n }, () => rng.int(2001) - 1000) }, { name: 'Y_scale', f: scale }, { name: 'Y_zero_point', i: 0 }] };
    case 'f32':
      return { type: 'GivenTensorFill', output: [name], arg: [shape, { name: 'values', floats: Array.from({ length: n }, () => (rng.chance(0.05) ? rng.pick(INTERESTING_FLOATS) : Math.fround(rng.float() * 8 - 4))) }] };
    case 'i32':
      return { type: 'GivenTensorIntFill', output: [name], arg: [shape, { name: 'values', ints: Array.from({ length: n }, () => rng.int(9) - 2) }] };
    case 'i64':
      return { type: 'GivenTensorInt64Fill', output: [name], arg: [shape, { name: 'values', ints: Array.from({ length: n }, () => rng.int(9) - 2) }] };
    default:
      return { type: 'ConstantFill', output: [name], arg: [shape, { name: 'value', f: 1 }] };
  }
  void te;
}

function synthArg(rng, name, kind) {
  const te = new TextEncoder();
  const smallInt = () => (rng.chance(0.8) ? rng.pick([0, 1, 1, 2, 2, 3, 4, -1]) : randomInt(rng));
  switch (kind) {
    case 'i':
      return { name, i: smallInt() };
    case 'f':
      return { name, f: rng.chance(0.7) ? rng.pick(SCALES) : randomFloat(rng) };
    case 's':
      return { name, s: te.encode(rng.chance(0.8) ? 'NHWC' : rng.pick(['NCHW', 'nhwc', 'x', ''])) };
    case 'ints':
      return { name, ints: Array.from({ length: rng.pick([0, 1, 2, 2, 3, 4]) }, smallInt) };
    case 'floats':
      return { name, floats: Array.from({ length: rng.pick([0, 1, 2, 3]) }, () => rng.pick(SCALES)) };
    default:
      return { name, strings: [te.encode('a')] };
  }
}

const CONV_POOL_ARGS = new Set(['kernel', 'kernel_h', 'kernel_w', 'kernels', 'stride', 'stride_h', 'stride_w', 'strides', 'pad', 'pad_t', 'pad_l', 'pad_b', 'pad_r', 'pads', 'dilation', 'dilation_h', 'dilation_w', 'dilations', 'adj', 'adj_h', 'adj_w', 'adjs', 'legacy_pad', 'global_pooling']);

/** Window arguments in one of the forms Caffe2 reads, mostly sensible, sometimes hostile. */
function windowArgs(rng, kernel) {
  const v = (good) => (rng.chance(0.85) ? good : rng.pick([0, -1, -2, 1000, 2147483647]));
  const args = [];
  const form = rng.int(4);
  if (form === 0) args.push({ name: 'kernel', i: v(kernel) });
  else if (form === 1) args.push({ name: 'kernel_h', i: v(kernel) }, { name: 'kernel_w', i: v(rng.pick([1, 2, 3])) });
  else if (form === 2) args.push({ name: 'kernels', ints: [v(kernel), v(kernel)] });
  if (rng.chance(0.4)) args.push(rng.chance(0.7) ? { name: 'stride', i: v(rng.pick([1, 2, 3])) } : { name: 'strides', ints: [v(2), v(1)] });
  if (rng.chance(0.4)) {
    const p = rng.int(4);
    if (p === 0) args.push({ name: 'pad', i: v(rng.pick([0, 1, 2])) });
    else if (p === 1) args.push({ name: 'pads', ints: [v(1), v(0), v(1), v(2)] });
    else if (p === 2) for (const n of ['pad_t', 'pad_l', 'pad_b', 'pad_r']) args.push({ name: n, i: v(rng.pick([0, 1])) });
    else args.push({ name: 'legacy_pad', i: rng.pick([0, 1, 2, 3, 7]) });
  }
  if (rng.chance(0.2)) args.push({ name: 'dilation', i: v(rng.pick([1, 2])) });
  if (rng.chance(0.1)) args.push({ name: 'global_pooling', i: 1 });
  if (rng.chance(0.15)) args.push({ name: 'adj', i: v(rng.pick([0, 1])) });
  return args;
}

/** A coherent conv / deconv / FC / pool set-up: [fills, args] with matching shapes. */
function coherentInputs(rng, type, xScale, xZp) {
  // Sometimes tensors with no elements and huge other dims: they cost no bytes, but every size
  // computed from them is huge. Either the batch is 0 (and then the weights are empty too, or
  // small), or the output channels are 0 with a small input and a huge window.
  const empty = rng.chance(0.1) ? rng.pick(['batch', 'batch-small-weights', 'channels']) : '';
  const huge = () => rng.pick([1000, 100000]);
  const g = rng.pick([1, 1, 2, 3]);
  let n = rng.pick([1, 1, 2, 0]);
  let h = rng.pick([1, 2, 3, 5, 8]);
  let w = rng.pick([1, 2, 3, 4, 7]);
  let k = rng.pick([1, 2, 3]);
  let c = g * rng.pick([1, 2, 3]);
  let m = g * rng.pick([1, 2, 4]);
  if (empty === 'batch') {
    [n, h, w, k, c, m] = [0, huge(), huge(), huge(), g * rng.pick([1, 1 << 20]), 0];
  } else if (empty === 'batch-small-weights') {
    [n, h, w] = [0, huge(), huge()];
  } else if (empty === 'channels') {
    [n, m, k] = [1, 0, huge()];
  }
  const wScale = rng.pick([0.5, 0.02, 0.1, 1]);
  const fills = [];
  const args = [];
  if (type === 'Int8FC' || type === 'FC') {
    const kk = c * h;
    fills.push(fillOp(rng, 'x0', 'u8', [n, kk], xScale, xZp), fillOp(rng, 'x1', 'u8', [m, kk], wScale, 128), fillOp(rng, 'x2', 'i32q', [m], 1, 0));
  } else if (type === 'Int8ConvTranspose') {
    fills.push(fillOp(rng, 'x0', 'u8', [n || 1, h, w, c], xScale, xZp), fillOp(rng, 'x1', 'u8', [c, k, k, m], wScale, 128), fillOp(rng, 'x2', 'i32q', [m], 1, 0));
    args.push({ name: 'kernel', i: k }, { name: 'stride', i: rng.pick([1, 2, 3]) });
  } else if (type.includes('Conv')) {
    fills.push(fillOp(rng, 'x0', 'u8', [n, h, w, c], xScale, xZp), fillOp(rng, 'x1', 'u8', [m, k, k, c / g], wScale, 128), fillOp(rng, 'x2', 'i32q', [m], 1, 0));
    args.push(...windowArgs(rng, k), { name: 'group', i: g });
    // A huge window over a small input needs as much padding to have an output at all.
    if (empty === 'channels') args.push({ name: 'pad', i: k });
  } else {
    if (empty === 'channels') [n, h, w] = [0, huge(), huge()];
    fills.push(fillOp(rng, 'x0', 'u8', [n, h, w, c], xScale, xZp));
    args.push(...windowArgs(rng, k));
  }
  args.push({ name: 'order', s: new TextEncoder().encode('NHWC') });
  return { fills, args };
}

/** The float counterparts (NCHW): Conv, ConvRelu, FC, MaxPool, AveragePool. */
function coherentFloatInputs(rng, type) {
  const n = rng.pick([1, 2, 0]);
  const h = rng.pick([1, 3, 5]);
  const w = rng.pick([2, 4]);
  const k = rng.pick([1, 2, 3]);
  const g = rng.pick([1, 1, 2]);
  const c = g * rng.pick([1, 2]);
  const m = g * rng.pick([1, 3]);
  const fills = [];
  const args = [];
  if (type === 'FC') {
    fills.push(fillOp(rng, 'x0', 'f32', [n, c * h]), fillOp(rng, 'x1', 'f32', [m, c * h]), fillOp(rng, 'x2', 'f32', [m]));
  } else if (type.startsWith('Conv')) {
    fills.push(fillOp(rng, 'x0', 'f32', [n, c, h, w]), fillOp(rng, 'x1', 'f32', [m, c / g, k, k]), fillOp(rng, 'x2', 'f32', [m]));
    args.push(...windowArgs(rng, k), { name: 'group', i: g });
  } else {
    fills.push(fillOp(rng, 'x0', 'f32', [n, c, h, w]));
    args.push(...windowArgs(rng, k));
  }
  args.push({ name: 'order', s: new TextEncoder().encode(rng.chance(0.85) ? 'NCHW' : 'NHWC') });
  return { fills, args };
}

/** Arguments for ops with fixed output qparams or required lists, to get past their first checks. */
function typicalArgs(rng, type, xScale, xZp) {
  if ((type === 'Int8Sigmoid' || type === 'Int8Softmax') && rng.chance(0.6)) return [{ name: 'Y_scale', f: 1 / 256 }, { name: 'Y_zero_point', i: 0 }];
  if (/Reshape$/.test(type) && rng.chance(0.7)) return [{ name: 'shape', ints: rng.pick([[-1], [1, -1], [0, -1], [2, -1, 1], [-1, -1], [0, 0, 0, 0], [3, 5]]) }];
  if (/Slice$/.test(type) && rng.chance(0.7)) return [{ name: 'starts', ints: rng.pick([[0, 0], [0, 1], [-1], [0, 0, 0, -3]]) }, { name: 'ends', ints: rng.pick([[-1, -1], [1, 2], [-1], [0, -1, -1, -1], [5]]) }];
  if (type === 'Int8ResizeNearest' && rng.chance(0.5)) return [{ name: 'width_scale', f: rng.pick([0.5, 2, 1.5, 3]) }, { name: 'height_scale', f: rng.pick([0.5, 2, 1, 0.25]) }];
  if (type === 'Int8Transpose' || type === 'Transpose') return rng.chance(0.5) ? [{ name: 'axes', ints: rng.pick([[0, 3, 1, 2], [3, 2, 1, 0], [0, 1], [1, 0], [0, 1, 2, 3]]) }] : [];
  void xScale;
  void xZp;
  return [];
}

/** One random single-op net (fills + the op) as a NetDef object. */
export function synthNet(rng, lib) {
  const specs = lib.registeredOps().filter((sp) => !sp.type.endsWith('Fill'));
  const spec = rng.pick(specs);
  const type = spec.type;
  const xScale = rng.pick(SCALES);
  const xZp = rng.pick(ZERO_POINTS.slice(0, 6));
  let fills = [];
  let args = [];
  let inputs = [];
  const coherent = /Conv|FC|Pool/.test(type) && !/PackWeight/.test(type) && rng.chance(0.7);
  if (coherent) {
    ({ fills, args } = type.startsWith('Int8') ? coherentInputs(rng, type, xScale, xZp) : coherentFloatInputs(rng, type));
    inputs = fills.map((f) => f.output[0]);
  } else if (type === 'Int8RoIAlign' && rng.chance(0.7)) {
    const rois = rng.int(4);
    const cols = rng.pick([4, 5, 5, 3]);
    fills.push(fillOp(rng, 'x0', 'u8', [rng.pick([1, 2]), rng.pick([1, 4, 6]), rng.pick([1, 5]), rng.pick([1, 3])], xScale, xZp));
    fills.push({ type: 'GivenTensorFill', output: ['x1'], arg: [{ name: 'shape', ints: [rois, cols] }, { name: 'values', floats: Array.from({ length: rois * cols }, () => (rng.chance(0.1) ? rng.pick(INTERESTING_FLOATS) : Math.fround(rng.float() * 8 - 1))) }] });
    inputs = ['x0', 'x1'];
  } else {
    const maxIn = Math.min(spec.schema.maxInputs, spec.schema.minInputs + 2);
    const count = spec.schema.minInputs + rng.int(maxIn - spec.schema.minInputs + 1);
    const int8 = type.startsWith('Int8') && type !== 'Int8Quantize';
    for (let k = 0; k < count; k++) {
      const kind = int8 ? (rng.chance(0.85) ? 'u8' : rng.pick(['i32q', 'f32', 'i32'])) : rng.chance(0.75) ? 'f32' : rng.pick(['i32', 'i64', 'u8']);
      const rank = rng.chance(0.6) ? 4 : rng.int(6);
      const dims = k > 0 && rng.chance(0.5) && fills.length ? [...fills[0].arg[0].ints] : synthShape(rng, rank);
      fills.push(fillOp(rng, `x${k}`, kind, dims, k > 0 && rng.chance(0.3) ? rng.pick(SCALES) : xScale, xZp));
      inputs.push(`x${k}`);
    }
  }
  const kinds = Object.entries(spec.argKinds ?? {});
  args.push(...typicalArgs(rng, type, xScale, xZp));
  if (!coherent && kinds.some(([name]) => name === 'kernel') && rng.chance(0.7)) args.push(...windowArgs(rng, rng.pick([1, 2, 3])));
  for (const [name, kind] of kinds) {
    if (args.some((a) => a.name === name)) continue;
    const p = name === 'order' ? 0.8 : name === 'Y_scale' || name === 'Y_zero_point' ? 0.8 : CONV_POOL_ARGS.has(name) ? 0.03 : 0.3;
    if (!rng.chance(p)) continue;
    if (name === 'Y_scale') args.push({ name, f: rng.chance(0.75) ? xScale : rng.pick(SCALES) });
    else if (name === 'Y_zero_point') args.push({ name, i: rng.chance(0.75) ? xZp : rng.pick(ZERO_POINTS) });
    else if (name === 'order') args.push({ name, s: new TextEncoder().encode(type.startsWith('Int8') || rng.chance(0.5) ? 'NHWC' : 'NCHW') });
    else args.push(synthArg(rng, name, kind));
  }
  if (rng.chance(0.1)) args.push(synthArg(rng, rng.pick(ARG_NAMES), rng.pick(['i', 'f', 'ints'])));
  const outCount = spec.schema.minOutputs + (spec.schema.maxOutputs > spec.schema.minOutputs && rng.chance(0.3) ? 1 : 0);
  const output = Array.from({ length: outCount }, (_, k) => `y${k}`);
  const op = { type, input: inputs, output, arg: args, ...(spec.engine ? { engine: spec.engine } : {}) };
  const ops = [...fills, op];
  // Sometimes a second op consumes the first one's output.
  if (rng.chance(0.25)) {
    const next = rng.pick(specs);
    ops.push({ type: next.type, input: [output[0], ...inputs.slice(1, next.schema.minInputs)].slice(0, Math.max(1, next.schema.minInputs)), output: ['z0'], arg: [synthArg(rng, 'order', 's'), { name: 'Y_scale', f: rng.pick(SCALES) }, ...(next.argKinds?.kernel ? [{ name: 'kernel', i: rng.pick([1, 2, 3]) }] : [])], ...(next.engine ? { engine: next.engine } : {}) });
  }
  return { name: `synth_${type}`, op: ops, external_output: output.slice(0, 1) };
}

/** Small limits so that every case, hostile or not, finishes in well under a second. */
export const FUZZ_LIMITS = { maxTensorBytes: 64 << 20, maxOpWork: 1e8, maxWorkspaceBytes: 512 << 20 };

/**
 * A random case: which golden case (or real net), which of its files is replaced by a mutant, in
 * what format, and whether the predict net runs once or is created and run twice.
 * `weights` (optional) gives each golden case a relative chance (e.g. 0 for slow ones).
 */
export function makeCase(rng, corpus, weights) {
  const te = new TextEncoder();
  const { cases, realNets } = corpus;
  if (realNets.length > 0 && rng.chance(0.06)) {
    const r = rng.pick(realNets);
    const { text, mutations } = mutateText(rng, r.text, cases.length ? [rng.pick(cases).predictText] : []);
    return { caseName: `real:${r.name}`, target: 'real', format: 'pbtxt', data: te.encode(text), mode: 'once', mutations };
  }
  if (rng.chance(0.3)) {
    let net = synthNet(rng, corpus.lib);
    const mutations = [`synth ${net.op[net.op.length - 1].type}`];
    if (rng.chance(0.3)) {
      const m = mutateNet(rng, net);
      net = m.net;
      mutations.push(...m.mutations);
    }
    let data;
    try {
      data = corpus.lib.encodeBinary('NetDef', net);
    } catch {
      return makeCase(rng, corpus, weights);
    }
    return { caseName: 'synth', target: 'synth', format: 'pb', data, mode: rng.chance(0.3) ? 'created' : 'once', mutations };
  }
  const c = pickWeighted(rng, cases, weights);
  const mode = rng.chance(0.3) ? 'created' : 'once';
  const donorCase = () => rng.pick(cases);
  const r = rng.float();
  if (r < 0.65) {
    const target = rng.chance(0.7) ? 'predict' : 'init';
    const kind = rng.float();
    if (kind < 0.45) {
      // Decoded, changed, encoded again: valid protobuf with hostile contents.
      const net = target === 'predict' ? c.predictNet : c.initNet;
      const m = mutateNet(rng, net, [donorCase().predictNet, donorCase().initNet]);
      const asText = rng.chance(0.25);
      let data;
      try {
        data = asText ? te.encode(corpus.lib.printTextFormat('NetDef', m.net)) : corpus.lib.encodeBinary('NetDef', m.net);
      } catch {
        return makeCase(rng, corpus, weights);
      }
      return { caseName: c.name, target, format: asText ? 'pbtxt' : 'pb', data, mode, mutations: m.mutations };
    }
    if (kind < 0.65) {
      const text = target === 'predict' ? c.predictText : c.initText;
      const donors = [target === 'predict' ? donorCase().predictText : donorCase().initText];
      const m = mutateText(rng, text, donors);
      return { caseName: c.name, target, format: 'pbtxt', data: te.encode(m.text), mode, mutations: m.mutations };
    }
    const donors = [donorCase()[target], donorCase()[target === 'predict' ? 'init' : 'predict']];
    const m = mutateBinary(rng, c[target], donors);
    return { caseName: c.name, target, format: 'pb', data: m.bytes, mode, mutations: m.mutations };
  }
  const npys = [...c.feeds.map((f, i) => ({ target: `feed:${i}`, bytes: f.bytes })), ...c.expected.map((e, i) => ({ target: `expected:${i}`, bytes: e.bytes }))];
  if (npys.length === 0) return makeCase(rng, corpus, weights);
  // Feeds matter more: they go through the workspace.
  const feeds = npys.filter((n) => n.target.startsWith('feed'));
  const n = feeds.length > 0 && rng.chance(0.7) ? rng.pick(feeds) : rng.pick(npys);
  const m = mutateNpy(rng, n.bytes);
  return { caseName: c.name, target: n.target, format: 'npy', data: m.bytes, mode, mutations: m.mutations };
}

function pickWeighted(rng, items, weights) {
  if (!weights) return rng.pick(items);
  const total = items.reduce((s, it) => s + (weights.get(it.name) ?? 1), 0);
  let x = rng.float() * total;
  for (const it of items) {
    x -= weights.get(it.name) ?? 1;
    if (x < 0) return it;
  }
  return items[items.length - 1];
}

// ---------------------------------------------------------------------------------------------
// Running a case.

function fetchAll(ws, names) {
  for (const name of names) {
    if (!ws.HasBlob(name)) continue;
    try {
      ws.FetchBlob(name);
    } catch (e) {
      if (e instanceof TypeError && /FetchInt8Blob/.test(e.message)) {
        ws.FetchInt8Blob(name);
        ws.FetchInt8BlobRealVal(name);
      } else throw e;
    }
  }
}

/**
 * Runs one case in this process: parse every file (the mutant in place of the original), run the
 * init net, feed, run the predict net (once, or created and run twice), fetch, describe the net
 * (inspect) and print it back to text. Returns {outcome: 'ok' | 'refused', message}; any other
 * exception propagates (a finding). After a refused predict run caused by a mutated feed, the
 * original feeds must run the original net in the same workspace (the workspace stays usable).
 */
export function runCase(lib, corpus, fc, limits = FUZZ_LIMITS) {
  try {
    runPipeline(lib, corpus, fc, limits);
    return { outcome: 'ok' };
  } catch (e) {
    // A Caffe2Error that merely wraps another exception (asCaffe2Error keeps it as `cause`) is a
    // check missing at the source: report the original.
    if (e instanceof lib.Caffe2Error && e.cause !== undefined && !(e.cause instanceof lib.Caffe2Error)) throw e.cause;
    if (e instanceof lib.Caffe2Error) return { outcome: 'refused', message: e.message };
    throw e;
  }
}

function runPipeline(lib, corpus, fc, limits) {
  const td = new TextDecoder();
  if (fc.target === 'real') {
    const net = lib.parseNetDef(fc.data, fc.caseName);
    lib.printTextFormat('NetDef', net);
    lib.formatNetReport(lib.describeNet(net));
    const ws = new lib.Workspace(limits);
    // No weights: create the net over empty blobs for its external inputs; creation checks every op.
    ws.CreateNet({ ...net, name: net.name || 'real' }, true, net.external_input ?? []);
    return;
  }
  if (fc.target === 'synth') {
    const net = lib.parseNetDef(fc.data, 'synth.pb');
    const ws = new lib.Workspace(limits);
    if (fc.mode === 'created') {
      const named = { ...net, name: net.name || 'synth' };
      ws.CreateNet(named, true);
      ws.RunNet(named.name);
      // The created ops froze what they derived from the first run: give the first input another
      // batch and channel count and run again (Caffe2 reuses the stale QNNPACK operators).
      const fill = (net.op ?? []).find((o) => /Fill$/.test(o.type ?? '') && (o.arg ?? []).some((a) => a.name === 'shape'));
      if (fill) ws.RunNetOnce({ name: 'refill', op: [regrown(fill)] });
      ws.RunNet(named.name);
    } else {
      ws.RunNetOnce(net);
    }
    fetchAll(ws, ws.Blobs());
    lib.formatNetReport(lib.describeNet(net));
    return;
  }
  const c = corpus.cases.find((x) => x.name === fc.caseName);
  if (!c) throw new Error(`no golden case ${fc.caseName}`);
  const initBytes = fc.target === 'init' ? fc.data : c.init;
  const predictBytes = fc.target === 'predict' ? fc.data : c.predict;
  if (fc.target.startsWith('expected:')) {
    const e = c.expected[Number(fc.target.slice(9))];
    const t = lib.parseNpy(fc.data, { file: e.file, maxBytes: limits.maxTensorBytes });
    lib.parseNpy(lib.encodeNpy(t));
    return;
  }
  const init = lib.parseNetDef(initBytes, 'init_net.pb');
  const predict = lib.parseNetDef(predictBytes, fc.format === 'pbtxt' ? 'predict_net.pbtxt' : 'predict_net.pb');
  if (fc.format === 'pbtxt') td.decode(fc.data);
  const mutatedFeed = fc.target.startsWith('feed:') ? Number(fc.target.slice(5)) : -1;
  const feeds = c.feeds.map((f, i) => ({ name: f.name, tensor: lib.parseNpy(i === mutatedFeed ? fc.data : f.bytes, { file: f.file, maxBytes: limits.maxTensorBytes }) }));

  if (fc.target === 'init' || fc.target === 'predict') {
    lib.formatNetReport(lib.describeNet(predict, init));
    lib.parseTextFormat('NetDef', lib.printTextFormat('NetDef', predict));
  }
  const ws = new lib.Workspace(limits);
  ws.RunNetOnce(init);
  for (const f of feeds) ws.FeedBlob(f.name, f.tensor);
  const fetch = c.fetch.length ? c.fetch : predict.external_output ?? [];
  try {
    if (fc.mode === 'created') {
      const named = { ...predict, name: predict.name || 'fuzz' };
      ws.CreateNet(named, true);
      ws.RunNet(named.name);
      ws.RunNet(named.name);
    } else {
      ws.RunNetOnce(predict);
    }
    fetchAll(ws, fetch);
  } catch (e) {
    if (mutatedFeed >= 0 && e instanceof lib.Caffe2Error && !c.expectError) {
      // The workspace must still run the original net on the original feeds.
      const original = lib.parseNpy(c.feeds[mutatedFeed].bytes);
      ws.FeedBlob(c.feeds[mutatedFeed].name, original);
      try {
        ws.RunNetOnce(predict);
        fetchAll(ws, fetch);
      } catch (e2) {
        throw new Error(`workspace unusable after a refused run (${e.message}): the original feeds now fail with: ${e2 instanceof Error ? e2.message : String(e2)}`);
      }
    }
    throw e;
  }
}

/** The fill with its first and last dims doubled and its values repeated to match. */
function regrown(fill) {
  const args = (fill.arg ?? []).map((a) => ({ ...a }));
  const shape = args.find((a) => a.name === 'shape');
  const dims = (shape.ints ?? []).map(Number);
  if (dims.length > 0) {
    dims[0] *= 2;
    dims[dims.length - 1] *= 2;
  }
  shape.ints = dims;
  const n = dims.reduce((a, b) => a * b, 1);
  const values = args.find((a) => a.name === 'values');
  if (values && Number.isSafeInteger(n) && n >= 0 && n <= 1 << 20) {
    const repeat = (arr) => Array.from({ length: n }, (_, k) => arr[k % Math.max(1, arr.length)] ?? 0);
    if (values.s) values.s = Uint8Array.from(repeat(values.s));
    if (values.ints) values.ints = repeat(values.ints);
    if (values.floats) values.floats = repeat(values.floats);
  }
  return { ...fill, arg: args };
}

/** A stable name for a failure: its type, its message with numbers blanked, and where it was thrown. */
export function failureSignature(e) {
  if (!(e instanceof Error)) return `non-Error: ${String(e).slice(0, 80)}`;
  const msg = e.message.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"S"').slice(0, 120);
  const frame = (e.stack ?? '').split('\n').slice(1).find((l) => /(src|ops)[\\/]/.test(l)) ?? '';
  const where = /([\w-]+\.(?:ts|js)):\d+/.exec(frame)?.[1] ?? '';
  return `${e.constructor?.name ?? 'Error'}: ${msg}${where ? ` @ ${where}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Delta debugging: remove chunks of the input while the failure persists.

export async function minimise(data, stillFails, { deadline = Infinity, maxTrials = 2000 } = {}) {
  let cur = data;
  let trials = 0;
  let chunk = Math.max(1, Math.floor(cur.length / 2));
  while (chunk >= 1 && Date.now() < deadline && trials < maxTrials) {
    let removed = false;
    for (let at = 0; at + chunk <= cur.length && Date.now() < deadline && trials < maxTrials; ) {
      const candidate = concat(cur.subarray(0, at), cur.subarray(at + chunk));
      trials++;
      if (await stillFails(candidate)) {
        cur = candidate;
        removed = true;
      } else {
        at += chunk;
      }
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return { data: cur, trials };
}

/**
 * Structure-aware reduction of a net (.pb or .pbtxt) before the byte-level pass: decode it, then
 * drop ops, arguments, optional fields and list entries one at a time while the failure persists.
 * Returns the input unchanged when it does not decode or its re-encoded form no longer fails.
 */
export async function minimiseNet(lib, data, format, stillFails, { deadline = Infinity, maxTrials = 2000 } = {}) {
  let net;
  try {
    net = lib.parseNetDef(data);
  } catch {
    return { data, trials: 0 };
  }
  const encode = (n) => (format === 'pbtxt' ? new TextEncoder().encode(lib.printTextFormat('NetDef', n)) : lib.encodeBinary('NetDef', n));
  let best = data;
  let trials = 0;
  const attempt = async (candidate) => {
    if (Date.now() >= deadline || trials >= maxTrials) return false;
    let bytes;
    try {
      bytes = encode(candidate);
    } catch {
      return false;
    }
    trials++;
    if (!(await stillFails(bytes))) return false;
    net = candidate;
    best = bytes;
    return true;
  };
  if (!(await attempt(net))) return { data, trials };
  const variants = function* (n) {
    const ops = n.op ?? [];
    for (let i = ops.length - 1; i >= 0; i--) yield (c) => c.op.splice(i, 1);
    for (const key of ['external_input', 'external_output', 'name', 'type', 'device_option', 'arg', 'num_workers']) if (n[key] !== undefined) yield (c) => delete c[key];
    for (let i = 0; i < ops.length; i++) {
      const args = ops[i].arg ?? [];
      for (let j = args.length - 1; j >= 0; j--) yield (c) => c.op[i].arg.splice(j, 1);
      for (const key of ['name', 'engine', 'device_option', 'control_input', 'debug_info', 'domain', 'is_gradient_op', 'op_version']) if (ops[i][key] !== undefined) yield (c) => delete c.op[i][key];
      for (const list of ['input', 'output']) for (let j = (ops[i][list]?.length ?? 0) - 1; j >= 0; j--) yield (c) => c.op[i][list].splice(j, 1);
      for (let j = 0; j < args.length; j++) {
        for (const key of ['ints', 'floats', 'strings']) {
          const len = args[j][key]?.length ?? 0;
          if (len > 1) yield (c) => (c.op[i].arg[j][key] = c.op[i].arg[j][key].slice(0, Math.ceil(len / 2)));
        }
      }
    }
  };
  let progress = true;
  while (progress && Date.now() < deadline && trials < maxTrials) {
    progress = false;
    for (const change of variants(net)) {
      const candidate = structuredClone(net);
      try {
        change(candidate);
      } catch {
        continue;
      }
      if (await attempt(candidate)) {
        progress = true;
        break;
      }
    }
  }
  return { data: best, trials };
}

// ---------------------------------------------------------------------------------------------
// Child process: runs cases sent by the parent.

async function loadLib() {
  const entry = join(PROJECT_ROOT, 'dist', 'src', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: the fuzzer runs the built library, so run \`npm run build\` first`);
  return import(pathToFileURL(entry).href);
}

async function childMain() {
  const lib = await loadLib();
  const corpus = loadCorpus(lib);
  process.on('message', (msg) => {
    const fc = { ...msg.fc, data: new Uint8Array(msg.fc.data) };
    let reply;
    try {
      const r = runCase(lib, corpus, fc, msg.limits);
      reply = { id: msg.id, outcome: r.outcome };
    } catch (e) {
      reply = { id: msg.id, outcome: 'bug', signature: failureSignature(e), message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
    }
    process.send(reply);
  });
  process.send({ ready: true });
}

/** A child process that runs cases one at a time, killed and replaced on a hang, crash or memory overrun. */
class Runner {
  constructor({ timeoutMs, memoryMb, rssMb }) {
    this.timeoutMs = timeoutMs;
    this.memoryMb = memoryMb;
    this.rssMb = rssMb;
    this.child = undefined;
    this.nextId = 1;
    this.restarts = 0;
  }

  async start() {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: [`--max-old-space-size=${this.memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderrTail = '';
    child.stderr.on('data', (d) => {
      child.stderrTail = (child.stderrTail + d.toString()).slice(-2000);
    });
    await new Promise((res, rej) => {
      const onMsg = (m) => {
        if (m && m.ready) {
          child.off('message', onMsg);
          res();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => rej(new Error(`fuzz child exited during startup (code ${code}): ${child.stderrTail}`)));
    });
    child.removeAllListeners('exit');
    this.child = child;
  }

  rssOf(pid) {
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
      return (Number(statm[1]) * 4096) / (1 << 20);
    } catch {
      return 0;
    }
  }

  /** {outcome: 'ok'|'refused'|'bug'|'hang'|'crash'|'memory', ...} */
  async run(fc, limits, timeoutMs = this.timeoutMs) {
    if (!this.child) await this.start();
    const child = this.child;
    const id = this.nextId++;
    return new Promise((resolvePromise) => {
      let done = false;
      const finish = (r, kill) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(watch);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (kill) {
          child.kill('SIGKILL');
          this.child = undefined;
          this.restarts++;
        }
        resolvePromise(r);
      };
      const onMsg = (m) => {
        if (m && m.id === id) finish(m, false);
      };
      const onExit = (code, signal) => {
        this.child = undefined;
        this.restarts++;
        const tail = child.stderrTail;
        const oom = /heap limit|out of memory|Allocation failed/i.test(tail);
        finish({ outcome: oom ? 'memory' : 'crash', signature: oom ? 'out of memory (V8 heap)' : `child died (code ${code}, signal ${signal})`, message: tail.slice(-600) }, false);
      };
      const timer = setTimeout(() => finish({ outcome: 'hang', signature: `no answer within ${timeoutMs} ms`, message: '' }, true), timeoutMs);
      const watch = setInterval(() => {
        const rss = this.rssOf(child.pid);
        if (rss > this.rssMb) finish({ outcome: 'memory', signature: `resident memory over ${this.rssMb} MB`, message: `rss ${Math.round(rss)} MB` }, true);
      }, 100);
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send({ id, fc: { ...fc, data: fc.data }, limits });
    });
  }

  stop() {
    if (this.child) this.child.kill('SIGKILL');
    this.child = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: generate, run, minimise, report.

function parseArgs(argv) {
  const opts = { seconds: 60, seed: Date.now() % 1000000, out: join(tmpdir(), 'caffe2-int8-fuzz-findings'), timeout: 20000, memory: 768, rss: 1536, minimiseSeconds: 120, replay: undefined };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const v = () => {
      const x = argv[++k];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--seconds') opts.seconds = Number(v());
    else if (a === '--seed') opts.seed = Number(v());
    else if (a === '--out') opts.out = resolve(v());
    else if (a === '--timeout') opts.timeout = Number(v());
    else if (a === '--memory') opts.memory = Number(v());
    else if (a === '--rss') opts.rss = Number(v());
    else if (a === '--minimise-seconds') opts.minimiseSeconds = Number(v());
    else if (a === '--replay') opts.replay = resolve(v());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run fuzz -- [--seconds N] [--seed S] [--out DIR] [--timeout MS] [--memory MB] [--rss MB] [--minimise-seconds N] [--replay FINDING_DIR]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function sameFailure(a, b) {
  if (a.outcome !== b.outcome) return false;
  // Hangs and memory overruns have no finer signature than their kind.
  return a.outcome === 'bug' ? a.signature === b.signature : true;
}

async function saveFinding(opts, fc, result, minimised, trials) {
  const id = createHash('sha1').update(`${result.outcome}|${result.signature}`).digest('hex').slice(0, 10);
  const dir = join(opts.out, `${result.outcome}-${id}`);
  mkdirSync(dir, { recursive: true });
  const ext = fc.format === 'npy' ? 'npy' : fc.format === 'pbtxt' ? 'pbtxt' : 'pb';
  writeFileSync(join(dir, `input.${ext}`), minimised);
  writeFileSync(join(dir, `original.${ext}`), fc.data);
  writeFileSync(
    join(dir, 'finding.json'),
    `${JSON.stringify({ outcome: result.outcome, signature: result.signature, message: result.message, stack: result.stack, caseName: fc.caseName, target: fc.target, format: fc.format, mode: fc.mode, mutations: fc.mutations, originalBytes: fc.data.length, minimisedBytes: minimised.length, minimiseTrials: trials, replay: `node scripts/fuzz.mjs --replay ${dir}` }, null, 1)}\n`,
  );
  return dir;
}

async function replay(opts) {
  const meta = JSON.parse(readFileSync(join(opts.replay, 'finding.json'), 'utf8'));
  const file = readdirSync(opts.replay).find((f) => f.startsWith('input.'));
  const fc = { caseName: meta.caseName, target: meta.target, format: meta.format, mode: meta.mode, data: new Uint8Array(readFileSync(join(opts.replay, file))) };
  const lib = await loadLib();
  const corpus = loadCorpus(lib);
  const t0 = Date.now();
  const r = runCase(lib, corpus, fc);
  process.stdout.write(`${r.outcome} in ${Date.now() - t0} ms${r.message ? `: ${r.message}` : ''}\n`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.replay) return replay(opts);
  const lib = await loadLib();
  const corpus = loadCorpus(lib);
  const rng = createRng(opts.seed);

  // Baseline: how long each unmutated case takes; slow ones are picked less often.
  const weights = new Map();
  for (const c of corpus.cases) {
    const t0 = Date.now();
    try {
      runCase(lib, corpus, { caseName: c.name, target: 'predict', format: 'pb', data: c.predict, mode: 'once' });
    } catch {
      // reported when a mutant hits it
    }
    const ms = Date.now() - t0;
    weights.set(c.name, ms > 500 ? 0.05 : ms > 100 ? 0.3 : 1);
  }

  const runner = new Runner({ timeoutMs: opts.timeout, memoryMb: opts.memory, rssMb: opts.rss });
  const started = Date.now();
  const deadline = started + opts.seconds * 1000;
  const counts = { ok: 0, refused: 0, bug: 0, hang: 0, crash: 0, memory: 0 };
  const byFormat = {};
  const findings = new Map();
  let tried = 0;
  let lastReport = started;
  process.stdout.write(`fuzzing for ${opts.seconds} s, seed ${opts.seed}, ${corpus.cases.length} golden cases, ${corpus.realNets.length} real nets; findings go to ${opts.out}\n`);
  while (Date.now() < deadline) {
    const fc = makeCase(rng, corpus, weights);
    const r = await runner.run(fc, FUZZ_LIMITS);
    tried++;
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    byFormat[fc.format] = (byFormat[fc.format] ?? 0) + 1;
    if (r.outcome !== 'ok' && r.outcome !== 'refused') {
      // A hang or memory overrun has no stack: tell them apart by what the case ran (a
      // synthesised net names its op, a mutated golden net its case).
      if (r.outcome !== 'bug') r.signature = `${r.signature} (${fc.caseName === 'synth' ? fc.mutations?.[0] : fc.caseName})`;
      const key = `${r.outcome}|${r.signature}`;
      const f = findings.get(key);
      if (f) {
        f.count++;
      } else {
        process.stdout.write(`\n[${Math.round((Date.now() - started) / 1000)} s] ${r.outcome}: ${r.signature} (${fc.caseName} ${fc.target} ${fc.format}, ${fc.mutations?.join('+')})\n  ${(r.message ?? '').split('\n')[0].slice(0, 300)}\n`);
        // Hangs are minimised with a shorter clock: each trial may run to the timeout.
        const trialTimeout = r.outcome === 'hang' ? Math.min(opts.timeout, 5000) : opts.timeout;
        const stillFails = async (candidate) => sameFailure(await runner.run({ ...fc, data: candidate }, FUZZ_LIMITS, trialTimeout), r);
        const budget = { deadline: Date.now() + opts.minimiseSeconds * 1000, maxTrials: r.outcome === 'hang' || r.outcome === 'memory' ? 40 : 3000 };
        // Nets first by structure (ops, arguments, fields), then byte by byte.
        const structural = fc.format === 'npy' ? { data: fc.data, trials: 0 } : await minimiseNet(lib, fc.data, fc.format, stillFails, budget);
        const bytewise = await minimise(structural.data, stillFails, { ...budget, maxTrials: budget.maxTrials - structural.trials });
        const min = { data: bytewise.data, trials: structural.trials + bytewise.trials };
        const dir = await saveFinding(opts, fc, r, min.data, min.trials);
        process.stdout.write(`  minimised ${fc.data.length} -> ${min.data.length} bytes in ${min.trials} trials: ${dir}\n`);
        findings.set(key, { count: 1, dir, signature: r.signature, outcome: r.outcome });
      }
    }
    if (Date.now() - lastReport > 30000) {
      lastReport = Date.now();
      process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${tried} inputs: ${JSON.stringify(counts)}\n`);
    }
  }
  runner.stop();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\ndone: ${seconds.toFixed(0)} s, ${tried} inputs (${(tried / seconds).toFixed(1)}/s), seed ${opts.seed}\n`);
  process.stdout.write(`outcomes: ${JSON.stringify(counts)}\nformats: ${JSON.stringify(byFormat)}\nchild restarts: ${runner.restarts}\n`);
  process.stdout.write(`distinct findings: ${findings.size}\n`);
  for (const f of findings.values()) process.stdout.write(`  ${f.outcome} x${f.count}: ${f.signature}\n    ${f.dir}\n`);
  process.exitCode = findings.size > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  if (process.argv.includes('--child')) {
    childMain();
  } else {
    main().catch((e) => {
      process.stderr.write(`fuzz: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 2;
    });
  }
}
