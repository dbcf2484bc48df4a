// Resource limits a hostile net cannot get around: the per-tensor byte limit (maxTensorBytes),
// the per-op work limit (maxOpWork: a few bytes of net can describe 10^12 multiply-adds) and the
// limit on all blobs together (maxWorkspaceBytes: many tensors each under the per-tensor limit).
// Each is checked before computing or keeping anything, and refused with a Caffe2Error.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_OP_WORK } from '../src/operator.js';
import type { OperatorDef } from '../src/proto/types.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { DEFAULT_MAX_WORKSPACE_BYTES, Workspace, type WorkspaceOptions } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { f, i, int32Fill, ints, net, NHWC, op } from './helpers.js';


/** An Int8 blob of zeros set directly (as a feed would be), so no big fill is needed. */
function int8(ws: Workspace, name: string, dims: number[], scale = 0.5, zp = 0): void {
  ws.setBlob(name, new Int8Tensor(new Uint8Array(dims.reduce((a, b) => a * b, 1)), dims, scale, zp));
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

describe('maxOpWork: per-op arithmetic, checked before computing', () => {
  it('the default is 10^10 multiply-adds', () => {
    expect(DEFAULT_MAX_OP_WORK).toBe(1e10);
    expect(new Workspace().options.maxOpWork).toBe(1e10);
  });

  it('a 100x100 conv over a 2000x2000 input (3.6·10^10 multiply-adds) is refused at once', () => {
    const ws = new Workspace();
    int8(ws, 'X', [1, 2000, 2000, 1]);
    int8(ws, 'W', [1, 100, 100, 1], 0.5, 128);
    ws.RunNetOnce(net('b', [int32Fill('B', [1], [0])]));
    const { ms } = timed(() =>
      refused(() => ws.RunNetOnce(net('h', [op('Int8Conv', ['X', 'W', 'B'], ['Y'], [NHWC, i('kernel', 100), f('Y_scale', 1)])])), {
        kind: 'invalid',
        reason: /a 100x100 convolution to \[1,1901,1901,1\] needs 36138010000 multiply-adds, over this runtime's per-op work limit of 10000000000/,
        context: { net: 'h', opIndex: 0, opType: 'Int8Conv' },
      }),
    );
    expect(ms).toBeLessThan(2000);
    expect(ws.HasBlob('Y')).toBe(true); // created empty at op creation, as Caffe2 does
    expect(ws.getBlob('Y')).toBeUndefined();
  });

  it('a smaller limit refuses ordinary ops: conv, FC, transposed conv, pooling, RoIAlign', () => {
    const opts: WorkspaceOptions = { maxOpWork: 1000 };
    const cases: Array<[string, (ws: Workspace) => OperatorDef, RegExp]> = [
      ['Int8Conv', (ws) => {
        int8(ws, 'X', [1, 8, 8, 4]);
        int8(ws, 'W', [4, 3, 3, 4], 0.5, 128);
        ws.setBlob('B', new Int8Tensor(new Int32Array(4), [4], 1, 0));
        return op('Int8Conv', ['X', 'W', 'B'], ['Y'], [NHWC, i('kernel', 3), f('Y_scale', 1)]);
      }, /3x3 convolution to \[1,6,6,4\] needs 5184 multiply-adds/],
      ['Int8FC', (ws) => {
        int8(ws, 'X', [4, 100]);
        int8(ws, 'W', [10, 100], 0.5, 128);
        ws.setBlob('B', new Int8Tensor(new Int32Array(10), [10], 1, 0));
        return op('Int8FC', ['X', 'W', 'B'], ['Y'], [f('Y_scale', 1)]);
      }, /fully connected layer \(M 4, N 10, K 100\) needs 4000 multiply-adds/],
      ['Int8ConvTranspose', (ws) => {
        int8(ws, 'X', [1, 8, 8, 4]);
        int8(ws, 'W', [4, 3, 3, 4], 0.5, 128);
        ws.setBlob('B', new Int8Tensor(new Int32Array(4), [4], 1, 0));
        return op('Int8ConvTranspose', ['X', 'W', 'B'], ['Y'], [NHWC, i('kernel', 3), f('Y_scale', 1)]);
      }, /3x3 transposed convolution to \[1,10,10,4\] needs \d+ multiply-adds/],
      ['Int8MaxPool', (ws) => {
        int8(ws, 'X', [1, 16, 16, 4]);
        return op('Int8MaxPool', ['X'], ['Y'], [NHWC, i('kernel', 3), f('Y_scale', 0.5)]);
      }, /3x3 pooling to \[1,14,14,4\] needs 7056 multiply-adds/],
      ['Int8AveragePool', (ws) => {
        int8(ws, 'X', [1, 16, 16, 4]);
        return op('Int8AveragePool', ['X'], ['Y'], [NHWC, i('kernel', 16), f('Y_scale', 0.5)]);
      }, /16x16 pooling to \[1,1,1,4\] needs 1024 multiply-adds/],
      ['Int8RoIAlign', (ws) => {
        int8(ws, 'X', [1, 8, 8, 4]);
        ws.setBlob('R', new Tensor('float32', [2, 4], Float32Array.from([0, 0, 7, 7, 0, 0, 7, 7])));
        return op('Int8RoIAlign', ['X', 'R'], ['Y'], [i('pooled_h', 4), i('pooled_w', 4), i('sampling_ratio', 2), f('Y_scale', 0.5)]);
      }, /RoI 0 \(64 sampling points of 4 channels\) needs 1088 multiply-adds/],
    ];
    for (const [type, setup, reason] of cases) {
      const ws = new Workspace(opts);
      const def = setup(ws);
      refused(() => ws.RunNetOnce(net('h', [def])), { kind: 'invalid', reason, context: { opType: type } });
      // The same op runs under the default limit.
      const ok = new Workspace();
      setup(ok);
      ok.RunNetOnce(net('h', [def]));
      expect(ok.getBlob('Y'), type).toBeDefined();
    }
  });
});

describe('maxWorkspaceBytes: all blobs together', () => {
  it('the default is 4 GiB', () => {
    expect(DEFAULT_MAX_WORKSPACE_BYTES).toBe(4 * 2 ** 30);
    expect(new Workspace().maxWorkspaceBytes).toBe(4 * 2 ** 30);
  });

  it('many fills, each under the per-tensor limit, cannot add up past the workspace limit', () => {
    const ws = new Workspace({ maxTensorBytes: 1000, maxWorkspaceBytes: 4000 });
    const fills = Array.from({ length: 10 }, (_, k) => op('ConstantFill', [], [`t${k}`], [ints('shape', [250])]));
    refused(() => ws.RunNetOnce(net('h', fills)), {
      kind: 'invalid',
      reason: /storing t4 would take the workspace's blobs to 5000 bytes, over its limit of 4000/,
      context: { net: 'h', opIndex: 4, opType: 'ConstantFill', blob: 't4' },
    });
    expect(ws.bytesInUse).toBe(4000);
    expect(ws.getBlob('t3')).toBeInstanceOf(Tensor);
    expect(ws.getBlob('t4')).toBeUndefined();
    // Overwriting a blob frees what it held.
    ws.RunNetOnce(net('again', [op('ConstantFill', [], ['t0'], [ints('shape', [10])])]));
    expect(ws.bytesInUse).toBe(3040);
    ws.ResetWorkspace();
    expect(ws.bytesInUse).toBe(0);
  });

  it('FeedBlob counts too', () => {
    const ws = new Workspace({ maxWorkspaceBytes: 100 });
    ws.FeedBlob('a', new Float32Array(20), [20]);
    refused(() => ws.FeedBlob('b', new Float32Array(10), [10]), { reason: /over its limit of 100/, context: { blob: 'b' } });
    ws.FeedBlob('a', new Float32Array(25), [25]);
    expect(ws.bytesInUse).toBe(100);
  });
});

describe('WorkspaceOptions themselves', () => {
  it('refuses limits that are not numbers >= 0 and an unknown ISA', () => {
    for (const bad of [NaN, -1, '5' as unknown as number]) {
      refused(() => new Workspace({ maxTensorBytes: bad }), { reason: /maxTensorBytes must be a number >= 0/ });
      refused(() => new Workspace({ maxOpWork: bad }), { reason: /maxOpWork must be a number >= 0/ });
      refused(() => new Workspace({ maxWorkspaceBytes: bad }), { reason: /maxWorkspaceBytes must be a number >= 0/ });
    }
    refused(() => new Workspace({ isa: 'sse' as 'vnni' }), { reason: /isa must be 'vnni' or 'avx2'/ });
  });
});
