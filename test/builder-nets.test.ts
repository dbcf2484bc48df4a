// A MobileNetV2 block and a ShuffleNet unit written with the builder, the way a user translates
// Caffe2 Python: op methods with plain keyword-style arguments. Their weights come from the
// golden cases of the same nets, so the builder's nets must reproduce the golden bytes exactly.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelHelper } from '../src/builder.js';
import { readNetFile, readNpyFile } from '../src/node/files.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { GOLDEN } from './golden-cases.js';

/** The golden case's parameter blobs, fetched as a user holding the weights would have them. */
function goldenParams(caseName: string): Workspace {
  const ws = new Workspace();
  ws.RunNetOnce(readNetFile(join(GOLDEN, caseName, 'init_net.pb')));
  return ws;
}

/** param_init_net fills for the named Int8 blobs, copied from a workspace. */
function addFills(m: ModelHelper, src: Workspace, names: string[]): void {
  for (const name of names) {
    const t = src.FetchInt8Blob(name);
    const args = { shape: t.dims, values: t.data, Y_scale: t.scale, Y_zero_point: t.zero_point };
    if (t.data instanceof Uint8Array) m.param_init_net.Int8GivenTensorFill([], name, args);
    else m.param_init_net.Int8GivenIntTensorFill([], name, args);
  }
}

function expectBytes(ws: Workspace, blob: string, file: string): void {
  const expected = readNpyFile(file);
  const got = ws.FetchInt8Blob(blob);
  expect(got.dims).toEqual([...expected.dims]);
  expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from((expected.data as Uint8Array).buffer))).toBe(true);
}

describe('nets written with the builder', () => {
  it('MobileNetV2 block: Quantize -> 1x1 ConvRelu 8->48 -> dw 3x3 ConvRelu -> 1x1 Conv 48->8 -> Add residual -> Dequantize', () => {
    const dir = join(GOLDEN, 'net_mobilenetv2_block');
    const params = goldenParams('net_mobilenetv2_block');
    const m = new ModelHelper('mbv2');
    addFills(m, params, ['w1', 'b1', 'w2', 'b2', 'w3', 'b3']);
    const s = (name: string) => params.FetchInt8Blob(name);
    m.net.Int8Quantize('x', 'xq', { Y_scale: s('xq').scale, Y_zero_point: 128 });
    m.net.Int8ConvRelu(['xq', 'w1', 'b1'], 'h1', { kernel: 1, order: 'NHWC', Y_scale: s('h1').scale, Y_zero_point: 0 });
    m.net.Int8ConvRelu(['h1', 'w2', 'b2'], 'h2', { kernel: 3, pad: 1, group: 48, order: 'NHWC', Y_scale: s('h2').scale, Y_zero_point: 0 });
    m.net.Int8Conv(['h2', 'w3', 'b3'], 'h3', { kernel: 1, order: 'NHWC', Y_scale: 0.050066664814949036, Y_zero_point: 128 });
    m.net.Int8Add(['h3', 'xq'], 'yq', { Y_scale: 0.0751, Y_zero_point: 128 });
    m.net.Int8Dequantize('yq', 'y');
    m.net.AddExternalOutput('y', 'yq');

    const ws = new Workspace();
    ws.RunNetOnce(m.param_init_net);
    ws.FeedBlob('x', readNpyFile(join(dir, 'inputs', 'x.npy')));
    ws.CreateNet(m.net);
    ws.RunNet(m.net.Name());
    for (const blob of ['h1', 'h2', 'yq']) expectBytes(ws, blob, join(dir, 'expected', `${blob}.npy`));
    const y = ws.FetchBlob('y') as Tensor;
    expect(Buffer.from((y.data as Float32Array).buffer).equals(Buffer.from((readNpyFile(join(dir, 'expected', 'y.npy')).data as Float32Array).buffer))).toBe(true);
  });

  it('ShuffleNet unit: group 1x1 ConvRelu -> ChannelShuffle -> dw 3x3 s2 -> group 1x1 Conv, MaxPool shortcut, Concat, Relu', () => {
    const dir = join(GOLDEN, 'net_shufflenet_unit');
    const params = goldenParams('net_shufflenet_unit');
    const m = new ModelHelper('shuffle');
    addFills(m, params, ['x', 'g1w', 'g1b', 'dww', 'dwb', 'g2w', 'g2b']);
    const q = (name: string) => ({ Y_scale: params.FetchInt8Blob(name).scale, Y_zero_point: 128 });
    m.net.Int8ConvRelu(['x', 'g1w', 'g1b'], 'g1', { kernel: 1, group: 4, order: 'NHWC', ...q('sh') });
    m.net.Int8ChannelShuffle('g1', 'sh', { kernel: 1, group: 4, order: 'NHWC', ...q('sh') });
    m.net.Int8Conv(['sh', 'dww', 'dwb'], 'dw', { kernel: 3, stride: 2, pad: 1, group: 16, order: 'NHWC', ...q('dw') });
    m.net.Int8Conv(['dw', 'g2w', 'g2b'], 'g2', { kernel: 1, group: 4, order: 'NHWC', ...q('x') });
    m.net.Int8MaxPool('x', 'mp', { kernel: 3, stride: 2, pad: 1, order: 'NHWC', ...q('x') });
    m.net.Int8Concat(['g2', 'mp'], ['cat', 'cat_info'], { order: 'NHWC', ...q('x') });
    m.net.Int8Relu('cat', 'out', q('x'));

    const ws = new Workspace();
    ws.RunNetOnce(m.param_init_net);
    ws.RunNetOnce(m.net);
    for (const blob of ['g1', 'sh', 'dw', 'g2', 'out']) expectBytes(ws, blob, join(dir, 'expected', `${blob}.npy`));
  });
});
