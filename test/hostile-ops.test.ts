// Hand-made hostile nets, one category at a time: shapes and fill values, argument types, scales,
// kernels / strides / dilations / groups / pads / output sizes, weights that do not match the
// input, zero points, unknown ops and engines, missing blobs, dtype mismatches. Each must be
// refused with a Caffe2Error naming the net, the op index and type and, where one is at fault,
// the blob.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { refused } from './fixtures/hostile.js';
import { f, i, int32Fill, int8Fill, ints, net, NHWC, op, s } from './helpers.js';


/** Runs the ops as one net "h" in a fresh workspace (options as given). */
function run(ops: OperatorDef[], options: ConstructorParameters<typeof Workspace>[0] = {}): Workspace {
  const ws = new Workspace(options);
  ws.RunNetOnce(net('h', ops));
  return ws;
}

const X = (dims = [1, 5, 5, 2], scale = 0.5, zp = 0) => int8Fill('X', dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(3), scale, zp);
const W = (dims = [4, 3, 3, 2], scale = 0.5, zp = 128) => int8Fill('W', dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(130), scale, zp);
const B = (n = 4) => int32Fill('B', [n], new Array(n).fill(0));
const conv = (args: Argument[], extra: Partial<OperatorDef> = {}) => op('Int8Conv', ['X', 'W', 'B'], ['Y'], [NHWC, f('Y_scale', 1), ...args], extra);
/** The conv is op 3 of the net, after the X, W and B fills. */
const CONV_AT = { net: 'h', opIndex: 3, opType: 'Int8Conv' };

describe('shapes and fill values', () => {
  it('a negative dimension', () => {
    refused(() => run([op('GivenTensorFill', [], ['t'], [ints('shape', [2, -1]), { name: 'values', floats: [] }])]), {
      kind: 'invalid',
      reason: /negative dimension -1/,
      context: { net: 'h', opIndex: 0, opType: 'GivenTensorFill' },
    });
  });

  it('dimensions whose product overflows, and one beyond int64', () => {
    refused(() => run([op('ConstantFill', [], ['t'], [ints('shape', [2 ** 40, 2 ** 40])])]), { reason: /too many elements/ });
    refused(() => run([op('ConstantFill', [], ['t'], [{ name: 'shape', ints: [2n ** 63n - 1n] }])]), { reason: /cannot be represented/ });
  });

  it('an element count over maxTensorBytes is refused before allocating (default 1 GiB)', () => {
    refused(() => run([op('ConstantFill', [], ['t'], [ints('shape', [1 << 20, 1 << 10])])]), { reason: /needs 4294967296 bytes, over the limit of 1073741824/ });
    refused(() => run([int8Fill('q', [1000], [], 1, 0)], { maxTensorBytes: 999 }), { reason: /over the limit of 999/ });
  });

  it('fill values that do not match the shape, for every fill', () => {
    const cases: Array<[OperatorDef, RegExp]> = [
      [op('GivenTensorFill', [], ['t'], [ints('shape', [3]), { name: 'values', floats: [1, 2] }]), /values has 2 elements but shape \[3\] needs 3/],
      [op('GivenTensorIntFill', [], ['t'], [ints('shape', [2, 2]), ints('values', [1])]), /values has 1 elements but shape \[2,2\] needs 4/],
      [op('GivenTensorInt64Fill', [], ['t'], [ints('shape', [1]), ints('values', [1, 2])]), /values has 2 elements/],
      [op('GivenTensorBoolFill', [], ['t'], [ints('shape', [0]), ints('values', [1])]), /shape \[0\] needs 0/],
      [op('GivenTensorStringFill', [], ['t'], [ints('shape', [2]), { name: 'strings', strings: [] }]), /values has 0 elements/],
      [int8Fill('t', [2, 2], [1, 2, 3], 1, 0), /values holds 3 bytes but shape \[2,2\] needs 4/],
      [int32Fill('t', [3], [1, 2]), /values has 2 elements but shape \[3\] needs 3/],
    ];
    for (const [fill, reason] of cases) refused(() => run([fill]), { reason, context: { opIndex: 0, opType: fill.type } });
  });

  it('ConstantFill input_as_shape with a negative entry', () => {
    const ws = new Workspace();
    ws.FeedBlob('shape', new BigInt64Array([2n, -5n]), [2]);
    refused(() => ws.RunNetOnce(net('h', [op('ConstantFill', ['shape'], ['t'], [i('input_as_shape', 1)])])), { reason: /invalid dimension -5/, context: { blob: 'shape' } });
  });
});

describe('argument types', () => {
  it('Y_scale stored as an int is refused (Caffe2: "does not have the right field")', () => {
    refused(() => run([op('Int8GivenTensorFill', [], ['q'], [ints('shape', [1]), s('values', Uint8Array.of(1)), i('Y_scale', 1)])]), {
      reason: /Argument Y_scale does not have the right field: expected field f/,
      context: { opIndex: 0, opType: 'Int8GivenTensorFill' },
    });
    refused(() => run([X(), W(), B(), op('Int8Conv', ['X', 'W', 'B'], ['Y'], [NHWC, i('kernel', 3), i('Y_scale', 1)])]), { reason: /Y_scale does not have the right field/, context: CONV_AT });
  });

  it('kernel stored as a float, order as an int, an int beyond int32', () => {
    refused(() => run([X(), W(), B(), conv([f('kernel', 3)])]), { reason: /Argument kernel does not have the right field: expected field i/, context: CONV_AT });
    refused(() => run([X(), W(), B(), op('Int8Conv', ['X', 'W', 'B'], ['Y'], [i('order', 1), i('kernel', 3)])]), { reason: /Argument order does not have the right field: expected field s/ });
    refused(() => run([X(), W(), B(), conv([i('kernel', 2 ** 33)])]), { reason: /value 8589934592 of argument kernel cannot be represented correctly in a target type \(int32\)/ });
  });

  it('the same argument twice', () => {
    refused(() => run([X(), W(), B(), conv([i('kernel', 3), i('kernel', 3)])]), { reason: /Duplicated argument name \[kernel\]/, context: CONV_AT });
  });
});

describe('scales: zero, negative, NaN, infinite', () => {
  for (const bad of [-0.5, NaN, Infinity, -Infinity]) {
    it(`Y_scale ${bad} in Int8GivenTensorFill and Int8GivenIntTensorFill`, () => {
      refused(() => run([int8Fill('q', [1], [1], bad, 0)]), { kind: 'invalid', reason: /Y_scale .* must be finite and not negative/, context: { opIndex: 0, opType: 'Int8GivenTensorFill' } });
      refused(() => run([int32Fill('b', [1], [1], bad, 0)]), { reason: /must be finite and not negative/, context: { opType: 'Int8GivenIntTensorFill' } });
    });
  }

  it('a zero scale is stored by the fills (it dequantizes to zeros) and refused by the ops that need a positive one', () => {
    const ws = run([int8Fill('q', [2], [3, 5], 0, 1)]);
    ws.RunNetOnce(net('d', [op('Int8Dequantize', ['q'], ['d'])]));
    expect(Array.from((ws.FetchBlob('d') as Tensor).data as Float32Array)).toEqual([0, 0]);
  });

  for (const bad of [0, -0.5, NaN, Infinity, -Infinity]) {
    it(`Y_scale ${bad} in Int8Quantize`, () => {
      const ws = new Workspace();
      ws.FeedBlob('x', new Float32Array(2), [2]);
      refused(() => ws.RunNetOnce(net('h', [op('Int8Quantize', ['x'], ['q'], [f('Y_scale', bad)])])), { reason: /must be finite and positive/, context: { opType: 'Int8Quantize' } });
    });
  }

  it('an Int8 tensor with scale 0 reaching a conv: QNNPACK refuses it, naming the scale', () => {
    const ws = new Workspace();
    ws.setBlob('X', new Int8Tensor(new Uint8Array(50), [1, 5, 5, 2], 0, 0));
    ws.RunNetOnce(net('w', [W(), B()]));
    refused(() => ws.RunNetOnce(net('h', [conv([i('kernel', 3)])])), { reason: /input scale 0 must be finite, positive and normal/, context: { opType: 'Int8Conv' } });
  });

  it('a conv output Y_scale of NaN, inf or a denormal', () => {
    for (const bad of [NaN, Infinity, 1e-40]) {
      refused(() => run([X(), W(), B(), op('Int8Conv', ['X', 'W', 'B'], ['Y'], [NHWC, i('kernel', 3), f('Y_scale', bad)])]), { reason: /output scale .* must be finite, positive and normal/, context: CONV_AT });
    }
  });
});

describe('kernels, strides, dilations, groups, pads, output sizes', () => {
  const cases: Array<[string, Argument[], RegExp]> = [
    ['kernel 0', [i('kernel', 0)], /kernel_\[0\] > 0/],
    ['kernel -1', [i('kernel', -1)], /kernel_\[0\] >= 0/],
    ['stride 0', [i('kernel', 3), i('stride', 0)], /stride 0 along H must be > 0/],
    ['stride -2', [i('kernel', 3), i('stride', -2)], /stride_\[0\] >= 0/],
    ['dilation 0', [i('kernel', 3), i('dilation', 0)], /dilation 0 along H must be > 0/],
    ['dilation -1', [i('kernel', 3), i('dilation', -1)], /dilation_\[0\] >= 0/],
    ['group 0', [i('kernel', 3), i('group', 0)], /group 0 must be positive/],
    ['group -2', [i('kernel', 3), i('group', -2)], /group -2 must be positive/],
    ['pad -1', [i('kernel', 3), i('pad', -1)], /padding \[-1, -1, -1, -1\] is negative/],
    ['kernel larger than the padded input', [i('kernel', 7)], /input H 5 with pads 0\+0 is smaller than the 7-wide/],
    ['legacy_pad VALID with an output size of 0', [i('kernel', 6), i('legacy_pad', 1)], /output size .* is not positive|smaller than/],
    ['legacy_pad 9 (no such value)', [i('kernel', 3), i('legacy_pad', 9)], /legacy_pad 9 is not a LegacyPadding value/],
    ['kernels list of one entry', [ints('kernels', [3]), ints('strides', [1]), ints('dilations', [1]), ints('pads', [0, 0])], /needs 2 kernel entries, got 1/],
  ];
  for (const [name, args, reason] of cases) {
    it(`Int8Conv ${name}`, () => {
      refused(() => run([X(), W(), B(), conv(args)]), { reason, context: CONV_AT });
    });
  }

  it('a negative pad on an op named "Conv..." fails in the constructor, as in Caffe2', () => {
    refused(() => run([X(), W(), B(), conv([i('kernel', 3), i('pad', -1)], { name: 'Conv_1' })]), { kind: 'enforce', reason: /pads_\[0\] >= 0/, context: CONV_AT });
  });

  it('Int8MaxPool kernel 0, stride 0; Int8ConvTranspose kernel 0, stride 0, adj > stride', () => {
    const pool = (args: Argument[]) => [X(), op('Int8MaxPool', ['X'], ['Y'], [NHWC, f('Y_scale', 0.5), ...args])];
    refused(() => run(pool([i('kernel', 0)])), { reason: /kernel_\[0\] > 0/, context: { opIndex: 1, opType: 'Int8MaxPool' } });
    refused(() => run(pool([i('kernel', 2), i('stride', 0)])), { reason: /stride 0 along H must be > 0/ });
    const deconv = (args: Argument[]) => [X(), int8Fill('Wt', [2, 3, 3, 4], new Array(72).fill(1), 0.5, 0), B(), op('Int8ConvTranspose', ['X', 'Wt', 'B'], ['Y'], [NHWC, f('Y_scale', 1), ...args])];
    refused(() => run(deconv([i('kernel', 0)])), { reason: /kernel_\[0\] > 0/, context: { opIndex: 3, opType: 'Int8ConvTranspose' } });
    refused(() => run(deconv([i('kernel', 3), i('stride', 0)])), { reason: /stride_\[0\] > 0/ });
    refused(() => run(deconv([i('kernel', 3), i('stride', 1), i('adj', 2)])), { reason: /adj_\[0\] <= stride_\[0\]/ });
    refused(() => run(deconv([i('kernel', 3), i('pad', 5)])), { reason: /output size .* is not positive/ });
  });
});

describe('weights that do not match the input', () => {
  it('conv weight channels != input channels / group', () => {
    refused(() => run([X([1, 5, 5, 2]), W([4, 3, 3, 3]), B(), conv([i('kernel', 3)])]), {
      kind: 'invalid',
      reason: /weights have 3 input channels per group, but the input has 2 channels in 1 groups/,
      context: { ...CONV_AT, blob: 'W' },
    });
    refused(() => run([X([1, 5, 5, 4]), W([4, 3, 3, 4]), B(), conv([i('kernel', 3), i('group', 2)])]), { reason: /4 input channels per group, but the input has 4 channels in 2 groups \(2 per group\)/, context: { blob: 'W' } });
  });

  it('conv weights whose kernel is not the kernel argument; a bias of the wrong size', () => {
    refused(() => run([X(), W([4, 2, 2, 2]), B(), conv([i('kernel', 3)])]), { reason: /weights are 2x2 but the kernel arguments say 3x3/, context: { blob: 'W' } });
    refused(() => run([X(), W(), B(3), conv([i('kernel', 3)])]), { reason: /bias has 3 elements, expected 4/, context: { blob: 'B' } });
  });

  it('Int8FC: K mismatch and bias size (fatal CHECKs in Caffe2)', () => {
    const fc = op('Int8FC', ['X', 'W', 'B'], ['Y'], [f('Y_scale', 1)]);
    refused(() => run([X([2, 6]), W([4, 5]), B(), fc]), { kind: 'fatal', reason: /K == W.size\(1\) \(6 vs 5\)/, context: { opIndex: 3, opType: 'Int8FC', blob: 'W' } });
    refused(() => run([X([2, 6]), W([4, 6]), B(2), fc]), { kind: 'fatal', reason: /N == B.numel\(\)/, context: { blob: 'B' } });
  });

  it('Int8ConvTranspose: IC mismatch', () => {
    refused(() => run([X(), int8Fill('Wt', [3, 3, 3, 4], new Array(108).fill(1), 0.5, 0), B(), op('Int8ConvTranspose', ['X', 'Wt', 'B'], ['Y'], [NHWC, i('kernel', 3), f('Y_scale', 1)])]), {
      kind: 'fatal',
      reason: /IC == W.size\(0\) \(2 vs 3\)/,
      context: { blob: 'Wt' },
    });
  });
});

describe('zero points', () => {
  it('Int8ChannelShuffle refuses an input zero point outside [0, 255]', () => {
    refused(() => run([X([1, 1, 1, 4], 0.5, 300), op('Int8ChannelShuffle', ['X'], ['Y'], [NHWC, i('kernel', 1), i('group', 2), f('Y_scale', 0.5), i('Y_zero_point', 300)])]), {
      kind: 'fatal',
      reason: /zero point 300 must lie in \[0, 255\]/,
      context: { opIndex: 1, opType: 'Int8ChannelShuffle', blob: 'X' },
    });
  });

  it('a Y_zero_point beyond int32 is refused when it is read', () => {
    refused(() => run([op('Int8GivenTensorFill', [], ['q'], [ints('shape', [1]), s('values', Uint8Array.of(1)), f('Y_scale', 1), i('Y_zero_point', 2 ** 40)])]), {
      reason: /value 1099511627776 of argument Y_zero_point cannot be represented correctly in a target type \(int32\)/,
    });
  });

  it('pass-through ops refuse a Y_zero_point that differs from the input (fatal CHECK)', () => {
    refused(() => run([X([1, 4, 4, 2], 0.5, 10), op('Int8MaxPool', ['X'], ['Y'], [NHWC, i('kernel', 2), f('Y_scale', 0.5), i('Y_zero_point', 11)])]), { kind: 'fatal', reason: /Y_zero_point == X.zero_point \(11 vs 10\)/ });
  });
});

describe('unknown op types and engines, devices', () => {
  it('an op type nobody implements', () => {
    refused(() => run([op('NoSuchOp', [], ['y'])]), { kind: 'unsupported', reason: /Cannot create operator of type 'NoSuchOp'/, context: { net: 'h', opIndex: 0, opType: 'NoSuchOp' } });
  });

  it('an empty op type', () => {
    refused(() => run([X(), op('', ['X'], ['y'])]), { reason: /operator has no type/, context: { opIndex: 1 } });
  });

  it('a GPU device option', () => {
    refused(() => run([X(), op('Int8Dequantize', ['X'], ['y'], [], { device_option: { device_type: 1 } })]), { kind: 'unsupported', reason: /runs CPU ops only/, context: { opIndex: 1, opType: 'Int8Dequantize' } });
  });
});

describe('missing blobs and dtype mismatches', () => {
  it('a missing input blob, at creation', () => {
    refused(() => run([op('Int8Dequantize', ['nowhere'], ['y'])]), { reason: /Encountered a non-existing input blob: nowhere/, context: { net: 'h', opIndex: 0, opType: 'Int8Dequantize', blob: 'nowhere' } });
  });

  it('an input with no source in a net that declares external inputs', () => {
    const ws = new Workspace();
    ws.RunNetOnce(net('init', [X()]));
    refused(() => ws.RunNetOnce(net('h', [op('Int8Dequantize', ['Z'], ['y'])], ['X'])), { reason: /Source for input Z is unknown/, context: { opIndex: 0, blob: 'Z' } });
  });

  it('an external output nobody produces', () => {
    refused(() => new Workspace().RunNetOnce(net('h', [X()], [], ['never'])), { reason: /declared as output but never produced/, context: { net: 'h', blob: 'never' } });
  });

  it('a float tensor where an Int8 tensor is needed, and the reverse', () => {
    const ws = new Workspace();
    ws.FeedBlob('X', new Float32Array(50), [1, 5, 5, 2]);
    ws.RunNetOnce(net('w', [W(), B()]));
    refused(() => ws.RunNetOnce(net('h', [conv([i('kernel', 3)])])), {
      reason: /Blob contains Tensor<float32> while caller expects Int8TensorCPU/,
      context: { opIndex: 0, opType: 'Int8Conv', blob: 'X' },
    });
    refused(() => run([X(), op('NCHW2NHWC', ['X'], ['y'])]), { reason: /Blob contains Int8TensorCPU while caller expects Tensor/, context: { opIndex: 1, blob: 'X' } });
  });

  it('int32 Int8 weights, uint8 bias: dtype mismatches naming the blob', () => {
    refused(() => run([X(), int32Fill('W', [4, 3, 3, 2], new Array(72).fill(1)), B(), conv([i('kernel', 3)])]), { reason: /caller expects elements of uint8, while tensor contains int32/, context: { blob: 'W' } });
    refused(() => run([X(), W(), int8Fill('B', [4], [0, 0, 0, 0], 1, 0), conv([i('kernel', 3)])]), { reason: /caller expects elements of int32, while tensor contains uint8/, context: { blob: 'B' } });
  });

  it('an empty blob (created, never written) as an input', () => {
    const ws = new Workspace();
    ws.CreateBlob('e');
    refused(() => ws.RunNetOnce(net('h', [op('Int8Dequantize', ['e'], ['y'])])), { reason: /Blob contains nullptr \(uninitialized\)/, context: { blob: 'e' } });
  });

  it('FetchBlob of an Int8 blob raises a TypeError, as Caffe2 does', () => {
    const ws = run([X()]);
    expect(() => ws.FetchBlob('X')).toThrow(TypeError);
    expect(ws.FetchInt8Blob('X').dims).toEqual([1, 5, 5, 2]);
    refused(() => ws.FetchInt8Blob('nothing'), { reason: /Can't find blob: nothing/ });
    const t = new Workspace();
    t.FeedBlob('f', new Tensor('float32', [1], new Float32Array(1)));
    refused(() => t.FetchInt8Blob('f'), { reason: /holds Tensor<float32>, not an Int8 tensor/ });
  });
});
