import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Caffe2Error } from '../src/errors.js';
import { decodeBinary, encodeBinary } from '../src/proto/schema.js';
import { MAX_TEXT_FORMAT_DEPTH, parseTextFormat, printTextFormat } from '../src/proto/text-format.js';
import type { Argument, NetDef, OperatorDef, QTensorProto, TensorProto } from '../src/proto/types.js';

const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const shared = resolve(projectRoot, '../shared');

function walkPb(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) found.push(...walkPb(p));
    else if (entry.endsWith('.pb')) found.push(p);
  }
  return found;
}

const enc = new TextEncoder();
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const ascii = (s: string): Uint8Array => enc.encode(s);

function parseNet(text: string): NetDef {
  return parseTextFormat<NetDef>('NetDef', text);
}
function parseArg(text: string): Argument {
  return parseTextFormat<Argument>('Argument', text);
}

/** The Caffe2Error thrown by fn (fails the test if nothing is thrown). */
function errorOf(fn: () => unknown): Caffe2Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Caffe2Error);
    return e as Caffe2Error;
  }
  throw new Error('expected a Caffe2Error, nothing was thrown');
}

describe('text format round trip of binary nets (golden cases and seed)', () => {
  const files = [...walkPb(join(shared, 'golden')), ...walkPb(join(shared, 'seed'))];

  it('finds the .pb files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(relative(shared, file), () => {
      const original = new Uint8Array(readFileSync(file));
      const net = decodeBinary<NetDef>('NetDef', original);
      const text = printTextFormat('NetDef', net);
      const back = parseTextFormat<NetDef>('NetDef', text, file);
      expect(back).toEqual(net);
      expect(new Uint8Array(encodeBinary('NetDef', back))).toEqual(original);
    });
  }
});

describe('real net: mask_rcnn_2go_int8/predict_net.pbtxt', () => {
  const path = join(shared, 'real-nets/mask_rcnn_2go_int8/predict_net.pbtxt');
  const net = parseTextFormat<NetDef>('NetDef', readFileSync(path, 'utf8'), path);
  const ops = net.op ?? [];
  const argOf = (op: OperatorDef, name: string): Argument | undefined => op.arg?.find((a) => a.name === name);

  it('has the net name, ops and external blobs written in the file', () => {
    expect(net.name).toBe('mobile_vision.detection_1_int8_1');
    expect(ops.length).toBe(100);
    expect(ops[0]?.type).toBe('NCHW2NHWC');
    expect(ops[0]?.input).toEqual(['data']);
    expect(ops[0]?.output).toEqual(['data_NHWC']);
    expect(ops[0]?.name).toBe(''); // present though empty: presence is kept
    expect(net.external_input?.length).toBe(167);
    expect(net.external_output).toEqual(['score_nms', 'bbox_nms', 'class_nms', 'mask_fcn_probs']);
  });

  it('reads args: floats rounded to float32, ints, bytes, empty sub-messages', () => {
    const quant = ops[1] as OperatorDef;
    expect(quant.type).toBe('Int8Quantize');
    expect(argOf(quant, 'Y_scale')?.f).toBe(Math.fround(0.9891946315765381));
    expect(argOf(quant, 'Y_zero_point')?.i).toBe(0);
    const conv = ops[2] as OperatorDef;
    expect(conv.type).toBe('Int8ConvRelu');
    expect(conv.input).toEqual(['data_int8', 'conv0_conv_w_int8', 'conv0_bn_b_int8']);
    expect(argOf(conv, 'kernel')?.i).toBe(3);
    expect(argOf(conv, 'stride')?.i).toBe(2);
    expect(argOf(conv, 'order')?.s).toEqual(ascii('NHWC'));
    expect(argOf(conv, 'Y_scale')?.f).toBe(Math.fround(0.019664760679006577));
    expect(conv.device_option).toEqual({});
    expect(conv.engine).toBe('');
    expect(argOf(ops[4] as OperatorDef, 'group')?.i).toBe(16);
    expect(argOf(ops[4] as OperatorDef, 'Y_zero_point')?.i).toBe(136);
  });

  it('reads the If op with its then/else sub-nets', () => {
    const ifOp = ops.find((o) => o.type === 'If') as OperatorDef;
    expect(ifOp.input).toEqual(['is_bbox_rois_empty']);
    expect(argOf(ifOp, 'then_net')?.n).toEqual({ name: 'emptynet' });
    const maskNet = argOf(ifOp, 'else_net')?.n as NetDef;
    expect(maskNet.name).toBe('mask_net');
    expect(maskNet.op?.length).toBe(28);
    expect(maskNet.op?.[0]?.type).toBe('RoIAlign');
    expect(argOf(maskNet.op?.[0] as OperatorDef, 'spatial_scale')?.f).toBe(0.0625);
  });

  it('prints and re-parses to the same object and the same binary', () => {
    const again = parseTextFormat<NetDef>('NetDef', printTextFormat('NetDef', net));
    expect(again).toEqual(net);
    expect(new Uint8Array(encodeBinary('NetDef', again))).toEqual(new Uint8Array(encodeBinary('NetDef', net)));
  });
});

describe('parseTextFormat: strings and bytes', () => {
  it('octal escapes give exact bytes (Caffe2 writes uint8 weights this way)', () => {
    expect(parseArg('s: "\\377\\000\\1\\12\\177"').s).toEqual(bytes(255, 0, 1, 10, 127));
    // an octal escape takes at most three digits
    expect(parseArg('s: "\\0012"').s).toEqual(bytes(1, 0x32));
  });

  it('hex escapes \\xH and \\xHH give exact bytes', () => {
    expect(parseArg('s: "\\xff\\x0\\x7F\\xAbc"').s).toEqual(bytes(255, 0, 127, 0xab, 0x63));
  });

  it('simple escapes', () => {
    expect(parseArg(`s: "\\n\\r\\t\\"\\'\\\\\\a\\b\\f\\v\\?"`).s).toEqual(bytes(10, 13, 9, 34, 39, 92, 7, 8, 12, 11, 63));
  });

  it('single-quoted strings', () => {
    expect(parseArg(`name: 'it"s'`).name).toBe('it"s');
    expect(parseArg(`name: 'a\\'b'`).name).toBe("a'b");
  });

  it('adjacent quoted strings concatenate, also across lines and comments', () => {
    expect(parseArg('name: "ab" "cd"').name).toBe('abcd');
    expect(parseArg('s: "\\001" # one\n  \'\\002\' "" "\\003"').s).toEqual(bytes(1, 2, 3));
  });

  it('string fields decode UTF-8; \\u and \\U escapes', () => {
    expect(parseArg('name: "\\303\\251t\\303\\251"').name).toBe('été');
    expect(parseArg('name: "\\u00e9\\U0001F600\\ud83d\\ude00"').name).toBe('é😀😀');
    expect(parseArg('name: "héllo"').name).toBe('héllo');
    expect(parseArg('s: "é"').s).toEqual(bytes(0xc3, 0xa9));
    // a byte-order mark inside a string is data
    expect(parseArg('name: "\\357\\273\\277x"').name).toBe('\ufeffx');
  });

  it('empty strings are present', () => {
    expect(parseArg('name: ""')).toEqual({ name: '' });
    expect(parseArg('s: ""')).toEqual({ s: new Uint8Array(0) });
  });
});

describe('parseTextFormat: syntax', () => {
  it('sub-messages with {}, : {} and <> delimiters', () => {
    const a = parseNet('op { type: "A" } op: { type: "B" } op < type: "C" > op: < type: "D" >');
    expect(a.op?.map((o) => o.type)).toEqual(['A', 'B', 'C', 'D']);
    expect(parseNet('device_option < device_type: 0 >').device_option).toEqual({ device_type: 0 });
  });

  it('list syntax for scalars and messages', () => {
    const a = parseArg('ints: [1, 2, -3] floats: [0.5, 1e-3] strings: ["a", "b" "c"]');
    expect(a.ints).toEqual([1, 2, -3]);
    expect(a.floats).toEqual([0.5, Math.fround(1e-3)]);
    expect(a.strings).toEqual([ascii('a'), ascii('bc')]);
    const op = parseTextFormat<OperatorDef>('OperatorDef', 'arg [{name: "x" i: 1}, <name: "y">] arg: [{ name: "z" }]');
    expect(op.arg).toEqual([{ name: 'x', i: 1 }, { name: 'y' }, { name: 'z' }]);
  });

  it('repeated fields by repeating the name, mixed with lists; empty list adds nothing', () => {
    expect(parseArg('ints: 1 ints: [2, 3] ints: 4').ints).toEqual([1, 2, 3, 4]);
    expect(parseArg('name: "a" ints: []')).toEqual({ name: 'a' });
  });

  it('optional , and ; separators, comments, whitespace anywhere', () => {
    const text = '# header comment\n name:"n",type : "simple";\n\top{type:"A";input:"x",}# trailing\r\n external_input\n:\n"x" # last';
    expect(parseNet(text)).toEqual({ name: 'n', type: 'simple', op: [{ type: 'A', input: ['x'] }], external_input: ['x'] });
  });

  it('empty input gives an empty message; a leading byte-order mark is skipped', () => {
    expect(parseNet('')).toEqual({});
    expect(parseNet('  # only a comment\n')).toEqual({});
    expect(parseNet('\ufeffname: "x"')).toEqual({ name: 'x' });
  });

  it('empty sub-messages are present; a non-repeated message given twice is merged', () => {
    expect(parseNet('device_option {}')).toEqual({ device_option: {} });
    expect(parseNet('device_option { device_id: 1 } device_option { extra_info: "a" }').device_option).toEqual({ device_id: 1, extra_info: ['a'] });
  });
});

describe('parseTextFormat: numbers', () => {
  it('decimal, hex, octal and negative integers', () => {
    expect(parseArg('ints: [0, 42, 0x1F, 0X10, 017, -5, -0x10, 00]').ints).toEqual([0, 42, 31, 16, 15, -5, -16, 0]);
    expect(parseTextFormat('DeviceOption', 'device_id: -2147483648 random_seed: 4294967295')).toEqual({ device_id: -2147483648, random_seed: 4294967295 });
  });

  it('int64 beyond 2^53 is exact and stays a bigint through print and parse', () => {
    const a = parseArg('i: 9007199254740993 ints: [-9223372036854775808, 9223372036854775807, 9007199254740991, 0x7fffffffffffffff]');
    expect(a.i).toBe(9007199254740993n);
    expect(a.ints).toEqual([-9223372036854775808n, 9223372036854775807n, 9007199254740991, 9223372036854775807n]);
    const text = printTextFormat('Argument', a);
    expect(text).toContain('i: 9007199254740993\n');
    expect(parseArg(text)).toEqual(a);
    expect(decodeBinary<Argument>('Argument', encodeBinary('Argument', a))).toEqual(a);
  });

  it('floats are rounded to float32; doubles are kept', () => {
    expect(parseArg('f: 0.1').f).toBe(Math.fround(0.1));
    expect(parseArg('f: 0.0027075342').f).toBe(Math.fround(0.0027075342));
    expect(parseArg('f: 1.5e-3f').f).toBe(Math.fround(1.5e-3));
    expect(parseArg('f: 2F').f).toBe(2);
    expect(parseArg('f: .5').f).toBe(0.5);
    expect(parseArg('f: 3.').f).toBe(3);
    expect(parseArg('f: -7').f).toBe(-7);
    expect(parseArg('f: 1E+2').f).toBe(100);
    const q = parseTextFormat<QTensorProto>('QTensorProto', 'precision: 8 scale: 0.1 bias: -1e300 is_signed: false');
    expect(q.scale).toBe(0.1);
    expect(q.bias).toBe(-1e300);
  });

  it('inf, -inf, infinity and nan in any case', () => {
    const a = parseArg('floats: [inf, -inf, Infinity, -INF, nan, NaN, -nan]');
    expect(a.floats?.slice(0, 4)).toEqual([Infinity, -Infinity, Infinity, -Infinity]);
    expect(a.floats?.slice(4).every((x) => Number.isNaN(x))).toBe(true);
  });

  it('bool values: true/false/t/f/True/False/1/0', () => {
    const parse = (v: string): boolean | undefined => parseTextFormat<OperatorDef>('OperatorDef', `is_gradient_op: ${v}`).is_gradient_op;
    for (const v of ['true', 't', 'True', '1']) expect(parse(v)).toBe(true);
    for (const v of ['false', 'f', 'False', '0']) expect(parse(v)).toBe(false);
  });

  it('enums by name or number', () => {
    expect(parseTextFormat<TensorProto>('TensorProto', 'data_type: INT32').data_type).toBe(2);
    expect(parseTextFormat<TensorProto>('TensorProto', 'data_type: 13').data_type).toBe(13);
    expect(parseTextFormat<TensorProto>('TensorProto', 'data_type: UINT8').data_type).toBe(6);
    const q = parseTextFormat<QTensorProto>('QTensorProto', 'precision: 8 scale: 1 bias: 0 is_signed: true data_type: UINT8');
    expect(q.data_type).toBe(6);
  });
});

describe('parseTextFormat: errors name line and column', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown field', 'op {\n  type: "A"\n  foo: 1\n}', /pbtxt line 3, column 3: unknown field "foo" in caffe2\.OperatorDef/],
    ['unknown top-level field', 'nme: "x"', /line 1, column 1: unknown field "nme" in caffe2\.NetDef/],
    ['scalar given to a message field', 'op: 5', /line 1, column 5: field "op" is a message \(caffe2\.OperatorDef\)/],
    ['string given to a message field', 'device_option: "x"', /line 1, column 16: .*expected '\{' or '<'/],
    ['message given to a scalar field', 'name { }', /line 1, column 6: expected ':' after scalar field "name"/],
    ['missing closing brace', 'op {\n  type: "A"\n', /line 3, column 1: missing '\}' to close "op" opened at line 1, column 4/],
    ['missing closing angle', 'op < type: "A" }', /line 1, column 16: expected a field name or '>'/],
    ['stray closing brace', 'name: "x" }', /line 1, column 11: expected a field name/],
    ['garbage character', 'name: "x"\n  @', /line 2, column 3: unexpected character '@'/],
    ['garbage value', 'name: x', /line 1, column 7: expected a quoted string for string field "name"/],
    ['unterminated string', 'name: "abc', /line 1, column 7: unterminated string literal/],
    ['string across a line break', 'name: "ab\nc"', /line 1, column 7: unterminated string literal/],
    ['bad escape', 'name: "a\\qb"', /line 1, column 9: invalid escape sequence \\q/],
    ['short \\u escape', 'name: "\\u12"', /line 1, column 8: \\u escape needs exactly 4 hex digits/],
    ['lone surrogate', 'name: "\\ud800"', /line 1, column 8: unpaired surrogate/],
    ['invalid UTF-8 in a string field', 'name: "\\377"', /line 1, column 7: string field "name" is not valid UTF-8/],
    ['non-repeated scalar twice', 'name: "a"\nname: "b"', /line 2, column 1: Non-repeated field "name" is specified multiple times/],
    ['list for a non-repeated field', 'name: ["a"]', /line 1, column 7: list syntax "\[\.\.\.\]" used for non-repeated field "name"/],
    ['unclosed list', 'external_input: ["a" "b", "c"', /line 1, column 30: expected ',' or '\]'/],
    ['trailing comma in a list', 'external_input: ["a",]', /line 1, column 22: expected a quoted string/],
    ['extension syntax', '[foo.bar]: 1', /line 1, column 1: extension or Any syntax/],
  ];
  for (const [what, text, pattern] of cases) {
    it(what, () => {
      const e = errorOf(() => parseNet(text));
      expect(e.kind).toBe('invalid');
      expect(e.message).toMatch(pattern);
    });
  }

  const argCases: [string, string, RegExp][] = [
    ['octal escape above 255', 's: "\\400"', /line 1, column 5: octal escape .* out of range/],
    ['hex escape without digits', 's: "\\xg"', /line 1, column 5: \\x escape without hex digits/],
    ['int64 above range', 'i: 9223372036854775808', /line 1, column 4: value 9223372036854775808 is out of range for int64 field "i"/],
    ['int64 below range', 'i: -9223372036854775809', /line 1, column 4: value -9223372036854775809 is out of range for int64/],
    ['int64 with a hundred digits', `i: ${'9'.repeat(100)}`, /line 1, column 4: value 9{40}\.\.\. is out of range/],
    ['float given to an int field', 'i: 1.5', /line 1, column 4: expected an integer for int64 field "i"/],
    ['string given to an int field', 'i: "1"', /line 1, column 4: expected an integer/],
    ['bad octal', 'i: 09', /line 1, column 4: invalid octal number "09"/],
    ['malformed number', 'i: 12abc', /line 1, column 4: invalid number "12abc"/],
    ['two dots', 'f: 1.2.3', /line 1, column 4: invalid number "1\.2\.3"/],
    ['exponent without digits', 'f: 1e', /line 1, column 4: invalid number "1e": exponent digits expected/],
    ['hex given to a float field', 'f: 0x10', /line 1, column 4: expected a decimal number for float field "f"/],
    ['word given to a float field', 'f: foo', /line 1, column 4: expected a number for float field "f"/],
    ['missing colon before a scalar', 'i 5', /line 1, column 3: expected ':' after scalar field "i"/],
    ['missing value', 'i:', /line 1, column 3: expected an integer .* got end of input/],
  ];
  for (const [what, text, pattern] of argCases) {
    it(what, () => {
      expect(errorOf(() => parseArg(text)).message).toMatch(pattern);
    });
  }

  it('int32 and uint32 ranges', () => {
    expect(errorOf(() => parseTextFormat('DeviceOption', 'device_id: 2147483648')).message).toMatch(/line 1, column 12: value 2147483648 is out of range for int32 field "device_id"/);
    expect(errorOf(() => parseTextFormat('DeviceOption', 'device_id: -2147483649')).message).toMatch(/out of range for int32/);
    expect(errorOf(() => parseTextFormat('DeviceOption', 'random_seed: 4294967296')).message).toMatch(/out of range for uint32 field "random_seed"/);
    expect(errorOf(() => parseTextFormat('DeviceOption', 'random_seed: -1')).message).toMatch(/line 1, column 14: value -1 is out of range for uint32/);
  });

  it('bad bool and enum values', () => {
    expect(errorOf(() => parseTextFormat('OperatorDef', 'is_gradient_op: yes')).message).toMatch(/line 1, column 17: expected true or false/);
    expect(errorOf(() => parseTextFormat('OperatorDef', 'is_gradient_op: 2')).message).toMatch(/expected true or false/);
    expect(errorOf(() => parseTextFormat('TensorProto', 'data_type: INT33')).message).toMatch(/line 1, column 12: unknown value "INT33" of enum caffe2\.TensorProto\.DataType/);
    expect(errorOf(() => parseTextFormat('TensorProto', 'data_type: 11')).message).toMatch(/unknown value 11 of enum/);
  });

  it('missing required fields', () => {
    expect(errorOf(() => parseTextFormat('TensorProto', 'segment {\n begin: 0\n}')).message).toMatch(/line 3, column 1: missing required field "end" in caffe2\.TensorProto\.Segment/);
    expect(errorOf(() => parseTextFormat('QTensorProto', 'precision: 8')).message).toMatch(/missing required field "scale"/);
  });

  it('names the file when given', () => {
    const e = errorOf(() => parseTextFormat('NetDef', 'op {\n  foo: 1 }', 'nets/x.pbtxt'));
    expect(e.message).toBe('file nets/x.pbtxt: pbtxt line 2, column 3: unknown field "foo" in caffe2.OperatorDef');
    expect(e.context.file).toBe('nets/x.pbtxt');
  });
});

describe('parseTextFormat: pathological input', () => {
  const nested = (levels: number): string => {
    // NetDef -> arg (Argument) -> n (NetDef) -> ...: one message level per brace
    let open = '';
    let close = '';
    for (let i = 0; i < levels; i++) {
      open += i % 2 === 0 ? 'arg { ' : 'n { ';
      close += '} ';
    }
    return open + close;
  };

  it(`accepts ${MAX_TEXT_FORMAT_DEPTH} nested levels and rejects ${MAX_TEXT_FORMAT_DEPTH + 1}`, () => {
    expect(() => parseNet(nested(MAX_TEXT_FORMAT_DEPTH))).not.toThrow();
    expect(errorOf(() => parseNet(nested(MAX_TEXT_FORMAT_DEPTH + 1))).message).toMatch(/line 1, column \d+: messages nested deeper than 100 levels/);
  });

  it('very deep nesting is an error, not a stack overflow', () => {
    expect(errorOf(() => parseNet('arg { n { '.repeat(200_000))).message).toMatch(/nested deeper than 100 levels/);
    expect(errorOf(() => parseNet('arg < n < '.repeat(100_000))).message).toMatch(/line 1, column 505: messages nested deeper than 100 levels/);
    expect(errorOf(() => parseNet('arg [ { n { arg: [ < n: { '.repeat(100_000))).message).toMatch(/nested deeper than 100 levels/);
  });

  it('printing refuses messages nested deeper than the parser accepts', () => {
    let n: NetDef = {};
    for (let i = 0; i < 60; i++) n = { arg: [{ n }] };
    expect(errorOf(() => printTextFormat('NetDef', n)).message).toMatch(/nested deeper than 100 levels/);
  });

  it('large inputs parse (400,000 lines, a 1 MB string, 50,000 args)', () => {
    const lines = `${'external_input: "abcdefgh"\n'.repeat(400_000)}`;
    expect(parseNet(lines).external_input).toHaveLength(400_000);
    const longString = `s: "${'\\377'.repeat(500_000)}" "${'x'.repeat(500_000)}"`;
    expect(parseArg(longString).s?.length).toBe(1_000_000);
    const manyArgs = `${'arg { name: "a" f: 0.5 } '.repeat(50_000)}`;
    expect(parseNet(manyArgs).arg?.length).toBe(50_000);
  });
});

describe('printTextFormat', () => {
  it('writes fields in field-number order with two-space indentation', () => {
    const net: NetDef = {
      external_input: ['x'],
      op: [{ type: 'Int8Conv', input: ['x'], arg: [{ name: 'kernel', i: 3 }], device_option: {} }],
      name: 'n',
    };
    expect(printTextFormat('NetDef', net)).toBe(
      [
        'name: "n"',
        'op {',
        '  input: "x"',
        '  type: "Int8Conv"',
        '  arg {',
        '    name: "kernel"',
        '    i: 3',
        '  }',
        '  device_option {',
        '  }',
        '}',
        'external_input: "x"',
        '',
      ].join('\n'),
    );
    // TensorProto declares raw_data (13) before name (7): number order wins
    expect(printTextFormat('TensorProto', { raw_data: bytes(1), name: 't', dims: [2, 3] })).toBe('dims: 2\ndims: 3\nname: "t"\nraw_data: "\\001"\n');
  });

  it('escapes bytes the way Python does', () => {
    const s = bytes(0, 1, 9, 10, 13, 34, 39, 92, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0xff);
    expect(printTextFormat('Argument', { s })).toBe(`s: "\\000\\001\\t\\n\\r\\"\\'\\\\ A~\\177\\200\\377"\n`);
    expect(parseArg(printTextFormat('Argument', { s })).s).toEqual(s);
  });

  it('escapes the UTF-8 bytes of string fields', () => {
    expect(printTextFormat('Argument', { name: 'é"\n' })).toBe('name: "\\303\\251\\"\\n"\n');
  });

  it('prints floats as the shortest decimal that reads back to the same float32', () => {
    const print = (f: number): string => printTextFormat('Argument', { f: Math.fround(f) });
    expect(print(0.0027075342)).toBe('f: 0.0027075342\n');
    expect(print(0.1)).toBe('f: 0.1\n');
    expect(print(0.9891946315765381)).toBe('f: 0.98919463\n');
    expect(print(1)).toBe('f: 1\n');
    expect(print(-0)).toBe('f: -0\n');
    expect(print(3.4028234663852886e38)).toBe('f: 3.4028235e+38\n');
    expect(print(1e-45)).toBe('f: 1e-45\n');
    expect(printTextFormat('Argument', { floats: [Infinity, -Infinity, NaN] })).toBe('floats: inf\nfloats: -inf\nfloats: nan\n');
    // every float32 printed reads back bit-exactly
    const view = new DataView(new ArrayBuffer(4));
    let seed = 12345;
    for (let k = 0; k < 20_000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      view.setUint32(0, seed);
      const f = view.getFloat32(0);
      if (Number.isNaN(f)) continue;
      const back = parseArg(printTextFormat('Argument', { f })).f as number;
      expect(Object.is(back, f)).toBe(true);
    }
  });

  it('prints doubles in their shortest JS form', () => {
    const q: QTensorProto = { precision: 8, scale: 0.1, bias: -1e-300, is_signed: true, scales: [1 / 3, 2 ** 70] };
    const text = printTextFormat('QTensorProto', q);
    expect(text).toBe('precision: 8\nscale: 0.1\nbias: -1e-300\nis_signed: true\nscales: 0.3333333333333333\nscales: 1.1805916207174113e+21\n');
    expect(parseTextFormat('QTensorProto', text)).toEqual(q);
  });

  it('prints enums by name (unknown numbers as numbers) and ints in decimal', () => {
    expect(printTextFormat('TensorProto', { data_type: 2, int64_data: [-1, 2n ** 63n - 1n] })).toBe(
      'data_type: INT32\nint64_data: -1\nint64_data: 9223372036854775807\n',
    );
    expect(printTextFormat('TensorProto', { data_type: 11 })).toBe('data_type: 11\n');
  });

  it('round-trips a message using every kind of field', () => {
    const t: TensorProto = {
      dims: [2, 9007199254740993n],
      data_type: 6,
      float_data: [Math.fround(0.3), -0, Infinity],
      int32_data: [-2147483648, 2147483647],
      byte_data: bytes(0, 255, 7),
      string_data: [ascii('a'), bytes(0, 10)],
      double_data: [0.1, -1e300],
      int64_data: [-9223372036854775808n, 5],
      raw_data: new Uint8Array(0),
      name: 'tënsor\t',
      device_detail: { device_type: 0, random_seed: 4294967295, extra_info: ['k=v'] },
      segment: { begin: 0, end: 10 },
      data_format: 1,
    };
    const text = printTextFormat('TensorProto', t);
    expect(parseTextFormat('TensorProto', text)).toEqual(t);
    const net: NetDef = { name: 'outer', arg: [{ name: 'sub', n: { name: 'inner', op: [{ type: 'Relu' }] }, tensors: [t] }] };
    expect(parseNet(printTextFormat('NetDef', net))).toEqual(net);
    expect(printTextFormat('NetDef', {})).toBe('');
  });
});
