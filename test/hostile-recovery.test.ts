// A failed run leaves the workspace usable: blobs that existed before the failing op keep their
// contents, the failing op's outputs are not written, and the next run (RunNetOnce, or RunNet of
// a created net) works and gives the same bytes as a fresh workspace. Failures are tried at op
// creation and at run time.
import { describe, expect, it } from 'vitest';
import type { NetDef, OperatorDef } from '../src/proto/types.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { f, i, int32Fill, int8Fill, ints, net, NHWC, op, s } from './helpers.js';

const X_VALUES = Float32Array.from({ length: 1 * 4 * 4 * 2 }, (_, k) => ((k * 7) % 13) / 10 - 0.3);

const init = (biasCount = 3): NetDef =>
  net('init', [
    int8Fill('W', [3, 3, 3, 2], Array.from({ length: 54 }, (_, k) => 100 + ((k * 11) % 57)), 0.02, 128),
    int32Fill('B', [biasCount], Array.from({ length: biasCount }, (_, k) => k * 5 - 4)),
  ]);

const quantize: OperatorDef = op('Int8Quantize', ['x'], ['xq'], [f('Y_scale', 0.01), i('Y_zero_point', 30)]);
const conv: OperatorDef = op('Int8Conv', ['xq', 'W', 'B'], ['yq'], [NHWC, i('kernel', 3), i('pad', 1), f('Y_scale', 0.05), i('Y_zero_point', 100)]);
const dequantize: OperatorDef = op('Int8Dequantize', ['yq'], ['y']);
const predict = net('predict', [quantize, conv, dequantize], ['x', 'W', 'B'], ['y']);

function freshResult(): Float32Array {
  const ws = new Workspace();
  ws.RunNetOnce(init());
  ws.FeedBlob('x', X_VALUES, [1, 4, 4, 2]);
  ws.RunNetOnce(predict);
  return (ws.FetchBlob('y') as Tensor<Float32Array>).data;
}

/** Every blob's contents, copied, for before/after comparisons. */
function snapshot(ws: Workspace): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const name of ws.Blobs()) {
    const v = ws.getBlob(name);
    if (v instanceof Int8Tensor) out.set(name, { data: Array.from(v.data), dims: [...v.dims], scale: v.scale, zp: v.zeroPoint });
    else if (v instanceof Tensor) out.set(name, { data: Array.from(v.data as ArrayLike<number>), dims: [...v.dims], dtype: v.dtype });
    else out.set(name, v);
  }
  return out;
}

function setUp(): Workspace {
  const ws = new Workspace();
  ws.RunNetOnce(init());
  ws.FeedBlob('x', X_VALUES, [1, 4, 4, 2]);
  return ws;
}

describe('a failure at op creation', () => {
  it('RunNetOnce: an unknown op at index 2 runs nothing, keeps every blob, and the next run works', () => {
    const ws = setUp();
    ws.RunNetOnce(predict);
    const before = snapshot(ws);
    const bad = net('bad', [quantize, conv, op('NoSuchOp', ['yq'], ['yq'])]);
    refused(() => ws.RunNetOnce(bad), { kind: 'unsupported', context: { net: 'bad', opIndex: 2, opType: 'NoSuchOp' } });
    expect(snapshot(ws)).toEqual(before);
    ws.RunNetOnce(predict);
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });

  it('CreateNet: a failed creation registers nothing and leaves the net of that name in place', () => {
    const ws = setUp();
    ws.CreateNet(predict);
    const badSameName = net('predict', [quantize, op('Int8Conv', ['xq', 'W', 'missing'], ['yq'], [NHWC, i('kernel', 3)])]);
    refused(() => ws.CreateNet(badSameName, true), { reason: /non-existing input blob: missing/, context: { net: 'predict', opIndex: 1, blob: 'missing' } });
    refused(() => ws.CreateNet(net('other', [op('Int8Conv', ['xq', 'W'], ['yq'], [i('kernel', 0), NHWC, s('order', 'NHWC')])])), { reason: /Duplicated argument name \[order\]/ });
    expect(ws.Nets()).toEqual(['predict']);
    ws.RunNet('predict');
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });
});

describe('a failure at run time', () => {
  it('RunNetOnce: ops before the failing one are kept, its outputs are not written, earlier blobs are intact', () => {
    const ws = setUp();
    ws.RunNetOnce(predict);
    const y0 = (ws.FetchBlob('y') as Tensor<Float32Array>).data;
    const yq0 = ws.FetchInt8Blob('yq');
    // A 5x5 kernel over the 3x3 weights: the conv (op 1) fails when it runs.
    const bad = net('bad', [op('Int8Quantize', ['x'], ['xq'], [f('Y_scale', 0.02), i('Y_zero_point', 7)]), { ...conv, arg: [NHWC, i('kernel', 5), i('pad', 2), f('Y_scale', 0.05)] }, dequantize]);
    refused(() => ws.RunNetOnce(bad), { kind: 'invalid', reason: /weights are 3x3 but the kernel arguments say 5x5/, context: { net: 'bad', opIndex: 1, opType: 'Int8Conv', blob: 'W' } });
    // Op 0 ran and committed its output, as in Caffe2; op 1 and op 2 wrote nothing.
    expect(ws.FetchInt8Blob('xq')).toMatchObject({ zero_point: 7 });
    expect(ws.FetchInt8Blob('yq')).toEqual(yq0);
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(y0);
    ws.RunNetOnce(predict);
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });

  it('an in-place op that fails leaves its input untouched', () => {
    const ws = setUp();
    ws.RunNetOnce(net('q', [quantize]));
    const before = ws.FetchInt8Blob('xq');
    refused(() => ws.RunNetOnce(net('r', [op('Int8Reshape', ['xq'], ['xq', 'old'], [ints('shape', [7, -1]), f('Y_scale', 0.01), i('Y_zero_point', 30)])])), { reason: /does not agree with the input data/, context: { opType: 'Int8Reshape' } });
    expect(ws.FetchInt8Blob('xq')).toEqual(before);
  });

  it('a refused FeedBlob keeps the blob it would have replaced', () => {
    const ws = setUp();
    refused(() => ws.FeedBlob('x', new Float32Array(3), [2, 2]), { context: { blob: 'x' } });
    expect((ws.FetchBlob('x') as Tensor<Float32Array>).data).toEqual(X_VALUES);
  });
});

describe('RunNet on a created net after a failure', () => {
  it('a bad feed fails the first run before any op froze its plan; the right feed then runs', () => {
    const ws = new Workspace();
    ws.RunNetOnce(init());
    ws.FeedBlob('x', new Float64Array(32), [1, 4, 4, 2]);
    ws.CreateNet(predict);
    refused(() => ws.RunNet('predict'), { reason: /caller expects elements of float, while tensor contains float64/, context: { net: 'predict', opIndex: 0, opType: 'Int8Quantize', blob: 'x' } });
    expect(ws.RunNet('predict', 1, true)).toBe(false);
    ws.FeedBlob('x', X_VALUES, [1, 4, 4, 2]);
    ws.RunNet('predict');
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
    ws.RunNet('predict');
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });

  it('a conv whose first run failed (bias of the wrong size) creates its plan on the next run', () => {
    const ws = new Workspace();
    ws.RunNetOnce(init(4));
    ws.FeedBlob('x', X_VALUES, [1, 4, 4, 2]);
    ws.CreateNet(predict);
    refused(() => ws.RunNet('predict'), { reason: /bias has 4 elements, expected 3/, context: { opIndex: 1, opType: 'Int8Conv', blob: 'B' } });
    expect(ws.HasBlob('y')).toBe(true);
    expect(ws.getBlob('y')).toBeUndefined();
    ws.RunNetOnce(init(3));
    ws.RunNet('predict');
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });

  it('a run refused by a limit keeps the created net usable once the input is smaller', () => {
    const ws = new Workspace({ maxOpWork: 2000 });
    ws.RunNetOnce(init());
    ws.FeedBlob('x', new Float32Array(1 * 8 * 8 * 2), [1, 8, 8, 2]);
    ws.CreateNet(predict);
    refused(() => ws.RunNet('predict'), { reason: /per-op work limit of 2000/, context: { opIndex: 1, opType: 'Int8Conv' } });
    ws.FeedBlob('x', X_VALUES, [1, 4, 4, 2]);
    ws.RunNet('predict');
    expect((ws.FetchBlob('y') as Tensor<Float32Array>).data).toEqual(freshResult());
  });
});
