import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Caffe2Error } from '../src/errors.js';
import { encodeNpy, MAX_NPY_HEADER_BYTES, parseNpy, type NpyReadOptions } from '../src/npy.js';
import { Tensor, type DType, type NumericData } from '../src/tensor.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = resolve(projectRoot, '..', 'shared');
const goldenDir = join(sharedDir, 'golden');

// ---------------------------------------------------------------------------------------------
// helpers

function bytesOf(t: Tensor): Uint8Array {
  const d = t.data as NumericData;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

interface NpyLayout {
  major: number;
  headerLength: number;
  dataOffset: number;
  headerText: string;
}

function layoutOf(file: Uint8Array): NpyLayout {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const major = file[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  return { major, headerLength, dataOffset: start + headerLength, headerText: latin1(file.subarray(start, start + headerLength)) };
}

interface MakeOptions {
  major?: number;
  minor?: number;
  /** Pad the header so the data starts at a multiple of this (0: no padding). */
  align?: number;
  /** Header length to write in place of the real one. */
  declaredLength?: number;
  magic?: number[];
}

/** Builds a .npy file by hand from a header dict text and raw data bytes. */
function makeNpy(dict: string, data: Uint8Array = new Uint8Array(0), o: MakeOptions = {}): Uint8Array {
  const major = o.major ?? 1;
  const prefix = major === 1 ? 10 : 12;
  const align = o.align ?? 64;
  let text = dict;
  if (align > 0) text += ' '.repeat((align - ((prefix + text.length + 1) % align)) % align);
  text += '\n';
  const header = new TextEncoder().encode(text);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set(o.magic ?? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 0);
  out[6] = major;
  out[7] = o.minor ?? 0;
  const view = new DataView(out.buffer);
  const len = o.declaredLength ?? header.length;
  if (major === 1) view.setUint16(8, len, true);
  else view.setUint32(8, len, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** Asserts parseNpy refuses the bytes with a Caffe2Error of kind 'invalid' naming the file. */
function expectRejected(bytes: Uint8Array, reason: RegExp, options: NpyReadOptions = {}): Caffe2Error {
  let caught: unknown;
  try {
    parseNpy(bytes, { file: 'bad.npy', ...options });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Caffe2Error);
  const err = caught as Caffe2Error;
  expect(err.kind).toBe('invalid');
  expect(err.context.file).toBe('bad.npy');
  expect(err.message).toContain('file bad.npy');
  expect(err.reason).toMatch(reason);
  return err;
}

/** Reads, re-encodes and re-reads a numpy-written file; checks data and (for 1.0) exact bytes. */
function checkRoundTrip(file: Uint8Array, name: string): Tensor {
  const t = parseNpy(file, { file: name });
  const layout = layoutOf(file);
  // The tensor holds exactly the file's data bytes.
  expect(sameBytes(bytesOf(t), file.subarray(layout.dataOffset))).toBe(true);
  const again = encodeNpy(t);
  const back = parseNpy(again, { file: `${name} (re-encoded)` });
  expect(back.dtype).toBe(t.dtype);
  expect(back.dims).toEqual(t.dims);
  expect(sameBytes(bytesOf(back), bytesOf(t))).toBe(true);
  if (file[6] === 1) {
    // numpy's writer is deterministic, so ours must reproduce its files byte for byte.
    expect(layoutOf(again).headerText).toBe(layout.headerText);
    expect(sameBytes(again, file)).toBe(true);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// real files written by numpy

interface ListedArray {
  file: string;
  dtype: string;
  shape: number[];
}

interface GoldenFile {
  name: string; // "<case>/<sub>/<file>.npy"
  path: string;
  listed?: ListedArray;
}

function goldenFiles(): { files: GoldenFile[]; listedCount: number } {
  const files: GoldenFile[] = [];
  let listedCount = 0;
  if (!existsSync(goldenDir)) return { files, listedCount };
  for (const caseName of readdirSync(goldenDir).sort()) {
    const caseDir = join(goldenDir, caseName);
    if (!statSync(caseDir).isDirectory()) continue;
    const listed = new Map<string, ListedArray>();
    const caseJson = join(caseDir, 'case.json');
    if (existsSync(caseJson)) {
      const spec = JSON.parse(readFileSync(caseJson, 'utf8')) as { feeds?: ListedArray[] | null; outputs?: ListedArray[] | null };
      for (const entry of [...(spec.feeds ?? []), ...(spec.outputs ?? [])]) {
        if (entry.file !== undefined && entry.shape !== undefined && entry.dtype !== undefined) {
          listed.set(entry.file, entry);
          listedCount++;
        }
      }
    }
    for (const sub of ['expected', 'inputs']) {
      const dir = join(caseDir, sub);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).sort()) {
        if (!f.endsWith('.npy')) continue;
        files.push({ name: `${caseName}/${sub}/${f}`, path: join(dir, f), listed: listed.get(`${sub}/${f}`) });
      }
    }
  }
  return { files, listedCount };
}

const golden = goldenFiles();

describe('numpy-written files', () => {
  it('finds the golden cases', () => {
    expect(golden.files.length).toBeGreaterThan(100);
    // Every array a case.json lists is among the files checked below.
    expect(golden.files.filter((f) => f.listed).length).toBe(golden.listedCount);
  });

  it('seed/x1.npy: float32 (1, 3, 320, 320), re-encodes byte-identically', () => {
    const path = join(sharedDir, 'seed', 'x1.npy');
    const t = checkRoundTrip(readFileSync(path), path);
    expect(t.dtype).toBe('float32');
    expect(t.dims).toEqual([1, 3, 320, 320]);
    expect(t.data).toBeInstanceOf(Float32Array);
  });

  it.each(golden.files.map((f) => [f.name, f] as const))('golden %s', (_name, f) => {
    const t = checkRoundTrip(readFileSync(f.path), f.path);
    if (f.listed) {
      expect(t.dtype).toBe(f.listed.dtype);
      expect(t.dims).toEqual(f.listed.shape);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// every dtype, written then read

interface DTypeCase {
  dtype: Exclude<DType, 'string'>;
  descr: string;
  data: NumericData;
  /** The same values as little-endian bytes, computed independently of the typed array. */
  bytes: number[];
}

const DTYPE_CASES: DTypeCase[] = [
  { dtype: 'float32', descr: '<f4', data: new Float32Array([1, -2]), bytes: [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0] },
  { dtype: 'float64', descr: '<f8', data: new Float64Array([1]), bytes: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f] },
  { dtype: 'int8', descr: '|i1', data: new Int8Array([-1, 127, -128]), bytes: [0xff, 0x7f, 0x80] },
  { dtype: 'uint8', descr: '|u1', data: new Uint8Array([0, 255, 7]), bytes: [0, 255, 7] },
  { dtype: 'int16', descr: '<i2', data: new Int16Array([-2, 0x1234]), bytes: [0xfe, 0xff, 0x34, 0x12] },
  { dtype: 'uint16', descr: '<u2', data: new Uint16Array([0xabcd]), bytes: [0xcd, 0xab] },
  { dtype: 'int32', descr: '<i4', data: new Int32Array([-2, 0x01020304]), bytes: [0xfe, 0xff, 0xff, 0xff, 4, 3, 2, 1] },
  {
    dtype: 'int64', descr: '<i8', data: new BigInt64Array([-2n, 0x0102030405060708n]),
    bytes: [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 8, 7, 6, 5, 4, 3, 2, 1],
  },
  { dtype: 'bool', descr: '|b1', data: new Uint8Array([1, 0, 1]), bytes: [1, 0, 1] },
  { dtype: 'float16', descr: '<f2', data: new Uint16Array([0x3c00, 0xc000]), bytes: [0x00, 0x3c, 0x00, 0xc0] },
];

describe('encodeNpy / parseNpy per dtype', () => {
  it.each(DTYPE_CASES.map((c) => [c.dtype, c] as const))('%s', (_name, c) => {
    const t = new Tensor(c.dtype, [c.data.length], c.data);
    const file = encodeNpy(t);
    const layout = layoutOf(file);
    expect(latin1(file.subarray(0, 6))).toBe('\x93NUMPY');
    expect([file[6], file[7]]).toEqual([1, 0]);
    expect(layout.dataOffset).toBe(128);
    const dict = `{'descr': '${c.descr}', 'fortran_order': False, 'shape': (${c.data.length},), }`;
    expect(layout.headerText).toBe(dict.padEnd(117, ' ') + '\n');
    expect([...file.subarray(layout.dataOffset)]).toEqual(c.bytes);

    const back = parseNpy(file);
    expect(back.dtype).toBe(c.dtype);
    expect(back.dims).toEqual([c.data.length]);
    expect(back.data.constructor).toBe(c.data.constructor);
    expect([...(back.data as NumericData)]).toEqual([...c.data]);
  });

  it('writes shapes as Python tuples, with numpy\'s spare room for shape[0]', () => {
    const header = (dims: number[]): string => layoutOf(encodeNpy(Tensor.zeros('float32', dims))).headerText;
    // numpy pads after the dict with 21 - len(str(shape[0])) spaces (none for a scalar).
    expect(header([])).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (), }`.padEnd(117) + '\n');
    expect(header([5])).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }`.padEnd(117) + '\n');
    expect(header([2, 3])).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.padEnd(117) + '\n');
    expect(header([0, 3])).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }`.padEnd(117) + '\n');
  });

  it('pads with 64 spaces when the header is already aligned, as numpy does', () => {
    // np.save(np.zeros((1,)*13 + (100,), 'f4')): 127 bytes before padding, data at 192.
    const dims = [...Array<number>(13).fill(1), 100];
    const file = encodeNpy(Tensor.zeros('float32', dims));
    const layout = layoutOf(file);
    expect(layout.dataOffset).toBe(192);
    expect(layout.headerText.endsWith(' '.repeat(64) + '\n')).toBe(true);
    expect(parseNpy(file).dims).toEqual(dims);
  });

  it('writes version 2.0 only when the header does not fit in 1.0', () => {
    const dims = Array<number>(22000).fill(1);
    const file = encodeNpy(Tensor.zeros('uint8', dims));
    const layout = layoutOf(file);
    expect(layout.major).toBe(2);
    expect(layout.headerLength).toBeGreaterThan(0xffff);
    expect(layout.dataOffset % 64).toBe(0);
    const back = parseNpy(file);
    expect(back.dims).toEqual(dims);
    expect(back.size).toBe(1);
    // 21000 dims still fit in 1.0.
    expect(layoutOf(encodeNpy(Tensor.zeros('uint8', Array<number>(21000).fill(1)))).major).toBe(1);
  });

  it('a scalar: shape () -> dims []', () => {
    const file = encodeNpy(new Tensor('float64', [], new Float64Array([3.25])));
    expect(layoutOf(file).headerText).toContain("'shape': (), }");
    expect(file.length).toBe(128 + 8);
    const t = parseNpy(file);
    expect(t.dims).toEqual([]);
    expect([...(t.data as Float64Array)]).toEqual([3.25]);
  });

  it('an empty array: shape (0, 3)', () => {
    const file = encodeNpy(Tensor.zeros('float32', [0, 3]));
    expect(file.length).toBe(128);
    const t = parseNpy(file);
    expect(t.dims).toEqual([0, 3]);
    expect(t.size).toBe(0);
    expect(t.data).toBeInstanceOf(Float32Array);
  });

  it('writes bool as 0/1 bytes', () => {
    const file = encodeNpy(new Tensor('bool', [2], new Uint8Array([2, 0])));
    expect([...file.subarray(128)]).toEqual([1, 0]);
  });

  it('encodes a tensor whose data is a view into a larger buffer', () => {
    const big = new Int16Array([9, 9, 1, 2, 3, 9]);
    const file = encodeNpy(new Tensor('int16', [3], big.subarray(2, 5)));
    expect([...(parseNpy(file).data as Int16Array)]).toEqual([1, 2, 3]);
  });

  it('refuses to encode a string tensor', () => {
    const t = new Tensor('string', [1], ['a']);
    expect(() => encodeNpy(t)).toThrow(Caffe2Error);
    expect(() => encodeNpy(t)).toThrow(/string/);
  });
});

// ---------------------------------------------------------------------------------------------
// reading hand-made files

const F32_2x2 = f32Bytes([1, 2, 3, 4]);

describe('parseNpy accepts', () => {
  it('keys in any order, double quotes, no trailing comma, extra spaces', () => {
    for (const dict of [
      `{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}`,
      `{"descr": "<f4", "fortran_order": False, "shape": (2, 2)}`,
      `{ 'fortran_order' : False ,'descr':'<f4','shape':( 2 ,2 , ) , }`,
    ]) {
      const t = parseNpy(makeNpy(dict, F32_2x2));
      expect(t.dims).toEqual([2, 2]);
      expect([...(t.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    }
  });

  it("byte orders '=' and '<', and '<u1' / '<i1' / '<b1' / '>u1' for one-byte types", () => {
    expect(parseNpy(makeNpy(`{'descr': '=f4', 'fortran_order': False, 'shape': (2, 2), }`, F32_2x2)).dtype).toBe('float32');
    const one = new Uint8Array([1, 0, 1]);
    const read = (descr: string): Tensor => parseNpy(makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (3,), }`, one));
    expect(read('<u1').dtype).toBe('uint8');
    expect(read('=u1').dtype).toBe('uint8');
    expect(read('>u1').dtype).toBe('uint8'); // one byte: byte order is irrelevant
    expect(read('<i1').dtype).toBe('int8');
    expect(read('<b1').dtype).toBe('bool');
    expect(read('|b1').data).toEqual(new Uint8Array([1, 0, 1]));
  });

  it('format versions 2.0 and 3.0', () => {
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }`;
    for (const major of [2, 3]) {
      const file = makeNpy(dict, F32_2x2, { major });
      expect(layoutOf(file).dataOffset % 64).toBe(0);
      const t = parseNpy(file);
      expect(t.dims).toEqual([2, 2]);
      expect([...(t.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    }
  });

  it("Python 2 long suffixes ('3L') in 1.0 headers, as numpy does", () => {
    const t = parseNpy(makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }`, F32_2x2));
    expect(t.dims).toEqual([2, 2]);
  });

  it('an unaligned data offset (data copied into a fresh buffer)', () => {
    const values = [1.5, -2.25, 1e300];
    const data = new Uint8Array(new Float64Array(values).buffer);
    const file = makeNpy(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}`, data, { align: 0 });
    expect(layoutOf(file).dataOffset % 8).not.toBe(0);
    // ...and also from an odd byteOffset inside a larger buffer.
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    for (const bytes of [file, host.subarray(3)]) {
      const t = parseNpy(bytes);
      expect(t.data).toBeInstanceOf(Float64Array);
      expect([...(t.data as Float64Array)]).toEqual(values);
      expect((t.data as Float64Array).byteOffset).toBe(0);
    }
  });

  it('a Node Buffer, whose bytes it copies rather than shares', () => {
    const buf = Buffer.from(makeNpy(`{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }`, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0])));
    const t = parseNpy(buf);
    buf.fill(0xff, 128);
    expect([...(t.data as Int32Array)]).toEqual([1, 2]);
    expect((t.data as Int32Array).buffer.byteLength).toBe(8);
  });

  it('a tensor exactly at maxBytes', () => {
    const file = makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }`, F32_2x2);
    expect(parseNpy(file, { maxBytes: 16 }).size).toBe(4);
  });
});

describe('parseNpy refuses', () => {
  const ok = (shape: string, descr = '<f4', fortran = 'False'): string =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it('big-endian data', () => {
    expectRejected(makeNpy(ok('(2, 2)', '>f4'), F32_2x2), /big-endian.*not supported/);
    expectRejected(makeNpy(ok('(2,)', '>i8'), new Uint8Array(16)), /big-endian/);
    expectRejected(makeNpy(ok('(4,)', '!i4'), new Uint8Array(16)), /big-endian/);
  });

  it('fortran_order: True', () => {
    expectRejected(makeNpy(ok('(2, 2)', '<f4', 'True'), F32_2x2), /fortran_order: True.*not supported/);
    expectRejected(makeNpy(ok('(2, 2)', '<f4', '0'), F32_2x2), /fortran_order/);
  });

  it('truncated data and extra data', () => {
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2.subarray(0, 15)), /truncated.*needs 16 bytes.*holds 15/);
    expectRejected(makeNpy(ok('(2, 2)'), new Uint8Array(0)), /truncated/);
    expectRejected(makeNpy(ok('(2, 2)'), new Uint8Array(17)), /1 bytes of extra data/);
    expectRejected(makeNpy(ok('()'), new Uint8Array(0)), /truncated/);
  });

  it('bad magic, short files and unsupported versions', () => {
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { magic: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a] }), /bad magic/);
    expectRejected(new TextEncoder().encode('PK\x03\x04 a zip file'), /bad magic/);
    expectRejected(new Uint8Array([0x93, 0x4e, 0x55]), /bad magic/);
    expectRejected(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1]), /version/);
    expectRejected(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 5]), /header length field/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { major: 4 }), /unsupported .npy format version 4\.0/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { minor: 1 }), /unsupported .npy format version 1\.1/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { major: 0 }), /version 0\.0/);
  });

  it('a header length past the end of the file, or absurd', () => {
    const file = makeNpy(ok('(2, 2)'), F32_2x2);
    expectRejected(file.subarray(0, 100), /runs past the end of the file/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { declaredLength: 60000 }), /runs past the end/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { major: 2, declaredLength: 0xfffffff0 }), /absurd/);
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { major: 3, declaredLength: MAX_NPY_HEADER_BYTES + 1 }), /absurd/);
    // A header length that cuts the dict short.
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2, { declaredLength: 20 }), /malformed .npy header/);
  });

  it('a shape over maxBytes, before allocating anything', () => {
    // 4e15 bytes: had the reader tried to allocate, this would fail with a RangeError instead.
    const huge = makeNpy(ok('(100000, 100000, 100000)'), new Uint8Array(16));
    const err = expectRejected(huge, /over the limit of 1073741824/);
    expect(err.reason).toContain('[100000,100000,100000]');
    expectRejected(makeNpy(ok('(2, 2)'), F32_2x2), /needs 16 bytes, over the limit of 15/, { maxBytes: 15 });
    // Element counts past 2^53 and dims too large to represent.
    expectRejected(makeNpy(ok('(9007199254740991, 4)', '|u1')), /too many elements/);
    expectRejected(makeNpy(ok('(99999999999999999999,)', '|u1')), /too large/);
  });

  it('missing, unknown and repeated keys', () => {
    expectRejected(makeNpy(`{'descr': '<f4', 'fortran_order': False}`, F32_2x2), /lacks the key 'shape'/);
    expectRejected(makeNpy(`{'descr': '<f4', 'shape': (2, 2)}`, F32_2x2), /lacks the key 'fortran_order'/);
    expectRejected(makeNpy(`{'fortran_order': False, 'shape': (2, 2)}`, F32_2x2), /lacks the key 'descr'/);
    expectRejected(makeNpy(`{}`, F32_2x2), /lacks the key/);
    expectRejected(makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}`, F32_2x2), /unexpected key 'x'/);
    expectRejected(makeNpy(`{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}`, F32_2x2), /repeats the key 'descr'/);
    expectRejected(makeNpy(`{1: '<f4', 'fortran_order': False, 'shape': (2, 2)}`, F32_2x2), /non-string key/);
  });

  it('negative and non-integer dims, and shapes that are not tuples', () => {
    expectRejected(makeNpy(ok('(-1, 4)')), /negative dimension -1/);
    expectRejected(makeNpy(ok('(2.0, 2)')), /not an integer: 2\.0/);
    expectRejected(makeNpy(ok('(2, 1e3)')), /not an integer/);
    expectRejected(makeNpy(ok("('2', 2)")), /not an integer/);
    expectRejected(makeNpy(ok('(True, 2)')), /not an integer/);
    expectRejected(makeNpy(ok('(None,)')), /not an integer/);
    expectRejected(makeNpy(ok('((2, 2),)')), /not an integer/);
    expectRejected(makeNpy(ok('[2, 2]')), /'shape' is not a tuple/);
    expectRejected(makeNpy(ok('(4)')), /'shape' is not a tuple/);
    expectRejected(makeNpy(ok('4')), /'shape' is not a tuple/);
    expectRejected(makeNpy(ok('(0x4,)')), /invalid number/);
    expectRejected(makeNpy(ok('(04,)')), /invalid number/);
  });

  it('object, unicode, structured and other unsupported dtypes', () => {
    expectRejected(makeNpy(ok('(1,)', '|O'), new Uint8Array(8)), /object arrays.*not supported/);
    expectRejected(makeNpy(ok('(1,)', '<U3'), new Uint8Array(12)), /unicode string arrays.*not supported/);
    expectRejected(makeNpy(ok('(1,)', '|S3'), new Uint8Array(3)), /byte string arrays/);
    expectRejected(makeNpy(ok('(1,)', '<c8'), new Uint8Array(8)), /complex/);
    expectRejected(makeNpy(ok('(1,)', '<M8[ns]'), new Uint8Array(8)), /datetime64/);
    expectRejected(makeNpy(ok('(1,)', '|V8'), new Uint8Array(8)), /structured/);
    expectRejected(makeNpy(`{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(8)), /structured dtypes are not supported/);
    expectRejected(makeNpy(ok('(1,)', '<u8'), new Uint8Array(8)), /unsupported dtype descriptor '<u8'/);
    expectRejected(makeNpy(ok('(1,)', '<f16'), new Uint8Array(16)), /unsupported dtype/);
    expectRejected(makeNpy(ok('(1,)', '|f4'), new Uint8Array(4)), /no byte order/);
    expectRejected(makeNpy(ok('(1,)', 'f4'), new Uint8Array(4)), /unsupported dtype descriptor 'f4'/);
    expectRejected(makeNpy(ok('(1,)', 'float32'), new Uint8Array(4)), /unsupported dtype/);
    expectRejected(makeNpy(`{'descr': 5, 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(4)), /'descr' is not a string/);
  });

  it('malformed headers (parsed strictly, never evaluated)', () => {
    const reject = (dict: string, reason: RegExp): void => void expectRejected(makeNpy(dict, F32_2x2), reason);
    reject(`__import__('os').system('true')`, /unexpected name "__import__"/);
    reject(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} junk`, /after the header dict/);
    reject(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)`, /malformed/);
    reject(`{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2)}`, /malformed/);
    reject(`{'descr': '<f4' 'fortran_order': False, 'shape': (2, 2)}`, /expected ',' or '}'/);
    reject(`{'descr' '<f4', 'fortran_order': False, 'shape': (2, 2)}`, /expected ':'/);
    reject(`{'descr': '<f4', 'fortran_order': false, 'shape': (2, 2)}`, /unexpected name "false"/);
    reject(`{'descr': '<f4', 'fortran_order': False, 'shape': (2 2)}`, /expected ',' or '\)'/);
    reject(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 2)}`, /unexpected ","/);
    reject(`['descr', '<f4']`, /not a dict/);
    reject(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(5000)}${')'.repeat(5000)}}`, /nested too deeply/);
    // Python 2 long suffixes are a 1.0/2.0 compatibility only.
    expectRejected(makeNpy(ok('(2L, 2L)'), F32_2x2, { major: 3 }), /invalid number "2L"/);
    // A 3.0 header must be valid UTF-8.
    const file = makeNpy(ok('(2, 2)'), F32_2x2, { major: 3 });
    file[14] = 0xff;
    expectRejected(file, /not valid UTF-8/);
  });

  it('bool bytes other than 0 and 1', () => {
    expectRejected(makeNpy(ok('(3,)', '|b1'), new Uint8Array([0, 1, 2])), /bool element 2 holds byte 2/);
  });

  it('without a file name, errors have no file context', () => {
    let caught: unknown;
    try {
      parseNpy(new Uint8Array(4));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Caffe2Error);
    expect((caught as Caffe2Error).context).toEqual({});
    expect((caught as Caffe2Error).message).toMatch(/^not a .npy file/);
  });
});
