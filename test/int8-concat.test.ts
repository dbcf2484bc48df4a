// Int8Concat: axis/order rules, byte layout and checks the golden cases do not pin down.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import type { Argument, NetDef } from '../src/proto/types.js';
import { Int8Tensor } from '../src/tensor.js';
import { expectError, f, i, order, q8, runInt8Net } from './helpers.js';

function net(n: number, args: Argument[], outputs = ['y']): NetDef {
  const inputs = Array.from({ length: n }, (_, k) => `x${k}`);
  return { name: 'n', op: [{ type: 'Int8Concat', input: inputs, output: outputs, arg: args }], external_input: inputs };
}

function concat(xs: Int8Tensor[], args: Argument[], outputs = ['y']) {
  return runInt8Net(net(xs.length, args, outputs), Object.fromEntries(xs.map((x, k) => [`x${k}`, x])));
}

describe('Int8Concat', () => {
  it('Int8Concat without order: axis 0, [1,2] + [2,2] -> [3,2]', () => {
    const y = concat([q8([1, 2], [1, 2]), q8([3, 4, 5, 6], [2, 2])], []);
    expect(y.dims).toEqual([3, 2]);
    expect(y.bytes).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Int8Concat order=NCHW: axis 1 by default, [2,1] + [2,2] -> [2,3] interleaves rows', () => {
    // Row r of Y = row r of x0 (1 byte) then row r of x1 (2 bytes).
    const y = concat([q8([1, 2], [2, 1]), q8([10, 11, 20, 21], [2, 2])], [order('NCHW')]);
    expect(y.dims).toEqual([2, 3]);
    expect(y.bytes).toEqual([1, 10, 11, 2, 20, 21]);
  });

  it('Int8Concat order=NHWC axis=2: [1,1,1,2] + [1,1,2,2] -> [1,1,3,2]', () => {
    const y = concat([q8([1, 2], [1, 1, 1, 2]), q8([3, 4, 5, 6], [1, 1, 2, 2])], [order('NHWC'), i('axis', 2)]);
    expect(y.dims).toEqual([1, 1, 3, 2]);
    expect(y.bytes).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Int8Concat order=NHWC (axis 3): channel concat of 2 pixels, [1,1,2,1] + [1,1,2,2] -> [1,1,2,3]', () => {
    const y = concat([q8([1, 2], [1, 1, 2, 1]), q8([10, 11, 20, 21], [1, 1, 2, 2])], [order('NHWC')]);
    expect(y.bytes).toEqual([1, 10, 11, 2, 20, 21]);
  });

  it('Int8Concat order "nhwc" (lower case) counts as no order: axis 0', () => {
    const y = concat([q8([1, 2], [1, 2]), q8([3, 4], [1, 2])], [order('nhwc')]);
    expect(y.dims).toEqual([2, 2]);
  });

  it('Int8Concat: later inputs\' scale and zero point are neither checked nor rescaled; Y takes X0\'s', () => {
    const y = concat([q8([100], [1, 1], 0.5, 100), q8([7], [1, 1], 3, 250)], [f('Y_scale', 0.5), i('Y_zero_point', 100)]);
    expect(y.bytes).toEqual([100, 7]);
    expect(y.scale).toBe(0.5);
    expect(y.zp).toBe(100);
  });

  it('Int8Concat with a split_info output leaves that blob empty', () => {
    const y = concat([q8([1], [1]), q8([2], [1])], [], ['y', 'split']);
    expect(y.bytes).toEqual([1, 2]);
    expect(y.ws.FetchBlob('split')).toBe('split, a C++ native class of type nullptr (uninitialized).');
  });

  it('Int8Concat with a single input copies it', () => {
    expect(concat([q8([4, 5, 6], [3])], []).bytes).toEqual([4, 5, 6]);
  });

  it('Int8Concat Ypass against X0: Y_zero_point mismatch is FATAL', () => {
    expectError(() => concat([q8([1], [1], 1, 5), q8([2], [1], 1, 0)], []), 'fatal', /Y_zero_point == X0.zero_point \(0 vs 5\)/, 'Int8Concat');
  });

  it('Int8Concat: X0 zero point 256 (matched by Y_zero_point) is FATAL', () => {
    expectError(() => concat([q8([1], [1], 1, 256)], [i('Y_zero_point', 256)]), 'fatal', /\[0, 255\]/, 'Int8Concat');
  });

  it('Int8Concat order=NHWC axis=4 is FATAL at creation', () => {
    expectError(() => concat([q8([1], [1, 1, 1, 1])], [order('NHWC'), i('axis', 4)]), 'fatal', /axis_ < 4/, 'Int8Concat');
  });

  it('Int8Concat order=NCHW axis=-1 is FATAL at creation', () => {
    expectError(() => concat([q8([1], [1, 1, 1, 1])], [order('NCHW'), i('axis', -1)]), 'fatal', /axis_ >= 0/, 'Int8Concat');
  });

  it('Int8Concat without order, axis=-1 is refused (negative axes are not supported; Caffe2 does not check)', () => {
    expectError(() => concat([q8([1], [1, 1]), q8([2], [1, 1])], [i('axis', -1)]), 'invalid', /out of range/, 'Int8Concat');
  });

  it('Int8Concat order=NCHW (axis 1) on 1-D inputs is refused (axis beyond the rank)', () => {
    expectError(() => concat([q8([1], [1]), q8([2], [1])], [order('NCHW')]), 'invalid', /rank 1/, 'Int8Concat');
  });

  it('Int8Concat order=NHWC on 3-D inputs is FATAL', () => {
    expectError(() => concat([q8([1], [1, 1, 1])], [order('NHWC')]), 'fatal', /Y_dims.size\(\) == 4/, 'Int8Concat');
  });

  it('Int8Concat inputs of different rank is FATAL', () => {
    expectError(() => concat([q8([1, 2], [1, 2]), q8([3, 4], [2])], []), 'fatal', /dim\(\) == Y_dims.size\(\) \(1 vs 2\)/, 'Int8Concat');
  });

  it('Int8Concat axis 0: [1,2] + [1,3] differ off the axis, FATAL', () => {
    expectError(() => concat([q8([1, 2], [1, 2]), q8([3, 4, 5], [1, 3])], []), 'fatal', /size\(1\) == Y_dims\[1\] \(3 vs 2\)/, 'Int8Concat');
  });

  it('Int8Concat of an int32 Int8 tensor is refused when its bytes are read', () => {
    const b = new Int8Tensor(Int32Array.from([1]), [1], 1, 0);
    expectError(() => concat([q8([1], [1]), b], []), 'enforce', /type mismatch/, 'Int8Concat');
  });

  it('Int8Concat of empty tensors: [0,2] + [0,3] along axis 1 -> [0,5]', () => {
    const y = concat([q8([], [0, 2]), q8([], [0, 3])], [i('axis', 1)]);
    expect(y.dims).toEqual([0, 5]);
  });
});
