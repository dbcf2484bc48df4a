// Workspace verbs and net semantics, as caffe2/python/workspace.py and caffe2/core/net.cc define them.
import { describe, expect, it } from 'vitest';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { workspace } from '../src/default-workspace.js';
import { encodeBinary } from '../src/proto/schema.js';
import '../src/register-ops.js';
import { f, i, int32Fill, int8Fill, ints, net, op, s, thrown } from './helpers.js';

const quantize = (x: string, y: string, scale: number, zp: number) => op('Int8Quantize', [x], [y], [f('Y_scale', scale), i('Y_zero_point', zp)]);

describe('FeedBlob / FetchBlob', () => {
  it('feeds and fetches copies, keeping dtype and dims', () => {
    const ws = new Workspace();
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    ws.FeedBlob('x', src, [2, 3]);
    src[0] = 99;
    const got = ws.FetchBlob('x') as Tensor;
    expect(got.dtype).toBe('float32');
    expect(got.dims).toEqual([2, 3]);
    expect(Array.from(got.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    (got.data as Float32Array)[1] = 42;
    expect((ws.FetchBlob('x') as Tensor).data[1]).toBe(2);
  });

  it('keeps each typed-array dtype, and bool when asked', () => {
    const ws = new Workspace();
    ws.FeedBlob('a', new Int32Array([1, -2]), [2]);
    ws.FeedBlob('b', new BigInt64Array([5n]), [1]);
    ws.FeedBlob('c', new Uint8Array([0, 1]), [2], 'bool');
    expect((ws.FetchBlob('a') as Tensor).dtype).toBe('int32');
    expect((ws.FetchBlob('b') as Tensor).dtype).toBe('int64');
    expect((ws.FetchBlob('c') as Tensor).dtype).toBe('bool');
  });

  it('rejects data whose length disagrees with dims', () => {
    expect(() => new Workspace().FeedBlob('x', new Float32Array(5), [2, 3])).toThrow(/needs 6 elements, got 5/);
  });

  it("FetchBlob of a missing blob: Can't find blob", () => {
    expect(thrown(() => new Workspace().FetchBlob('nope')).message).toContain("Can't find blob: nope");
  });

  it('FetchBlob of an Int8 blob is a TypeError pointing to FetchInt8Blob', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('q', [2], [1, 2], 0.5, 3));
    expect(() => ws.FetchBlob('q')).toThrow(TypeError);
    expect(() => ws.FetchBlob('q')).toThrow('Use FetchInt8Blob to fetch Int8 Blob q');
  });

  it('FetchBlob of an empty blob describes it, as Caffe2 does', () => {
    const ws = new Workspace();
    ws.CreateBlob('e');
    expect(ws.FetchBlob('e')).toBe('e, a C++ native class of type nullptr (uninitialized).');
  });

  it('a string feed is a string blob fetched as bytes', () => {
    const ws = new Workspace();
    ws.FeedBlob('s', 'hello');
    expect(new TextDecoder().decode(ws.FetchBlob('s') as Uint8Array)).toBe('hello');
  });

  it('FetchInt8Blob returns data, scale and zero point (int32 data for biases)', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('w', [1, 3], [0, 128, 255], 0.25, 128));
    ws.RunOperatorOnce(int32Fill('b', [2], [-7, 70000], 0.125));
    const w = ws.FetchInt8Blob('w');
    expect(Array.from(w.data)).toEqual([0, 128, 255]);
    expect(w.data).toBeInstanceOf(Uint8Array);
    expect(w).toMatchObject({ dims: [1, 3], scale: 0.25, zero_point: 128 });
    const b = ws.FetchInt8Blob('b');
    expect(b.data).toBeInstanceOf(Int32Array);
    expect(Array.from(b.data)).toEqual([-7, 70000]);
    // (q - zp) * scale: (0-128)*0.25 = -32, 0, (255-128)*0.25 = 31.75
    expect(Array.from(ws.FetchInt8BlobRealVal('w').data)).toEqual([-32, 0, 31.75]);
  });

  it('refuses to feed an Int8 tensor (Caffe2 has no Int8 feeder)', () => {
    const ws = new Workspace();
    expect(() => ws.FeedBlob('q', new Int8Tensor(new Uint8Array(1), [1], 1, 0) as unknown as Tensor)).toThrow(/no Int8 feeder/);
  });

  it('HasBlob, Blobs (sorted) and ResetWorkspace', () => {
    const ws = new Workspace();
    ws.FeedBlob('b', new Float32Array(1), [1]);
    ws.FeedBlob('a', new Float32Array(1), [1]);
    expect(ws.HasBlob('a')).toBe(true);
    expect(ws.HasBlob('c')).toBe(false);
    expect(ws.Blobs()).toEqual(['a', 'b']);
    ws.CreateNet(net('n', [op('NCHW2NHWC', ['a'], ['y'])], ['a']));
    ws.ResetWorkspace();
    expect(ws.Blobs()).toEqual([]);
    expect(ws.Nets()).toEqual([]);
  });
});

describe('nets', () => {
  const x = new Float32Array([0.1, 0.25, -0.35, 1]);

  it('RunNetOnce runs ops in order and writes outputs', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.RunNetOnce(net('n', [quantize('x', 'q', 0.1, 10), op('Int8Dequantize', ['q'], ['y'])], ['x'], ['y']));
    // 0.1/0.1 = 1 -> 11; 0.25/0.1 = 2.5 -> 2 (half to even) -> 12; -0.35/0.1 = -3.5 -> -4 -> 6; 1/0.1 = 10 -> 20
    expect(Array.from(ws.FetchInt8Blob('q').data)).toEqual([11, 12, 6, 20]);
    expect(Array.from((ws.FetchBlob('y') as Tensor).data as Float32Array)).toEqual([0.1, 0.2, -0.4, 1].map(Math.fround));
  });

  it('accepts a serialized NetDef', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.RunNetOnce(encodeBinary('NetDef', net('n', [quantize('x', 'q', 0.1, 10)], ['x'])));
    expect(ws.HasBlob('q')).toBe(true);
  });

  it('source check: an input neither external nor produced earlier', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.FeedBlob('z', x, [4]);
    const e = thrown(() => ws.RunNetOnce(net('n', [quantize('z', 'q', 0.1, 0)], ['x'])));
    expect(e.message).toContain('Source for input z is unknown for net n');
    expect(e.context).toMatchObject({ net: 'n', opIndex: 0, opType: 'Int8Quantize', blob: 'z' });
  });

  it('sink check: an external output never produced', () => {
    const e = thrown(() => new Workspace().RunNetOnce(net('n', [], ['x'], ['y'])));
    expect(e.message).toContain('declared as output but never produced');
  });

  it('a missing input blob is refused at creation, naming net, op and blob', () => {
    const e = thrown(() => new Workspace().RunNetOnce(net('n', [quantize('x', 'q', 0.1, 0)])));
    expect(e.message).toMatch(/net "n", op 0 \(Int8Quantize\), blob "x": .*non-existing input blob: x/);
  });

  it('an unknown op type is refused at creation', () => {
    const ws = new Workspace();
    const e = thrown(() => ws.RunNetOnce(net('n', [op('NoSuchOp', [], ['y'])])));
    expect(e.message).toContain("Cannot create operator of type 'NoSuchOp'");
    expect(e.kind).toBe('unsupported');
  });

  it('an engine with other arithmetic that is not implemented is refused, not run with QNNPACK arithmetic', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    const e = thrown(() => ws.RunNetOnce(net('n', [{ ...quantize('x', 'q', 0.1, 0), engine: 'DNNLOWP_ACC16' }])));
    expect(e.message).toMatch(/engine DNNLOWP_ACC16 for Int8Quantize is not implemented/);
  });

  it('an unknown engine falls back to the default implementation, as in Caffe2', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.RunNetOnce(net('n', [{ ...quantize('x', 'q', 0.1, 10), engine: 'SOMETHING_ELSE' }]));
    expect(Array.from(ws.FetchInt8Blob('q').data)).toEqual([11, 12, 6, 20]);
  });

  it('schema: wrong input count and forbidden in-place use', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Dequantize', ['x', 'x'], ['y'])]))).message).toContain('schema');
    expect(thrown(() => ws.RunNetOnce(net('n', [quantize('x', 'x', 0.1, 0)]))).message).toContain('in-place');
  });

  it('argument errors: duplicates and Y_scale stored as an int', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Quantize', ['x'], ['q'], [f('Y_scale', 1), f('Y_scale', 2)])]))).message).toContain(
      'Duplicated argument name [Y_scale]',
    );
    expect(thrown(() => ws.RunNetOnce(net('n', [op('Int8Quantize', ['x'], ['q'], [i('Y_scale', 1)])]))).message).toContain(
      'Argument Y_scale does not have the right field: expected field f',
    );
  });

  it('a failed run keeps blobs written before the failing op and leaves the workspace usable', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.FeedBlob('keep', new Float32Array([7]), [1]);
    // op 1 fails at run time: Int8Dequantize of a float tensor.
    const bad = net('bad', [quantize('x', 'q', 0.1, 10), op('Int8Dequantize', ['x'], ['keep'])], ['x']);
    const e = thrown(() => ws.RunNetOnce(bad));
    expect(e.context).toMatchObject({ net: 'bad', opIndex: 1, opType: 'Int8Dequantize', blob: 'x' });
    expect(e.message).toContain('wrong type for the Blob instance');
    expect(Array.from(ws.FetchInt8Blob('q').data)).toEqual([11, 12, 6, 20]);
    expect(Array.from((ws.FetchBlob('keep') as Tensor).data as Float32Array)).toEqual([7]);
    ws.RunNetOnce(net('ok', [op('Int8Dequantize', ['q'], ['y'])], ['q']));
    expect(ws.HasBlob('y')).toBe(true);
  });

  it('CreateNet needs a name and refuses to overwrite unless asked', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    expect(thrown(() => ws.CreateNet({ op: [] })).message).toContain('Net definition should have a name.');
    ws.CreateNet(net('n', [quantize('x', 'q', 0.1, 0)], ['x']));
    expect(thrown(() => ws.CreateNet(net('n', [], ['x']))).message).toContain('refuse to overwrite');
    ws.CreateNet(net('n', [], ['x']), true);
    expect(ws.Nets()).toEqual(['n']);
  });

  it("RunNet of an unknown name: Can't find net", () => {
    expect(thrown(() => new Workspace().RunNet('nope')).message).toContain("Can't find net nope");
  });

  it('RunNet with allowFail returns false instead of throwing', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.CreateNet(net('n', [op('Int8Dequantize', ['x'], ['y'])], ['x']));
    expect(ws.RunNet('n', 1, true)).toBe(false);
  });

  it('CreateNet creates input_blobs first, so a net can be created before feeding', () => {
    const ws = new Workspace();
    ws.CreateNet(net('n', [quantize('x', 'q', 0.1, 10)], ['x']), false, ['x']);
    ws.FeedBlob('x', x, [4]);
    ws.RunNet('n');
    expect(Array.from(ws.FetchInt8Blob('q').data)).toEqual([11, 12, 6, 20]);
  });

  it('RunNet(numIter) runs the net that many times', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    ws.CreateNet(net('n', [quantize('x', 'q', 0.1, 10)], ['x']));
    expect(ws.RunNet('n', 3)).toBe(true);
  });

  it("a non-CPU device option is refused", () => {
    const ws = new Workspace();
    ws.FeedBlob('x', x, [4]);
    const e = thrown(() => ws.RunNetOnce({ ...net('n', [quantize('x', 'q', 0.1, 0)], ['x']), device_option: { device_type: 1 } }));
    expect(e.message).toContain('CPU ops only');
  });
});

describe('first-run caching of QNNPACK-backed ops (SEMANTICS.md §2)', () => {
  // X: 1x1x1x1, one code; W: 1x1x1x1 = 3 with zp 1 (value 2); bias 0.
  // acc = (x - xzp) * (w - wzp). Run 1: x=12, xzp=2 -> 10*2 = 20.
  // scales: x 0.5, w 0.5, y 1 -> requant 0.25 -> 20*0.25 = 5 -> +yzp 100 = 105.
  const init = net('init', [int8Fill('W', [1, 1, 1, 1], [3], 0.5, 1), int32Fill('B', [1], [0])]);
  const conv = net('conv', [op('Int8Conv', ['X', 'W', 'B'], ['Y'], [i('kernel', 1), s('order', 'NHWC'), f('Y_scale', 1), i('Y_zero_point', 100)])], ['X', 'W', 'B']);

  function setX(ws: Workspace, code: number, zp: number, scale = 0.5): void {
    ws.RunOperatorOnce(int8Fill('X', [1, 1, 1, 1], [code], scale, zp));
  }

  it('a created net keeps the first run\'s input zero point and scale', () => {
    const ws = new Workspace();
    ws.RunNetOnce(init);
    setX(ws, 12, 2);
    ws.CreateNet(conv);
    ws.RunNet('conv');
    expect(Array.from(ws.FetchInt8Blob('Y').data)).toEqual([105]);
    // New input zp 10 and scale 0.25: a fresh op would give (12-10)*2*0.125 = 0.5 -> 1 -> 101;
    // the created op still uses zp 2 and requant 0.25: 105.
    setX(ws, 12, 10, 0.25);
    ws.RunNet('conv');
    expect(Array.from(ws.FetchInt8Blob('Y').data)).toEqual([105]);
    // RunNetOnce builds fresh ops and sees the new qparams.
    ws.RunNetOnce(conv);
    expect(Array.from(ws.FetchInt8Blob('Y').data)).toEqual([101]);
  });

  it('a created net keeps the first run\'s weights', () => {
    const ws = new Workspace();
    ws.RunNetOnce(init);
    setX(ws, 12, 2);
    ws.CreateNet(conv);
    ws.RunNet('conv');
    ws.RunOperatorOnce(int8Fill('W', [1, 1, 1, 1], [5], 0.5, 1)); // value 4: a fresh op gives 10*4*0.25 = 10 -> 110
    ws.RunNet('conv');
    expect(Array.from(ws.FetchInt8Blob('Y').data)).toEqual([105]);
    ws.RunNetOnce(conv);
    expect(Array.from(ws.FetchInt8Blob('Y').data)).toEqual([110]);
  });

  it('an input with another channel count than the first run is refused', () => {
    const ws = new Workspace();
    ws.RunNetOnce(init);
    setX(ws, 12, 2);
    ws.CreateNet(conv);
    ws.RunNet('conv');
    ws.RunOperatorOnce(int8Fill('X', [1, 1, 1, 2], [12, 12], 0.5, 2));
    expect(thrown(() => ws.RunNet('conv')).message).toMatch(/created on its first run for 1/);
  });
});

describe('module-level workspace', () => {
  it('reads like the Python module and switches workspaces', () => {
    workspace.ResetWorkspace();
    workspace.FeedBlob('x', new Float32Array([0.5]), [1]);
    expect(workspace.HasBlob('x')).toBe(true);
    expect(workspace.CurrentWorkspace()).toBe('default');
    workspace.SwitchWorkspace('other', true);
    expect(workspace.HasBlob('x')).toBe(false);
    workspace.SwitchWorkspace('default');
    expect(workspace.Blobs()).toEqual(['x']);
    expect(() => workspace.SwitchWorkspace('missing')).toThrow(/does not exist/);
    workspace.ResetWorkspace();
  });
});

describe('fill ops', () => {
  it('GivenTensorFill, GivenTensorIntFill, GivenTensorInt64Fill, ConstantFill', () => {
    const ws = new Workspace();
    ws.RunNetOnce(
      net('init', [
        op('GivenTensorFill', [], ['a'], [ints('shape', [2]), { name: 'values', floats: [1.5, -2] }]),
        op('GivenTensorIntFill', [], ['b'], [ints('shape', [1, 2]), ints('values', [3, -4])]),
        op('GivenTensorInt64Fill', [], ['c'], [ints('shape', [1]), ints('values', [2 ** 40])]),
        op('ConstantFill', [], ['d'], [ints('shape', [3]), f('value', 0.5)]),
        op('ConstantFill', [], ['e'], [ints('shape', [2]), i('value', 7)]),
        op('GivenTensorFill', [], ['g'], [ints('shape', [2]), { name: 'values', floats: [1, 2] }, i('dtype', 13)]),
      ]),
    );
    const get = (n: string) => ws.FetchBlob(n) as Tensor;
    expect(get('a')).toMatchObject({ dtype: 'float32', dims: [2] });
    expect(Array.from(get('a').data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(get('b').data as Int32Array)).toEqual([3, -4]);
    expect(Array.from(get('c').data as BigInt64Array)).toEqual([2n ** 40n]);
    expect(Array.from(get('d').data as Float32Array)).toEqual([0.5, 0.5, 0.5]);
    expect(get('e').dtype).toBe('int64'); // value in `i` and no dtype: int64
    expect(get('g').dtype).toBe('float64'); // dtype DOUBLE
  });

  it('refuses values that do not match the shape, and absurd shapes before allocating', () => {
    const ws = new Workspace();
    expect(thrown(() => ws.RunOperatorOnce(op('GivenTensorFill', [], ['a'], [ints('shape', [3]), { name: 'values', floats: [1] }]))).message).toContain(
      'values has 1 elements but shape [3] needs 3',
    );
    expect(thrown(() => ws.RunOperatorOnce(int8Fill('w', [2, 2], [1, 2, 3], 1, 0))).message).toContain('needs 4');
    expect(thrown(() => ws.RunOperatorOnce(op('ConstantFill', [], ['a'], [ints('shape', [1e6, 1e6])]))).message).toContain('over the limit');
  });

  it('ConstantFill with shape and an input is refused', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', new Float32Array(2), [2]);
    expect(thrown(() => ws.RunOperatorOnce(op('ConstantFill', ['x'], ['a'], [ints('shape', [2])]))).message).toContain('Cannot set the shape argument');
    ws.RunOperatorOnce(op('ConstantFill', ['x'], ['a'], [f('value', 2), ints('extra_shape', [3])]));
    expect((ws.FetchBlob('a') as Tensor).dims).toEqual([2, 3]);
  });
});

describe('layout ops', () => {
  it('NCHW2NHWC and back: [1,2,1,3]', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 1, 3]);
    ws.RunOperatorOnce(op('NCHW2NHWC', ['x'], ['y']));
    const y = ws.FetchBlob('y') as Tensor;
    // channel 0 = [1,2,3], channel 1 = [4,5,6] -> pixels (1,4),(2,5),(3,6)
    expect(y.dims).toEqual([1, 1, 3, 2]);
    expect(Array.from(y.data as Float32Array)).toEqual([1, 4, 2, 5, 3, 6]);
    ws.RunOperatorOnce(op('NHWC2NCHW', ['y'], ['z']));
    expect(Array.from((ws.FetchBlob('z') as Tensor).data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses Int8 input and rank < 3', () => {
    const ws = new Workspace();
    ws.RunOperatorOnce(int8Fill('q', [1, 1, 1], [1], 1, 0));
    expect(thrown(() => ws.RunOperatorOnce(op('NCHW2NHWC', ['q'], ['y']))).message).toContain('expects Tensor');
    ws.FeedBlob('v', new Float32Array(2), [2]);
    expect(thrown(() => ws.RunOperatorOnce(op('NCHW2NHWC', ['v'], ['y']))).message).toContain('at least 3 dims');
  });
});
