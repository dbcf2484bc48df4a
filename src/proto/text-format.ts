// Protobuf text format (.pbtxt) for Caffe2's messages: a reader and a writer driven by the
// protobufjs reflection of proto/caffe2.proto. Both work on the same plain objects as
// decodeBinary / encodeBinary (see types.ts): only the fields present are set, 64-bit integers
// are numbers when safe and bigints otherwise, bytes are Uint8Arrays, enums are numbers.
//
// Browser-safe: no Node-only modules here.
import protobuf from 'protobufjs';
import { Caffe2Error } from '../errors.js';
import { messageType } from './schema.js';
import type { MessageName } from './types.js';

/** Sub-messages may nest at most this deep (the top-level message is depth 0). */
export const MAX_TEXT_FORMAT_DEPTH = 100;

// ---------------------------------------------------------------------------------------------
// Field descriptions, computed once per message type.

type ScalarKind = 'double' | 'float' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string' | 'bytes';

interface FieldInfo {
  readonly name: string;
  readonly id: number;
  readonly repeated: boolean;
  readonly required: boolean;
  readonly kind: ScalarKind | 'enum' | 'message';
  readonly enumType?: protobuf.Enum;
  readonly messageType?: protobuf.Type;
}

interface TypeInfo {
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, FieldInfo>;
  /** Fields in field-number order (the order the printer writes them). */
  readonly byNumber: readonly FieldInfo[];
}

const SCALAR_KINDS: Record<string, ScalarKind> = {
  double: 'double',
  float: 'float',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  bool: 'bool',
  string: 'string',
  bytes: 'bytes',
};

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfos.get(type);
  if (info) return info;
  const byName = new Map<string, FieldInfo>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const rt = field.resolvedType;
    let fi: FieldInfo;
    const common = { name: field.name, id: field.id, repeated: field.repeated, required: (field as protobuf.IField).rule === 'required' || field.required };
    if (rt instanceof protobuf.Type) fi = { ...common, kind: 'message', messageType: rt };
    else if (rt instanceof protobuf.Enum) fi = { ...common, kind: 'enum', enumType: rt };
    else {
      const kind = SCALAR_KINDS[field.type];
      if (kind === undefined) throw new Caffe2Error(`text format: unsupported field type ${field.type} of ${field.fullName}`, {}, 'unsupported');
      fi = { ...common, kind };
    }
    byName.set(field.name, fi);
  }
  const byNumber = [...byName.values()].sort((a, b) => a.id - b.id);
  info = { fullName: type.fullName.replace(/^\./, ''), byName, byNumber };
  typeInfos.set(type, info);
  return info;
}

// ---------------------------------------------------------------------------------------------
// Tokens.

type TokenKind = 'ident' | 'int' | 'float' | 'string' | 'symbol' | 'eof';

interface Token {
  readonly kind: TokenKind;
  /** Source text (for strings: empty; the decoded bytes are in `bytes`). */
  readonly text: string;
  readonly line: number;
  readonly col: number;
  readonly bytes?: Uint8Array;
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'string':
      return 'a string';
    case 'symbol':
      return `'${t.text}'`;
    default:
      return t.text.length > 40 ? `"${t.text.slice(0, 40)}..."` : `"${t.text}"`;
  }
}

/** A growable byte buffer (string literal contents). */
class ByteSink {
  private buf = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }

  /** Appends the UTF-8 encoding of a code point (lone surrogates become U+FFFD). */
  pushCodePoint(cp: number): void {
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) this.push(cp);
    else if (cp < 0x800) {
      this.push(0xc0 | (cp >> 6));
      this.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      this.push(0xe0 | (cp >> 12));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    } else {
      this.push(0xf0 | (cp >> 18));
      this.push(0x80 | ((cp >> 12) & 0x3f));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    }
  }

  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  '"': 0x22,
  "'": 0x27,
  '\\': 0x5c,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  '?': 0x3f,
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-']);

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;
  private readonly sink = new ByteSink();

  constructor(
    private readonly src: string,
    private readonly file: string | undefined,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = this.lineStart = 1; // byte-order mark
  }

  fail(line: number, col: number, reason: string): never {
    throw new Caffe2Error(`pbtxt line ${line}, column ${col}: ${reason}`, this.file === undefined ? {} : { file: this.file }, 'invalid');
  }

  failAt(t: Token, reason: string): never {
    return this.fail(t.line, t.col, reason);
  }

  peek(): Token {
    if (this.peeked === undefined) this.peeked = this.lex();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** Consumes the next token if it is the given symbol. */
  trySymbol(sym: string): boolean {
    const t = this.peek();
    if (t.kind === 'symbol' && t.text === sym) {
      this.peeked = undefined;
      return true;
    }
    return false;
  }

  private skipSpaceAndComments(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        this.pos++;
      } else if (c === 35) {
        // '#' comment: to the end of the line
        while (this.pos < s.length && s.charCodeAt(this.pos) !== 10) this.pos++;
      } else {
        return;
      }
    }
  }

  private lex(): Token {
    this.skipSpaceAndComments();
    const s = this.src;
    const line = this.line;
    const col = this.pos - this.lineStart + 1;
    if (this.pos >= s.length) return { kind: 'eof', text: '', line, col };
    const start = this.pos;
    const c = s.charCodeAt(start);
    if (isIdentStart(c)) {
      let p = start + 1;
      while (p < s.length && isIdentPart(s.charCodeAt(p))) p++;
      this.pos = p;
      return { kind: 'ident', text: s.slice(start, p), line, col };
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(start + 1)))) return this.lexNumber(line, col);
    if (c === 34 || c === 39) return this.lexString(c, line, col);
    const ch = s[start] as string;
    if (SYMBOLS.has(ch)) {
      this.pos++;
      return { kind: 'symbol', text: ch, line, col };
    }
    const cp = s.codePointAt(start) as number;
    const shown = cp >= 0x20 && cp < 0x7f ? `'${String.fromCodePoint(cp)}'` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    return this.fail(line, col, `unexpected character ${shown}`);
  }

  private lexNumber(line: number, col: number): Token {
    const s = this.src;
    const start = this.pos;
    let p = start;
    let isFloat = false;
    const c1 = s.charCodeAt(p + 1);
    if (s.charCodeAt(p) === 48 && (c1 === 120 || c1 === 88)) {
      p += 2;
      const digits = p;
      while (p < s.length && isHexDigit(s.charCodeAt(p))) p++;
      if (p === digits) this.fail(line, col, `invalid number "${s.slice(start, p)}": hex digits expected`);
    } else {
      while (p < s.length && isDigit(s.charCodeAt(p))) p++;
      if (s.charCodeAt(p) === 46) {
        isFloat = true;
        p++;
        while (p < s.length && isDigit(s.charCodeAt(p))) p++;
      }
      const e = s.charCodeAt(p);
      if (e === 101 || e === 69) {
        isFloat = true;
        p++;
        const sign = s.charCodeAt(p);
        if (sign === 43 || sign === 45) p++;
        if (!isDigit(s.charCodeAt(p))) this.fail(line, col, `invalid number "${s.slice(start, p)}": exponent digits expected`);
        while (p < s.length && isDigit(s.charCodeAt(p))) p++;
      }
      const f = s.charCodeAt(p);
      if (f === 102 || f === 70) {
        isFloat = true;
        p++;
      }
    }
    if (p < s.length && (isIdentPart(s.charCodeAt(p)) || s.charCodeAt(p) === 46)) {
      let q = p;
      while (q < s.length && q - start < 40 && (isIdentPart(s.charCodeAt(q)) || s.charCodeAt(q) === 46)) q++;
      this.fail(line, col, `invalid number "${s.slice(start, q)}"`);
    }
    this.pos = p;
    return { kind: isFloat ? 'float' : 'int', text: s.slice(start, p), line, col };
  }

  private lexString(quote: number, line: number, col: number): Token {
    const s = this.src;
    const sink = this.sink;
    sink.length = 0;
    let p = this.pos + 1;
    const unterminated = (): never => this.fail(line, col, 'unterminated string literal');
    for (;;) {
      if (p >= s.length) unterminated();
      const c = s.charCodeAt(p);
      if (c === quote) {
        p++;
        break;
      }
      if (c === 10) unterminated();
      if (c < 0x80) {
        if (c !== 92) {
          sink.push(c);
          p++;
          continue;
        }
        // backslash escape
        const escCol = p - this.lineStart + 1;
        p++;
        if (p >= s.length || s.charCodeAt(p) === 10) unterminated();
        const e = s[p] as string;
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) {
          sink.push(simple);
          p++;
        } else if (e >= '0' && e <= '7') {
          let v = 0;
          let n = 0;
          while (n < 3 && p < s.length && s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 55) {
            v = v * 8 + (s.charCodeAt(p) - 48);
            p++;
            n++;
          }
          if (v > 255) this.fail(line, escCol, `octal escape \\${s.slice(p - n, p)} is out of range (max \\377)`);
          sink.push(v);
        } else if (e === 'x' || e === 'X') {
          p++;
          let v = 0;
          let n = 0;
          while (n < 2 && p < s.length && isHexDigit(s.charCodeAt(p))) {
            v = v * 16 + parseInt(s[p] as string, 16);
            p++;
            n++;
          }
          if (n === 0) this.fail(line, escCol, '\\x escape without hex digits');
          sink.push(v);
        } else if (e === 'u' || e === 'U') {
          const width = e === 'u' ? 4 : 8;
          let cp = this.hexRun(p + 1, width, line, escCol);
          p += 1 + width;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            // a high surrogate must be followed by a \u low surrogate
            let low = -1;
            if (s.charCodeAt(p) === 92 && s.charCodeAt(p + 1) === 117) {
              const lo = this.hexRun(p + 2, 4, line, p - this.lineStart + 1);
              if (lo >= 0xdc00 && lo <= 0xdfff) low = lo;
            }
            if (low < 0) this.fail(line, escCol, `unpaired surrogate \\${e}${cp.toString(16)} in string literal`);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            this.fail(line, escCol, `unpaired surrogate \\${e}${cp.toString(16)} in string literal`);
          } else if (cp > 0x10ffff) {
            this.fail(line, escCol, `\\U escape ${s.slice(p - 8, p)} is beyond U+10FFFF`);
          }
          sink.pushCodePoint(cp);
        } else {
          const shown = s.codePointAt(p) as number;
          this.fail(line, escCol, `invalid escape sequence \\${String.fromCodePoint(shown)}`);
        }
        continue;
      }
      // non-ASCII source character: its UTF-8 bytes
      const cp = s.codePointAt(p) as number;
      sink.pushCodePoint(cp);
      p += cp > 0xffff ? 2 : 1;
    }
    this.pos = p;
    return { kind: 'string', text: '', line, col, bytes: sink.take() };
  }

  /** Reads exactly `width` hex digits at p (for \u and \U escapes). */
  private hexRun(p: number, width: number, line: number, col: number): number {
    const s = this.src;
    let v = 0;
    for (let i = 0; i < width; i++) {
      const c = s.charCodeAt(p + i);
      if (!isHexDigit(c)) this.fail(line, col, `\\${width === 4 ? 'u' : 'U'} escape needs exactly ${width} hex digits`);
      v = v * 16 + parseInt(s[p + i] as string, 16);
    }
    return v;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const INT_RANGES: Record<'int32' | 'uint32' | 'int64' | 'uint64', readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Integer literal text (decimal, 0x hex, leading-0 octal) to a bigint; 'big' if far out of any range. */
function intLiteralValue(text: string): bigint | 'big' | 'bad-octal' {
  let digits: string;
  let prefix: string;
  if (text.length > 1 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X')) {
    digits = text.slice(2);
    prefix = '0x';
  } else if (text.length > 1 && text[0] === '0') {
    digits = text.slice(1);
    prefix = '0o';
    if (/[89]/.test(digits)) return 'bad-octal';
  } else {
    digits = text;
    prefix = '';
  }
  let i = 0;
  while (i < digits.length - 1 && digits[i] === '0') i++;
  digits = digits.slice(i);
  if (digits.length > 24) return 'big'; // more than 64 bits in any base
  return BigInt(prefix + digits);
}

function isHexOrOctalLiteral(text: string): boolean {
  return text.length > 1 && text[0] === '0' && isDigitOrX(text.charCodeAt(1));
}
function isDigitOrX(c: number): boolean {
  return isDigit(c) || c === 120 || c === 88;
}

const INF_RE = /^inf(inity)?f?$/i;
const NAN_RE = /^nanf?$/i;
const TRUE_WORDS = new Set(['true', 'True', 't']);
const FALSE_WORDS = new Set(['false', 'False', 'f']);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Parser {
  constructor(private readonly lx: Lexer) {}

  /**
   * Reads fields into `out` until the closing delimiter (or end of input for the top level),
   * then checks required fields. `open` is the token that opened this message.
   */
  parseMessage(info: TypeInfo, out: Record<string, unknown>, depth: number, close: string | null, open: Token | null, ownerName: string): void {
    const lx: Lexer = this.lx;
    let end: Token;
    for (;;) {
      const t = lx.peek();
      if (t.kind === 'eof') {
        if (close !== null && open !== null) lx.failAt(t, `missing '${close}' to close "${ownerName}" opened at line ${open.line}, column ${open.col}`);
        end = t;
        break;
      }
      if (close !== null && t.kind === 'symbol' && t.text === close) {
        end = lx.next();
        break;
      }
      if (t.kind === 'symbol' && t.text === '[') lx.failAt(t, `extension or Any syntax "[...]" is not supported in ${info.fullName}`);
      if (t.kind !== 'ident') {
        const expected = close === null ? 'a field name' : `a field name or '${close}'`;
        lx.failAt(t, `expected ${expected} in ${info.fullName}, got ${describeToken(t)}`);
      }
      lx.next();
      const field = info.byName.get(t.text);
      if (field === undefined) lx.failAt(t, `unknown field "${t.text}" in ${info.fullName}`);
      this.parseField(field, t, out, depth);
      if (!lx.trySymbol(',')) lx.trySymbol(';');
    }
    for (const f of info.byNumber) {
      if (f.required && !Object.prototype.hasOwnProperty.call(out, f.name)) {
        lx.failAt(end, `missing required field "${f.name}" in ${info.fullName}${open !== null ? ` (message opened at line ${open.line}, column ${open.col})` : ''}`);
      }
    }
  }

  private parseField(field: FieldInfo, nameTok: Token, out: Record<string, unknown>, depth: number): void {
    const lx: Lexer = this.lx;
    if (field.kind === 'message') {
      lx.trySymbol(':');
      const t = lx.peek();
      if (t.kind === 'symbol' && t.text === '[') {
        if (!field.repeated) lx.failAt(t, `list syntax "[...]" used for non-repeated field "${field.name}"`);
        lx.next();
        if (lx.trySymbol(']')) return;
        for (;;) {
          this.parseSubMessage(field, out, depth);
          if (lx.trySymbol(']')) return;
          const sep = lx.peek();
          if (!lx.trySymbol(',')) lx.failAt(sep, `expected ',' or ']' in the list of "${field.name}", got ${describeToken(sep)}`);
        }
      }
      this.parseSubMessage(field, out, depth);
      return;
    }
    // scalar field
    const colon = lx.peek();
    if (!lx.trySymbol(':')) lx.failAt(colon, `expected ':' after scalar field "${field.name}", got ${describeToken(colon)}`);
    const t = lx.peek();
    if (t.kind === 'symbol' && t.text === '[') {
      if (!field.repeated) lx.failAt(t, `list syntax "[...]" used for non-repeated field "${field.name}"`);
      lx.next();
      if (lx.trySymbol(']')) return;
      const arr = this.repeatedArray(out, field.name);
      for (;;) {
        arr.push(this.parseScalar(field));
        if (lx.trySymbol(']')) return;
        const sep = lx.peek();
        if (!lx.trySymbol(',')) lx.failAt(sep, `expected ',' or ']' in the list of "${field.name}", got ${describeToken(sep)}`);
      }
    }
    if (field.repeated) {
      const v = this.parseScalar(field);
      this.repeatedArray(out, field.name).push(v);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(out, field.name)) lx.failAt(nameTok, `Non-repeated field "${field.name}" is specified multiple times`);
    out[field.name] = this.parseScalar(field);
  }

  private repeatedArray(out: Record<string, unknown>, name: string): unknown[] {
    let arr = out[name] as unknown[] | undefined;
    if (arr === undefined) out[name] = arr = [];
    return arr;
  }

  /** `{ ... }` or `< ... >` for a message field; a non-repeated field given twice is merged. */
  private parseSubMessage(field: FieldInfo, out: Record<string, unknown>, depth: number): void {
    const lx: Lexer = this.lx;
    const open = lx.next();
    const type = field.messageType as protobuf.Type;
    const sub = typeInfo(type);
    if (open.kind !== 'symbol' || (open.text !== '{' && open.text !== '<')) {
      lx.failAt(open, `field "${field.name}" is a message (${sub.fullName}): expected '{' or '<', got ${describeToken(open)}`);
    }
    if (depth + 1 > MAX_TEXT_FORMAT_DEPTH) lx.failAt(open, `messages nested deeper than ${MAX_TEXT_FORMAT_DEPTH} levels`);
    let target: Record<string, unknown>;
    if (field.repeated) {
      target = {};
      this.repeatedArray(out, field.name).push(target);
    } else {
      const existing = out[field.name] as Record<string, unknown> | undefined;
      target = existing ?? {};
      out[field.name] = target;
    }
    this.parseMessage(sub, target, depth + 1, open.text === '{' ? '}' : '>', open, field.name);
  }

  private parseScalar(field: FieldInfo): unknown {
    const lx: Lexer = this.lx;
    switch (field.kind) {
      case 'string':
      case 'bytes': {
        const first = lx.next();
        if (first.kind !== 'string') lx.failAt(first, `expected a quoted string for ${field.kind} field "${field.name}", got ${describeToken(first)}`);
        let bytes = first.bytes as Uint8Array;
        if (lx.peek().kind === 'string') {
          // adjacent literals concatenate
          const parts: Uint8Array[] = [bytes];
          let total = bytes.length;
          while (lx.peek().kind === 'string') {
            const b = lx.next().bytes as Uint8Array;
            parts.push(b);
            total += b.length;
          }
          bytes = new Uint8Array(total);
          let o = 0;
          for (const b of parts) {
            bytes.set(b, o);
            o += b.length;
          }
        }
        if (field.kind === 'bytes') return bytes;
        try {
          return utf8Decoder.decode(bytes);
        } catch {
          return lx.failAt(first, `string field "${field.name}" is not valid UTF-8 (use a bytes field for binary data)`);
        }
      }
      case 'bool': {
        const t = lx.next();
        if (t.kind === 'ident') {
          if (TRUE_WORDS.has(t.text)) return true;
          if (FALSE_WORDS.has(t.text)) return false;
        } else if (t.kind === 'int') {
          const v = intLiteralValue(t.text);
          if (v === 1n) return true;
          if (v === 0n) return false;
        }
        return lx.failAt(t, `expected true or false for bool field "${field.name}", got ${describeToken(t)}`);
      }
      case 'enum': {
        const neg = lx.peek();
        const negative = lx.trySymbol('-');
        const t = lx.next();
        const en = field.enumType as protobuf.Enum;
        const enumName = en.fullName.replace(/^\./, '');
        if (t.kind === 'ident' && !negative) {
          const v = en.values[t.text];
          if (v === undefined) lx.failAt(t, `unknown value "${t.text}" of enum ${enumName} for field "${field.name}"`);
          return v;
        }
        if (t.kind === 'int') {
          const lit = intLiteralValue(t.text);
          const at = negative ? neg : t;
          if (lit === 'bad-octal') lx.failAt(at, `invalid octal number "${t.text}"`);
          const v = lit === 'big' ? undefined : negative ? -lit : lit;
          if (v === undefined || v < INT_RANGES.int32[0] || v > INT_RANGES.int32[1] || en.valuesById[Number(v)] === undefined) {
            lx.failAt(at, `unknown value ${negative ? '-' : ''}${t.text} of enum ${enumName} for field "${field.name}"`);
          }
          return Number(v);
        }
        return lx.failAt(negative ? neg : t, `expected an enum name or number for field "${field.name}" (${enumName}), got ${describeToken(t)}`);
      }
      case 'float':
      case 'double': {
        const neg = lx.peek();
        const negative = lx.trySymbol('-');
        const t = lx.next();
        const at = negative ? neg : t;
        let v: number;
        if (t.kind === 'float') {
          const body = /[fF]$/.test(t.text) ? t.text.slice(0, -1) : t.text;
          v = Number(body);
        } else if (t.kind === 'int') {
          if (isHexOrOctalLiteral(t.text)) lx.failAt(at, `expected a decimal number for ${field.kind} field "${field.name}", got "${t.text}"`);
          v = Number(t.text);
        } else if (t.kind === 'ident' && INF_RE.test(t.text)) {
          v = Infinity;
        } else if (t.kind === 'ident' && NAN_RE.test(t.text)) {
          v = NaN;
        } else {
          return lx.failAt(at, `expected a number for ${field.kind} field "${field.name}", got ${describeToken(t)}`);
        }
        if (Number.isNaN(v)) return NaN;
        if (negative) v = -v;
        return field.kind === 'float' ? Math.fround(v) : v;
      }
      default: {
        const kind = field.kind as 'int32' | 'uint32' | 'int64' | 'uint64';
        const neg = lx.peek();
        const negative = lx.trySymbol('-');
        const t = lx.next();
        const at = negative ? neg : t;
        if (t.kind !== 'int') lx.failAt(at, `expected an integer for ${kind} field "${field.name}", got ${describeToken(t)}`);
        const lit = intLiteralValue(t.text);
        if (lit === 'bad-octal') lx.failAt(at, `invalid octal number "${t.text}"`);
        const shown = `${negative ? '-' : ''}${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}`;
        const [lo, hi] = INT_RANGES[kind];
        const v = lit === 'big' ? undefined : negative ? -lit : lit;
        if (v === undefined || v < lo || v > hi) lx.failAt(at, `value ${shown} is out of range for ${kind} field "${field.name}"`);
        if (kind === 'int32' || kind === 'uint32') return Number(v);
        return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
      }
    }
  }
}

/**
 * Parses protobuf text format into the plain object form of message `name` (the same form
 * decodeBinary returns). Throws a Caffe2Error (kind 'invalid') naming line and column.
 */
export function parseTextFormat<T = Record<string, unknown>>(name: MessageName, text: string, file?: string): T {
  const lx = new Lexer(text, file);
  const out: Record<string, unknown> = {};
  new Parser(lx).parseMessage(typeInfo(messageType(name)), out, 0, null, null, name);
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Printing.

/** How each byte is written inside a double-quoted literal. */
const BYTE_ESCAPES: readonly string[] = (() => {
  const table: string[] = [];
  for (let b = 0; b < 256; b++) {
    if (b === 0x0a) table.push('\\n');
    else if (b === 0x0d) table.push('\\r');
    else if (b === 0x09) table.push('\\t');
    else if (b === 0x22) table.push('\\"');
    else if (b === 0x27) table.push("\\'");
    else if (b === 0x5c) table.push('\\\\');
    else if (b >= 0x20 && b < 0x7f) table.push(String.fromCharCode(b));
    else table.push(`\\${b.toString(8).padStart(3, '0')}`);
  }
  return table;
})();

function quoteBytes(bytes: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < bytes.length; i++) s += BYTE_ESCAPES[bytes[i] as number];
  return `${s}"`;
}

const utf8Encoder = new TextEncoder();

/** The shortest decimal that Math.fround maps back to the same float32. */
function formatFloat32(v: number): string {
  const x = Math.fround(v);
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 1; p <= 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return String(d);
  }
  return String(x); // not reached: nine significant digits always suffice
}

function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function printError(reason: string): never {
  throw new Caffe2Error(`printTextFormat: ${reason}`, {}, 'invalid');
}

function formatScalar(field: FieldInfo, v: unknown, where: string): string {
  switch (field.kind) {
    case 'string':
      if (typeof v === 'string') return quoteBytes(utf8Encoder.encode(v));
      if (v instanceof Uint8Array) return quoteBytes(v);
      break;
    case 'bytes':
      if (v instanceof Uint8Array) return quoteBytes(v);
      if (typeof v === 'string') return quoteBytes(utf8Encoder.encode(v));
      break;
    case 'bool':
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      break;
    case 'float':
      if (typeof v === 'number') return formatFloat32(v);
      break;
    case 'double':
      if (typeof v === 'number') return formatDouble(v);
      break;
    case 'enum': {
      if (typeof v === 'number' && Number.isInteger(v)) {
        const name = (field.enumType as protobuf.Enum).valuesById[v];
        return name ?? String(v);
      }
      if (typeof v === 'string' && (field.enumType as protobuf.Enum).values[v] !== undefined) return v;
      break;
    }
    default:
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v).toString();
      break;
  }
  return printError(`field ${where} (${field.kind}) holds an unexpected value of type ${typeof v}`);
}

function printMessage(info: TypeInfo, obj: Record<string, unknown>, indent: string, out: string[], depth: number): void {
  if (depth > MAX_TEXT_FORMAT_DEPTH) printError(`messages nested deeper than ${MAX_TEXT_FORMAT_DEPTH} levels`);
  for (const field of info.byNumber) {
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    const values: unknown[] = field.repeated ? (Array.isArray(v) ? v : [v]) : [v];
    for (const item of values) {
      if (field.kind === 'message') {
        if (typeof item !== 'object' || item === null) printError(`field ${info.fullName}.${field.name} must hold a message object`);
        out.push(`${indent}${field.name} {\n`);
        printMessage(typeInfo(field.messageType as protobuf.Type), item as Record<string, unknown>, `${indent}  `, out, depth + 1);
        out.push(`${indent}}\n`);
      } else {
        out.push(`${indent}${field.name}: ${formatScalar(field, item, `${info.fullName}.${field.name}`)}\n`);
      }
    }
  }
}

/**
 * Writes a plain object of message `name` as protobuf text format, the way Python's
 * text_format.MessageToString does: fields in field-number order, two-space indentation,
 * C-escaped strings, floats in the shortest form that reads back to the same value.
 */
export function printTextFormat(name: MessageName, obj: object): string {
  const out: string[] = [];
  printMessage(typeInfo(messageType(name)), obj as Record<string, unknown>, '', out, 0);
  return out.join('');
}
