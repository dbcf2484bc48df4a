// Hostile .npy inputs: headers that disagree with their data, absurd shapes and header lengths
// (refused before anything is allocated), nesting in the header literal, and well-formed files
// whose dtype or shape the net cannot take (refused by the op, naming the blob).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpyFile } from '../src/node/files.js';
import { encodeNpy, parseNpy } from '../src/npy.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { f, i, net, op } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'caffe2-int8-hostile-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A version 1.0 .npy with the given header dict text (padded to 64) and data bytes. */
function npy(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let text = dict;
  text += ' '.repeat((64 - ((prefix + text.length + 1) % 64)) % 64);
  text += '\n';
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let k = 0; k < text.length; k++) out[prefix + k] = text.charCodeAt(k);
  out.set(data, prefix + text.length);
  return out;
}

const header = (descr: string, shape: string) => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;

describe('.npy headers that disagree with their data', () => {
  it('fewer data bytes than the shape needs', () => {
    refused(() => parseNpy(npy(header('<f4', '(2, 3)'), new Uint8Array(20)), { file: 'short.npy' }), {
      kind: 'invalid',
      reason: /truncated: shape \(2, 3\) of float32 needs 24 bytes, the file holds 20/,
      context: { file: 'short.npy' },
    });
  });

  it('more data bytes than the shape needs', () => {
    refused(() => parseNpy(npy(header('|u1', '(4,)'), new Uint8Array(5)), { file: 'long.npy' }), { reason: /1 bytes of extra data/ });
  });

  it('a dtype whose item size disagrees with the data (i8 header over 4-byte data)', () => {
    refused(() => parseNpy(npy(header('<i8', '(3,)'), new Uint8Array(12)), { file: 'dt.npy' }), { reason: /needs 24 bytes, the file holds 12/ });
  });

  it('a header length that runs past the end of the file', () => {
    const b = npy(header('<f4', '(1,)'), new Uint8Array(4));
    new DataView(b.buffer).setUint16(8, 60000, true);
    refused(() => parseNpy(b, { file: 'hl.npy' }), { reason: /header length 60000 runs past the end of the file/ });
  });

  it('a 4 GiB header length (format 2.0) is refused as absurd before reading anything', () => {
    const b = npy(header('<f4', '(1,)'), new Uint8Array(4), 2);
    new DataView(b.buffer).setUint32(8, 0xffffffff, true);
    refused(() => parseNpy(b, { file: 'hl2.npy' }), { reason: /header length 4294967295 is absurd/ });
  });

  it('bool data holding bytes other than 0 and 1', () => {
    refused(() => parseNpy(npy(header('|b1', '(2,)'), Uint8Array.from([1, 7])), { file: 'b.npy' }), { reason: /bool element 1 holds byte 7/ });
  });
});

describe('.npy shapes that would allocate too much are refused before allocating', () => {
  it('10^15 elements', () => {
    refused(() => parseNpy(npy(header('<f4', '(1000000, 1000000, 1000)'), new Uint8Array(0)), { file: 'huge.npy' }), { reason: /over the limit of 1073741824/ });
  });

  it('dims beyond 2^53 and products that overflow', () => {
    refused(() => parseNpy(npy(header('<f4', '(99999999999999999999,)'))), { reason: /dimension too large/ });
    refused(() => parseNpy(npy(header('|u1', '(9007199254740991, 9007199254740991)'))), { reason: /too many elements/ });
  });

  it('a negative dimension', () => {
    refused(() => parseNpy(npy(header('<f4', '(2, -3)'))), { reason: /negative dimension -3/ });
  });

  it('the workspace limit (maxTensorBytes) applies to reading, via readNpyFile', () => {
    const file = join(tmp, 'limit.npy');
    writeFileSync(file, encodeNpy(new Tensor('float32', [64], new Float32Array(64))));
    expect(readNpyFile(file).dims).toEqual([64]);
    refused(() => readNpyFile(file, 255), { reason: /needs 256 bytes, over the limit of 255/, context: { file } });
  });

  it('a header literal nested thousands of levels deep is refused, not a stack overflow', () => {
    const deep = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(5000)}1,${'),'.repeat(4999)}), }`;
    refused(() => parseNpy(npy(deep)), { reason: /nested too deeply/ });
  });

  it('a missing file is refused naming it', () => {
    const file = join(tmp, 'does-not-exist.npy');
    refused(() => readNpyFile(file), { reason: /cannot read file/, context: { file } });
  });
});

describe('well-formed .npy files the net cannot take', () => {
  const quantizeNet = net('q', [op('Int8Quantize', ['x'], ['xq'], [f('Y_scale', 0.5), i('Y_zero_point', 0)])], ['x'], ['xq']);

  it('float64 data fed to Int8Quantize: a dtype mismatch naming the op and the blob', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', parseNpy(npy(header('<f8', '(2,)'), new Uint8Array(16))));
    refused(() => ws.RunNetOnce(quantizeNet), {
      reason: /caller expects elements of float, while tensor contains float64/,
      context: { net: 'q', opIndex: 0, opType: 'Int8Quantize', blob: 'x' },
    });
  });

  it('a 2-D float input to NCHW2NHWC: refused for its rank', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', parseNpy(npy(header('<f4', '(2, 2)'), new Uint8Array(16))));
    refused(() => ws.RunNetOnce(net('l', [op('NCHW2NHWC', ['x'], ['y'])], ['x'])), { reason: /at least 3 dims/, context: { opType: 'NCHW2NHWC', blob: 'x' } });
  });

  it('FeedBlob refuses a tensor over the workspace maxTensorBytes, naming the blob', () => {
    const ws = new Workspace({ maxTensorBytes: 100 });
    refused(() => ws.FeedBlob('big', new Float32Array(26), [26]), { reason: /needs 104 bytes, over the limit of 100/, context: { blob: 'big' } });
    refused(() => ws.FeedBlob('bad', new Float32Array(5), [2, 3]), { reason: /needs 6 elements, got 5/, context: { blob: 'bad' } });
    refused(() => ws.FeedBlob('neg', new Float32Array(0), [-1]), { reason: /invalid dimension -1/, context: { blob: 'neg' } });
    expect(ws.HasBlob('big')).toBe(false);
  });
});
