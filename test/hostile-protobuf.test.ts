// Hostile NetDef files: truncated or garbage binary protobuf (the error names the byte offset),
// huge varint lengths, deep nesting through Argument.n, and .pbtxt junk. Every refusal is a
// Caffe2Error of kind 'invalid' naming the file; nothing else may escape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetDef, serializeNetDef } from '../src/netdef-io.js';
import { decodeBinary, encodeBinary, MAX_BINARY_NESTING } from '../src/proto/schema.js';
import { MAX_TEXT_FORMAT_DEPTH, parseTextFormat, printTextFormat } from '../src/proto/text-format.js';
import type { NetDef } from '../src/proto/types.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { PROJECT_ROOT } from './golden-cases.js';
import { nestedNetDef, nestedNetDefText } from './fixtures/fuzz-api.js';

const SEED_INIT = new Uint8Array(readFileSync(join(PROJECT_ROOT, 'examples', 'seed', 'init_net.pb')));
const SEED_PREDICT = new Uint8Array(readFileSync(join(PROJECT_ROOT, 'examples', 'seed', 'predict_net.pb')));

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('binary .pb: truncated and garbage input, with byte offsets', () => {
  it('init_net.pb cut 100 bytes short: "truncated or corrupt at byte N", naming the file', () => {
    const cut = SEED_INIT.subarray(0, SEED_INIT.length - 100);
    const e = refused(() => parseNetDef(cut, 'init_net.pb'), { kind: 'invalid', context: { file: 'init_net.pb' } });
    expect(e.reason).toMatch(/^not a valid binary caffe2\.NetDef protobuf \(truncated or corrupt at byte \d+: /);
    const at = Number(/at byte (\d+)/.exec(e.reason)![1]);
    expect(at).toBeLessThanOrEqual(cut.length);
    expect(e.message).toMatch(/^file init_net\.pb: /);
  });

  it('every prefix of predict_net.pb either parses or is refused with a byte offset', () => {
    for (let n = 0; n < SEED_PREDICT.length; n++) {
      try {
        parseNetDef(SEED_PREDICT.subarray(0, n), 'p.pb');
      } catch (e) {
        const err = refused(() => {
          throw e;
        });
        expect(err.reason, `prefix ${n}`).toMatch(/at byte \d+|pbtxt line/);
      }
    }
  });

  it('a protobufjs "index out of range: POS + N > LEN" becomes "at byte POS"', () => {
    // NetDef.name (field 1, wire type 2) claiming 10 bytes where 3 remain.
    const e = refused(() => decodeBinary<NetDef>('NetDef', bytes(0x0a, 0x0a, 0x61, 0x62, 0x63)), { kind: 'invalid' });
    expect(e.reason).toBe('truncated or corrupt at byte 2: a value needs 10 bytes there, but the data ends at byte 5');
  });

  it('a sub-message running past its parent is refused at the byte where it starts', () => {
    // NetDef.op (field 2) of length 3 holding OperatorDef.type (field 4) claiming 100 bytes.
    const e = refused(() => decodeBinary<NetDef>('NetDef', bytes(0x12, 0x03, 0x22, 0x64, 0x78)));
    expect(e.reason).toMatch(/at byte \d+/);
  });

  it('huge varint lengths (2^31, 2^32, 2^63, 2^64-1) are refused without allocating', () => {
    for (const len of [[0x80, 0x80, 0x80, 0x80, 0x08], [0x80, 0x80, 0x80, 0x80, 0x10], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]) {
      // NetDef.name and NetDef.op (a message), each with the huge length and a few bytes.
      for (const tag of [0x0a, 0x12]) {
        refused(() => parseNetDef(bytes(tag, ...len, 0x41, 0x42, 0x43), 'huge.pb'), { kind: 'invalid', reason: /at byte \d+/, context: { file: 'huge.pb' } });
      }
    }
  });

  it('a varint of 11 bytes, an invalid wire type, a lone end-group tag', () => {
    refused(() => parseNetDef(bytes(0x08, ...new Array(10).fill(0xff), 0x01), 'v.pb'), { reason: /at byte \d+/ });
    // unknown field 15, wire type 7
    refused(() => parseNetDef(bytes(0x7f, 0x00, 0x01), 'w.pb'), { reason: /invalid wire type 7 in the field tag that ends at byte 1/ });
    // unknown field 15 with wire type 6
    refused(() => parseNetDef(bytes(0x7e, 0x01), 'w6.pb'), { reason: /invalid wire type 6/ });
    refused(() => parseNetDef(bytes(0x0c), 'g.pb'), { reason: /at byte|wire type 4/ });
  });

  it('random garbage is refused, never thrown as another error type', () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
    for (let k = 0; k < 300; k++) {
      const junk = Uint8Array.from({ length: 1 + (k % 64) }, next);
      try {
        parseNetDef(junk, 'junk.pb');
      } catch (e) {
        refused(() => {
          throw e;
        }, { context: { file: 'junk.pb' } });
      }
    }
  });

  it('a required field missing in a nested message (TensorProto.segment.begin) is refused', () => {
    // Argument.t (field 10) { TensorProto.segment (field 11) { end: 1 } } inside NetDef.arg (field 6).
    const segment = [0x10, 0x01];
    const tensor = [0x5a, segment.length, ...segment];
    const arg = [0x52, tensor.length, ...tensor];
    refused(() => parseNetDef(bytes(0x32, arg.length, ...arg), 'req.pb'), { reason: /caffe2\.TensorProto\.Segment lacks its required field "begin"/, context: { file: 'req.pb' } });
  });

  it('Workspace verbs given serialized bytes refuse them with a Caffe2Error too', () => {
    const ws = new Workspace();
    const cut = SEED_PREDICT.subarray(0, 40);
    refused(() => ws.RunNetOnce(cut), { reason: /at byte \d+/ });
    refused(() => ws.CreateNet(cut), { reason: /at byte \d+/ });
    refused(() => ws.RunOperatorOnce(bytes(0x22, 0x50, 0x41)), { reason: /at byte \d+/ });
  });
});

describe('nesting depth: Argument.n holds NetDefs', () => {
  it(`binary: ${MAX_BINARY_NESTING} levels of messages decode, deeper ones are refused`, () => {
    // Each NetDef level is two messages deep (NetDef.arg -> Argument.n).
    const ok = parseNetDef(nestedNetDef(MAX_BINARY_NESTING / 2 - 1), 'ok.pb');
    expect(ok.arg?.[0]?.n?.arg).toBeDefined();
    refused(() => parseNetDef(nestedNetDef(MAX_BINARY_NESTING / 2 + 1), 'deep.pb'), { kind: 'invalid', reason: /nested deeper than 100 levels at byte \d+/, context: { file: 'deep.pb' } });
  });

  it('binary: 100000 levels (about 1.3 MB) are refused cleanly, not with a stack overflow', () => {
    const deep = nestedNetDef(100000);
    expect(deep.length).toBeGreaterThan(1_000_000);
    refused(() => parseNetDef(deep, 'very-deep.pb'), { reason: /nested deeper than 100 levels/ });
  });

  it(`text: ${MAX_TEXT_FORMAT_DEPTH} levels parse, deeper ones are refused with line and column`, () => {
    parseTextFormat('NetDef', nestedNetDefText(MAX_TEXT_FORMAT_DEPTH / 2));
    refused(() => parseNetDef(new TextEncoder().encode(nestedNetDefText(MAX_TEXT_FORMAT_DEPTH / 2 + 1)), 'deep.pbtxt'), {
      reason: /pbtxt line 1, column \d+: messages nested deeper than 100 levels/,
      context: { file: 'deep.pbtxt' },
    });
    refused(() => parseTextFormat('NetDef', nestedNetDefText(50000)), { reason: /nested deeper/ });
  });

  it('printing or encoding a net nested too deeply is refused, not a stack overflow', () => {
    let net: NetDef = { name: 'leaf' };
    for (let d = 0; d < 20000; d++) net = { arg: [{ name: 'n', n: net }] };
    refused(() => printTextFormat('NetDef', net), { reason: /nested deeper/ });
    refused(() => serializeNetDef(net, 'binary'), { reason: /nested/ });
  });
});

describe('.pbtxt junk', () => {
  const junk: Array<[string, RegExp]> = [
    ['op { type: "Int8Conv"', /line 1, column \d+: missing '}' to close "op"/],
    ['name: "unterminated', /unterminated string literal/],
    ['name: "a" name: "b"', /Non-repeated field "name" is specified multiple times/],
    ['bogus_field: 1', /unknown field "bogus_field" in caffe2\.NetDef/],
    ['op { arg { name: "k" i: 99999999999999999999999 } }', /out of range for int64 field "i"/],
    ['op { arg { name: "k" f: 0x10 } }', /expected a decimal number for float field "f"/],
    ['op { arg { name: "k" s: "\\777" } }', /octal escape/],
    ['op { arg { name: "k" s: "\\ud800" } }', /unpaired surrogate/],
    ['external_input: [1, 2]', /expected a quoted string/],
    ['op { device_option { device_type: 1e5 } }', /expected an integer/],
    ['name: "x" }', /expected a field name in caffe2\.NetDef, got '}'/],
    ['[ext.field]: 1', /extension or Any syntax/],
    ['name: "\u00e9" \u0001', /./],
  ];
  for (const [text, reason] of junk) {
    it(JSON.stringify(text), () => {
      const e = refused(() => parseNetDef(new TextEncoder().encode(text), 'junk.pbtxt'), { kind: 'invalid', context: { file: 'junk.pbtxt' } });
      expect(e.reason).toMatch(reason);
    });
  }

  it('an empty file is an empty NetDef (as Caffe2 reads it); a file of spaces too', () => {
    expect(parseNetDef(new Uint8Array(0), 'empty.pb')).toEqual({});
    expect(parseNetDef(new TextEncoder().encode('  \n\t'), 'blank.pbtxt')).toEqual({});
  });

  it('the seed net printed to text and cut anywhere either parses or is refused with line and column', () => {
    const text = printTextFormat('NetDef', parseNetDef(SEED_PREDICT));
    for (let n = 0; n < text.length; n += 7) {
      try {
        parseNetDef(new TextEncoder().encode(text.slice(0, n)), 'cut.pbtxt');
      } catch (e) {
        const err = refused(() => {
          throw e;
        }, { context: { file: 'cut.pbtxt' } });
        expect(err.reason).toMatch(/pbtxt line \d+, column \d+|at byte \d+/);
      }
    }
  });

  it('encodeBinary round trip of the refusal-free part stays intact', () => {
    const net = parseNetDef(SEED_PREDICT);
    expect(decodeBinary<NetDef>('NetDef', encodeBinary('NetDef', net))).toEqual(net);
  });
});
