// The wasm kernels' outputs stay in their (shared) memory as views, freed when no blob holds
// them (src/kernels/wasm-outputs.ts): values must never change under a blob that still holds
// them, and a net run over and over must reuse the memory instead of growing it.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import { stepNet } from '../src/compare/step.js';
import { getWasmKernels } from '../src/kernels/wasm-module.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { i, int32Fill, int8Fill, net, NHWC, op, rng, yArgs } from './helpers.js';

const r = rng(7);
const bytes = (count: number) => Array.from({ length: count }, () => Math.floor(r() * 256));
const CH = 16;

/** x (32x32x16) -> conv 1x1 -> dw 3x3 -> add with x -> max pool: every wasm op, outputs reused. */
const init = net('init', [
  int8Fill('x', [1, 32, 32, CH], bytes(32 * 32 * CH), 0.05, 128),
  int8Fill('w1', [CH, 1, 1, CH], bytes(CH * CH), 0.01, 128),
  int32Fill('b1', [CH], bytes(CH)),
  int8Fill('w2', [CH, 3, 3, 1], bytes(CH * 9), 0.02, 128),
  int32Fill('b2', [CH], bytes(CH)),
]);
const body = net('body', [
  op('Int8Conv', ['x', 'w1', 'b1'], ['y1'], [NHWC, i('kernel', 1), ...yArgs(0.2, 120)]),
  op('Int8ConvRelu', ['y1', 'w2', 'b2'], ['y2'], [NHWC, i('kernel', 3), i('pad', 1), i('group', CH), ...yArgs(0.3, 0)]),
  op('Int8Add', ['y2', 'x'], ['y3'], yArgs(0.4, 100)),
  op('Int8MaxPool', ['y3'], ['y4'], [NHWC, i('kernel', 2), i('stride', 2), ...yArgs(0.4, 100)]),
]);
const outputs = ['y1', 'y2', 'y3', 'y4'];

function fetchAll(ws: Workspace): Uint8Array[] {
  return outputs.map((n) => ws.FetchInt8Blob(n).data as Uint8Array);
}

function reference(): Uint8Array[] {
  const ws = new Workspace({ kernels: 'js' });
  ws.RunNetOnce(init);
  ws.RunNetOnce(body);
  return fetchAll(ws);
}

describe('wasm kernel outputs held in wasm memory', () => {
  const expected = reference();
  const k = getWasmKernels();

  it('the kernels run on shared memory here, so outputs stay there', () => {
    expect(k?.shared).toBe(true);
    const ws = new Workspace({ kernels: 'wasm', threads: 1 });
    ws.RunNetOnce(init);
    ws.RunNetOnce(body);
    const y = ws.getBlob('y4') as Int8Tensor;
    expect(y.data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('a net run again and again gives the same bytes and reuses its memory', () => {
    const ws = new Workspace({ kernels: 'wasm', threads: 1 });
    ws.RunNetOnce(init);
    ws.CreateNet(body);
    ws.RunNet('body', 3);
    const size = k!.memory.buffer.byteLength;
    // Each run writes about 50 KB of outputs: 200 runs would grow the memory if blocks leaked.
    ws.RunNet('body', 200);
    expect(k!.memory.buffer.byteLength).toBe(size);
    fetchAll(ws).forEach((y, n) => expect(Buffer.compare(y, expected[n]!), outputs[n]).toBe(0));
  });

  it('a value another workspace holds outlives its first blob', () => {
    const a = new Workspace({ kernels: 'wasm', threads: 1 });
    a.RunNetOnce(init);
    a.RunNetOnce(body);
    const b = new Workspace({ kernels: 'wasm', threads: 1 });
    for (const n of outputs) b.setBlob(n, a.getBlob(n));
    // a drops its values (Reset, then runs that take new blocks); b still holds them.
    a.ResetWorkspace();
    a.RunNetOnce(init);
    a.RunNetOnce(body);
    a.RunNetOnce(body);
    fetchAll(b).forEach((y, n) => expect(Buffer.compare(y, expected[n]!), outputs[n]).toBe(0));
    fetchAll(a).forEach((y, n) => expect(Buffer.compare(y, expected[n]!), outputs[n]).toBe(0));
  });

  it('an in-place op frees its input only after reading it', () => {
    const ws = new Workspace({ kernels: 'wasm', threads: 1 });
    ws.RunNetOnce(init);
    ws.RunNetOnce(net('inplace', [
      op('Int8Conv', ['x', 'w1', 'b1'], ['t'], [NHWC, i('kernel', 1), ...yArgs(0.2, 120)]),
      op('Int8ConvRelu', ['t', 'w2', 'b2'], ['u'], [NHWC, i('kernel', 3), i('pad', 1), i('group', CH), ...yArgs(0.3, 0)]),
      op('Int8Add', ['u', 'x'], ['u'], yArgs(0.4, 100)),
      op('Int8MaxPool', ['u'], ['v'], [NHWC, i('kernel', 2), i('stride', 2), ...yArgs(0.4, 100)]),
    ]));
    expect(Buffer.compare(ws.FetchInt8Blob('u').data as Uint8Array, expected[2]!)).toBe(0);
    expect(Buffer.compare(ws.FetchInt8Blob('v').data as Uint8Array, expected[3]!)).toBe(0);
  });

  it('a fetched copy keeps its bytes after the blob is rewritten', () => {
    const ws = new Workspace({ kernels: 'wasm', threads: 1 });
    ws.RunNetOnce(init);
    ws.RunNetOnce(body);
    const copy = ws.FetchInt8Blob('y1').data as Uint8Array;
    expect(copy.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    ws.setBlob('x', new Int8Tensor(new Uint8Array(32 * 32 * CH).fill(7), [1, 32, 32, CH], 0.05, 128));
    ws.RunNetOnce(body);
    expect(Buffer.compare(copy, expected[0]!)).toBe(0);
    expect(Buffer.compare(ws.FetchInt8Blob('y1').data as Uint8Array, expected[0]!)).not.toBe(0);
  });

  it('a compare step keeps the input an in-place op replaced until the caller moves on', () => {
    const ws = new Workspace({ kernels: 'wasm', threads: 1 });
    ws.RunNetOnce(init);
    ws.RunNetOnce(net('first', [op('Int8Conv', ['x', 'w1', 'b1'], ['u'], [NHWC, i('kernel', 1), ...yArgs(0.2, 120)])]));
    const before = ws.FetchInt8Blob('u').data as Uint8Array;
    const steps = stepNet(ws, net('inplace', [op('Int8Add', ['u', 'u'], ['u'], yArgs(0.4, 100)), op('Int8Add', ['x', 'x'], ['v'], yArgs(0.4, 100))]));
    const step = steps.next().value!;
    // A same-sized output made now would take the replaced input's block were it freed.
    const other = new Workspace({ kernels: 'wasm', threads: 1 });
    other.RunNetOnce(init);
    other.RunNetOnce(net('again', [op('Int8Add', ['x', 'x'], ['z'], yArgs(0.3, 10))]));
    expect(Buffer.compare((step.inputs[0] as Int8Tensor).data as Uint8Array, before)).toBe(0);
    steps.next();
  });
});
