// NumPy .npy files: read format versions 1.0, 2.0 and 3.0; write 1.0 (2.0 when the header does
// not fit in 1.0's 16-bit length). Browser-safe: works on Uint8Array only, no Node modules.
//
// Layout: magic "\x93NUMPY", major and minor version bytes, the header length (uint16 LE in 1.0,
// uint32 LE in 2.0/3.0), the header (latin-1 in 1.0/2.0, UTF-8 in 3.0): a Python dict literal
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } padded with spaces and
// ending in '\n', then the raw C-order element data.
//
// Every size read from a file is validated before anything is allocated from it.
import { Caffe2Error, type ErrorContext } from './errors.js';
import { checkAllocation, DEFAULT_MAX_TENSOR_BYTES, Tensor, type DType, type NumericData } from './tensor.js';

export interface NpyReadOptions {
  /** Named in error messages. */
  file?: string;
  /** Largest tensor accepted, in bytes; defaults to DEFAULT_MAX_TENSOR_BYTES. */
  maxBytes?: number;
}

/** Headers longer than this are refused as corrupt (numeric headers are at most a few KiB). */
export const MAX_NPY_HEADER_BYTES = 1 << 20;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64; // numpy pads the header so that the data starts on a 64-byte boundary
const GROWTH_AXIS_DIGITS = 21; // numpy leaves room in the header for shape[0] to grow to 21 digits
const MAX_LITERAL_DEPTH = 16;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(ctx: ErrorContext): void {
  if (!LITTLE_ENDIAN_HOST) throw new Caffe2Error('.npy support needs a little-endian host', ctx, 'unsupported');
}

// ---------------------------------------------------------------------------------------------
// dtype descriptors

type NumericDType = Exclude<DType, 'string'>;

interface DescrInfo {
  dtype: NumericDType;
  itemSize: number;
}

/** Kind letter + item size -> dtype. */
const DESCR_TYPES: Record<string, DescrInfo> = {
  f2: { dtype: 'float16', itemSize: 2 },
  f4: { dtype: 'float32', itemSize: 4 },
  f8: { dtype: 'float64', itemSize: 8 },
  i1: { dtype: 'int8', itemSize: 1 },
  u1: { dtype: 'uint8', itemSize: 1 },
  i2: { dtype: 'int16', itemSize: 2 },
  u2: { dtype: 'uint16', itemSize: 2 },
  i4: { dtype: 'int32', itemSize: 4 },
  i8: { dtype: 'int64', itemSize: 8 },
  b1: { dtype: 'bool', itemSize: 1 },
};

/** What we write, as numpy spells it: '|' for one-byte types, '<' otherwise. */
const DESCR_OF: Record<NumericDType, string> = {
  float16: '<f2', float32: '<f4', float64: '<f8', int8: '|i1', uint8: '|u1',
  int16: '<i2', uint16: '<u2', int32: '<i4', int64: '<i8', bool: '|b1',
};

const UNSUPPORTED_KINDS: Record<string, string> = {
  O: 'object arrays (pickled Python objects)',
  U: 'unicode string arrays',
  S: 'byte string arrays',
  a: 'byte string arrays',
  V: 'void / structured arrays',
  M: 'datetime64 arrays',
  m: 'timedelta64 arrays',
  c: 'complex arrays',
};

function parseDescr(descr: string, ctx: ErrorContext): DescrInfo {
  const m = /^([<>=|!])([A-Za-z])(\d+)?(\[.*\])?$/.exec(descr);
  if (!m) throw invalid(`unsupported dtype descriptor '${descr}'`, ctx);
  const order = m[1]!;
  const kind = m[2]!;
  const size = m[3];
  const unit = m[4];
  const what = UNSUPPORTED_KINDS[kind];
  if (what !== undefined) throw invalid(`dtype '${descr}': ${what} are not supported`, ctx);
  const info = unit === undefined && size !== undefined ? DESCR_TYPES[kind + size] : undefined;
  if (info === undefined) throw invalid(`unsupported dtype descriptor '${descr}'`, ctx);
  if ((order === '>' || order === '!') && info.itemSize > 1) {
    throw invalid(`dtype '${descr}' is big-endian; big-endian data is not supported (save it as '<${kind}${size}')`, ctx);
  }
  // '|' means "byte order not applicable", which only holds for one-byte types. For those, any
  // byte order mark (even '>') describes the same bytes, as numpy itself treats them.
  if (order === '|' && info.itemSize > 1) {
    throw invalid(`dtype '${descr}' has no byte order ('|') but items of ${info.itemSize} bytes`, ctx);
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// A strict parser for the Python literal subset found in .npy headers (no eval).

type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: bigint; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Array<[PyValue, PyValue]> };

class LiteralParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly ctx: ErrorContext,
    /** Python 2 numpy wrote longs as "3L"; numpy accepts that suffix in 1.0/2.0 headers. */
    private readonly allowLongSuffix: boolean,
  ) {}

  /** The whole text: one value, surrounded by whitespace only. */
  parseAll(): PyValue {
    this.skipSpace();
    const v = this.value(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeAt()} after the header dict`);
    return v;
  }

  private fail(msg: string): never {
    throw invalid(`malformed .npy header at offset ${this.pos}: ${msg}`, this.ctx);
  }

  private describeAt(): string {
    return this.pos < this.text.length ? JSON.stringify(this.text[this.pos]) : 'end of header';
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_LITERAL_DEPTH) this.fail('nested too deeply');
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of header');
    if (c === "'" || c === '"') return this.string();
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(depth, ')');
    if (c === '[') return this.sequence(depth, ']');
    if (/[0-9+\-.]/.test(c)) return this.number();
    if (/[A-Za-z_]/.test(c)) return this.name();
    this.fail(`unexpected ${this.describeAt()}`);
  }

  private string(): PyValue {
    const quote = this.text[this.pos++]!;
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return { kind: 'str', value: out };
      if (c === '\\') {
        const e = this.text[this.pos++];
        const escapes: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
        const r = e === undefined ? undefined : escapes[e];
        if (r === undefined) this.fail(`unsupported escape in string`);
        out += r;
      } else {
        out += c;
      }
    }
  }

  private number(): PyValue {
    const start = this.pos;
    if (this.text[this.pos] === '+' || this.text[this.pos] === '-') this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      const prev = this.text[this.pos - 1];
      if (/[0-9A-Za-z_.]/.test(c) || ((c === '+' || c === '-') && (prev === 'e' || prev === 'E'))) this.pos++;
      else break;
    }
    let text = this.text.slice(start, this.pos);
    if (this.allowLongSuffix && /^[+-]?\d+[lL]$/.test(text)) text = text.slice(0, -1);
    if (/^[+-]?(0|[1-9][0-9]*)$/.test(text)) return { kind: 'int', value: BigInt(text), text };
    if (/^[+-]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][+-]?\d+)?$/.test(text)) return { kind: 'float', text };
    this.pos = start;
    this.fail(`invalid number ${JSON.stringify(text)}`);
  }

  private name(): PyValue {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 64))!;
    const word = m[0];
    if (word === 'True' || word === 'False') {
      this.pos += word.length;
      return { kind: 'bool', value: word === 'True' };
    }
    if (word === 'None') {
      this.pos += word.length;
      return { kind: 'none' };
    }
    this.fail(`unexpected name ${JSON.stringify(word)}`);
  }

  /** Tuple or list. "(x)" without a comma is a parenthesised value in Python, not a tuple. */
  private sequence(depth: number, close: ')' | ']'): PyValue {
    this.pos++; // opening bracket
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      items.push(this.value(depth + 1));
      this.skipSpace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.text[this.pos] !== close) {
        this.fail(`expected ',' or '${close}', found ${this.describeAt()}`);
      }
    }
    if (close === ']') return { kind: 'list', items };
    if (items.length === 1 && !sawComma) return items[0]!;
    return { kind: 'tuple', items };
  }

  private dict(depth: number): PyValue {
    this.pos++; // '{'
    const entries: Array<[PyValue, PyValue]> = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'dict', entries };
      }
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':', found ${this.describeAt()}`);
      this.pos++;
      this.skipSpace();
      entries.push([key, this.value(depth + 1)]);
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail(`expected ',' or '}', found ${this.describeAt()}`);
    }
  }
}

function pyRepr(v: PyValue): string {
  switch (v.kind) {
    case 'str': return `'${v.value}'`;
    case 'int': return v.text;
    case 'float': return v.text;
    case 'bool': return v.value ? 'True' : 'False';
    case 'none': return 'None';
    case 'tuple': return `(${v.items.map(pyRepr).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list': return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'dict': return `{${v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
}

interface NpyHeader {
  descr: DescrInfo;
  dims: number[];
}

const HEADER_KEYS = ['descr', 'fortran_order', 'shape'] as const;

function parseHeaderDict(text: string, ctx: ErrorContext, allowLongSuffix: boolean): NpyHeader {
  const root = new LiteralParser(text, ctx, allowLongSuffix).parseAll();
  if (root.kind !== 'dict') throw invalid('.npy header is not a dict literal', ctx);
  const fields = new Map<string, PyValue>();
  for (const [k, v] of root.entries) {
    if (k.kind !== 'str') throw invalid(`.npy header has a non-string key ${pyRepr(k)}`, ctx);
    if (!(HEADER_KEYS as readonly string[]).includes(k.value)) throw invalid(`.npy header has an unexpected key '${k.value}'`, ctx);
    if (fields.has(k.value)) throw invalid(`.npy header repeats the key '${k.value}'`, ctx);
    fields.set(k.value, v);
  }
  for (const key of HEADER_KEYS) if (!fields.has(key)) throw invalid(`.npy header lacks the key '${key}'`, ctx);

  const descr = fields.get('descr')!;
  if (descr.kind === 'list') throw invalid(`structured dtypes are not supported (descr ${pyRepr(descr)})`, ctx);
  if (descr.kind !== 'str') throw invalid(`.npy header 'descr' is not a string: ${pyRepr(descr)}`, ctx);
  const info = parseDescr(descr.value, ctx);

  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') throw invalid(`.npy header 'fortran_order' is not True or False: ${pyRepr(fortran)}`, ctx);
  if (fortran.value) throw invalid('fortran_order: True (column-major data) is not supported; save a C-ordered array', ctx);

  const shape = fields.get('shape')!;
  if (shape.kind !== 'tuple') throw invalid(`.npy header 'shape' is not a tuple: ${pyRepr(shape)}`, ctx);
  const dims = shape.items.map((d) => {
    if (d.kind !== 'int') throw invalid(`.npy shape ${pyRepr(shape)} has a dimension that is not an integer: ${pyRepr(d)}`, ctx);
    if (d.value < 0n) throw invalid(`.npy shape ${pyRepr(shape)} has a negative dimension ${d.text}`, ctx);
    if (d.value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`.npy shape ${pyRepr(shape)} has a dimension too large: ${d.text}`, ctx);
    return Number(d.value);
  });
  return { descr: info, dims };
}

// ---------------------------------------------------------------------------------------------
// Reading

function invalid(reason: string, ctx: ErrorContext): Caffe2Error {
  return new Caffe2Error(reason, ctx, 'invalid');
}

function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(i + CHUNK, bytes.length)));
  }
  return s;
}

function decodeUtf8(bytes: Uint8Array, ctx: ErrorContext): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('.npy 3.0 header is not valid UTF-8', ctx);
  }
}

/** Copies `n` elements from a possibly unaligned byte range into a fresh typed array. */
function copyElements(dtype: NumericDType, src: Uint8Array, n: number): NumericData {
  const buf = new ArrayBuffer(src.length);
  new Uint8Array(buf).set(src);
  switch (dtype) {
    case 'float32': return new Float32Array(buf, 0, n);
    case 'float64': return new Float64Array(buf, 0, n);
    case 'int8': return new Int8Array(buf, 0, n);
    case 'uint8': case 'bool': return new Uint8Array(buf, 0, n);
    case 'int16': return new Int16Array(buf, 0, n);
    case 'uint16': case 'float16': return new Uint16Array(buf, 0, n);
    case 'int32': return new Int32Array(buf, 0, n);
    case 'int64': return new BigInt64Array(buf, 0, n);
  }
}

/** Parses a .npy file. Throws a Caffe2Error (kind 'invalid') naming options.file on any defect. */
export function parseNpy(bytes: Uint8Array, options: NpyReadOptions = {}): Tensor {
  const ctx: ErrorContext = options.file !== undefined ? { file: options.file } : {};
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  assertLittleEndianHost(ctx);

  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw invalid('not a .npy file (bad magic; expected "\\x93NUMPY")', ctx);
  }
  if (bytes.length < 8) throw invalid('.npy file ends inside its version field', ctx);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw invalid(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`, ctx);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart) throw invalid('.npy file ends inside its header length field', ctx);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw invalid(`.npy header length ${headerLen} is absurd (limit ${MAX_NPY_HEADER_BYTES} bytes)`, ctx);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw invalid(`.npy header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`, ctx);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = major === 3 ? decodeUtf8(headerBytes, ctx) : decodeLatin1(headerBytes);
  const { descr, dims } = parseHeaderDict(headerText, ctx, major < 3);

  // Size checks before any allocation: checkAllocation validates the element count and the byte
  // size against maxBytes using only arithmetic.
  let n: number;
  try {
    n = checkAllocation(descr.dtype, dims, maxBytes);
  } catch (e) {
    throw e instanceof Caffe2Error ? e.withContext(ctx) : e;
  }
  const dataBytes = n * descr.itemSize;
  const available = bytes.length - dataStart;
  if (available < dataBytes) {
    throw invalid(`.npy data is truncated: shape (${dims.join(', ')}) of ${descr.dtype} needs ${dataBytes} bytes, the file holds ${available}`, ctx);
  }
  if (available > dataBytes) {
    throw invalid(`.npy file has ${available - dataBytes} bytes of extra data after the ${dataBytes} bytes that shape (${dims.join(', ')}) of ${descr.dtype} needs`, ctx);
  }

  const data = copyElements(descr.dtype, bytes.subarray(dataStart), n);
  if (descr.dtype === 'bool') {
    const u8 = data as Uint8Array;
    for (let i = 0; i < u8.length; i++) {
      if (u8[i]! > 1) throw invalid(`.npy bool element ${i} holds byte ${u8[i]!}, not 0 or 1`, ctx);
    }
  }
  return new Tensor(descr.dtype, dims, data);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Python's repr of a tuple of ints. */
function shapeRepr(dims: readonly number[]): string {
  if (dims.length === 1) return `(${dims[0]},)`;
  return `(${dims.join(', ')})`;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Encodes a numeric or bool tensor as a .npy file, byte for byte as numpy's np.save writes it:
 * format 1.0 (2.0 if the header is over 65535 bytes), keys sorted, spare room for shape[0] to grow
 * to 21 digits, space padding so the data starts at a multiple of 64 bytes, then a '\n'.
 */
export function encodeNpy(t: Tensor): Uint8Array {
  assertLittleEndianHost({});
  if (t.dtype === 'string') throw new Caffe2Error('cannot save a string tensor as .npy (only numeric and bool dtypes)', {}, 'unsupported');
  const dtype = t.dtype;
  const data = t.data as NumericData;

  let dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeRepr(t.dims)}, }`;
  if (t.dims.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_DIGITS - String(t.dims[0]).length));

  // The header text plus its final '\n', padded (with 1..64 spaces, as numpy does) so that
  // magic + version + length field + header is a multiple of ALIGN. Version 1.0 has a 16-bit
  // length field; 2.0 (32-bit) is used only when the header does not fit.
  const paddedLength = (prefixLen: number): number => {
    const unpadded = dict.length + 1;
    return unpadded + ALIGN - ((prefixLen + unpadded) % ALIGN);
  };
  const major = paddedLength(10) <= 0xffff ? 1 : 2;
  const prefixLen = major === 1 ? 10 : 12;
  const headerLen = paddedLength(prefixLen);
  const pad = headerLen - dict.length - 1;
  const header = latin1Bytes(dict + ' '.repeat(pad) + '\n');

  const payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(prefixLen + headerLen + payload.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(header, prefixLen);
  out.set(payload, prefixLen + headerLen);
  if (dtype === 'bool') {
    const start = prefixLen + headerLen;
    for (let i = start; i < out.length; i++) out[i] = out[i] ? 1 : 0;
  }
  return out;
}
