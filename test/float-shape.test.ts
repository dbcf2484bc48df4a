// Concat, Reshape, Flatten, Transpose, Slice, Copy and Cast: hand-worked layouts, argument forms,
// dtypes, Caffe2's quirks and every error.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { formatFixed6, int64ToFloat32 } from '../ops/float-shape.js';
import { expectExact, fetch, run1, runOp } from './float-utils.js';
import { expectError, f32, i, iota, ints, op, s, tensor } from './helpers.js';

describe('Concat', () => {
  it('Concat axis=1 a=[2,2] b=[2,1] -> [2,3], split_info [2,1]', () => {
    // Rows: (1,2)+(5) and (3,4)+(6).
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'split'], [i('axis', 1)]), { a: f32([2, 2], [1, 2, 3, 4]), b: f32([2, 1], [5, 6]) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 3], [1, 2, 5, 3, 4, 6]);
    expectExact(fetch(ws, 'split'), 'int32', [2], [2, 1]);
  });

  it('Concat default (order NCHW -> axis 1) a=[1,1,2] b=[1,2,2] -> [1,3,2]', () => {
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'split']), { a: f32([1, 1, 2], [1, 2]), b: f32([1, 2, 2], [3, 4, 5, 6]) });
    expectExact(fetch(ws, 'y'), 'float32', [1, 3, 2], [1, 2, 3, 4, 5, 6]);
  });

  it('Concat order=NHWC (axis 3) a=[1,2,1,1] b=[1,2,1,2] -> [1,2,1,3]', () => {
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'split'], [s('order', 'NHWC')]), { a: f32([1, 2, 1, 1], [1, 2]), b: f32([1, 2, 1, 2], [10, 11, 20, 21]) });
    expectExact(fetch(ws, 'y'), 'float32', [1, 2, 1, 3], [1, 10, 11, 2, 20, 21]);
    expectExact(fetch(ws, 'split'), 'int32', [2], [1, 2]);
  });

  it('Concat axis=0 and axis=-1 on int32 / int64 / string tensors', () => {
    let ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 0)]), { a: tensor('int32', [1, 2], [1, 2]), b: tensor('int32', [2, 2], [3, 4, 5, 6]) });
    expectExact(fetch(ws, 'y'), 'int32', [3, 2], [1, 2, 3, 4, 5, 6]);
    ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', -1)]), { a: tensor('int64', [2, 1], [1n, 2n]), b: tensor('int64', [2, 1], [3n, 4n]) });
    expectExact(fetch(ws, 'y'), 'int64', [2, 2], [1n, 3n, 2n, 4n]);
    ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 0)]), { a: tensor('string', [1], ['x']), b: tensor('string', [2], ['y', 'z']) });
    expectExact(fetch(ws, 'y'), 'string', [3], ['x', 'y', 'z']);
  });

  it('Concat add_axis=1 axis=1 a=[2,2] b=[2,2] -> [2,2,2], split_info [1,1]', () => {
    // Stacks on a new axis 1: y[r][k][c] = input_k[r][c].
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1), i('add_axis', 1)]), { a: f32([2, 2], [1, 2, 3, 4]), b: f32([2, 2], [5, 6, 7, 8]) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 2, 2], [1, 2, 5, 6, 3, 4, 7, 8]);
    expectExact(fetch(ws, 'sp'), 'int32', [2], [1, 1]);
  });

  it('Concat add_axis=1 axis=-1 a=[2] b=[2] -> [2,2] (axis counts the new rank)', () => {
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', -1), i('add_axis', 1)]), { a: f32([2], [1, 2]), b: f32([2], [3, 4]) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 2], [1, 3, 2, 4]);
  });

  it('Concat of one input a=[2,3] axis=1 is a copy', () => {
    const ws = runOp(op('Concat', ['a'], ['y', 'sp'], [i('axis', 1)]), { a: f32([2, 3], iota(6)) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 3], iota(6));
    expectExact(fetch(ws, 'sp'), 'int32', [1], [3]);
  });

  it('Concat a=[2,2] axis=1 with b=[2,1,1]: only input 0 dims are checked (b is read as [2,1])', () => {
    const ws = runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1)]), { a: f32([2, 2], [1, 2, 3, 4]), b: f32([2, 1, 1], [5, 6]) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 3], [1, 2, 5, 3, 4, 6]);
  });

  it('Concat errors', () => {
    const a = f32([2, 2], [1, 2, 3, 4]);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1), s('order', 'NCHW')]), { a, b: a }), 'enforce', /shouldn't specify both/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [s('order', 'CHW')]), { a, b: a }), 'enforce', /Unsupported storage order: CHW/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1)]), { a, b: f32([3, 1], [1, 2, 3]) }), 'enforce', /Expect dimension = 2 got 3 at axis = 0/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1)]), { a, b: tensor('int32', [2, 2], [1, 2, 3, 4]) }), 'enforce', /same type, expected: float but got: int/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 2)]), { a, b: a }), 'enforce', /axis 2 is out of range/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1)]), { a, b: f32([2], [1, 2]) }), 'enforce', /dimension 1 is out of range/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y'], [i('axis', 1)]), { a, b: a }), 'enforce', /schema/);
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1), i('add_axis', 1)]), { a, b: f32([2, 3], iota(6)) }), 'enforce', /Expect dimension = 2 got 3 at axis = 1/);
  });

  it('Concat a=[2,2] axis=1 with b=[2,1,0] (empty but wide enough on paper) -> invalid', () => {
    expectError(() => runOp(op('Concat', ['a', 'b'], ['y', 'sp'], [i('axis', 1)]), { a: f32([2, 2], [1, 2, 3, 4]), b: f32([2, 1, 0], []) }), 'invalid', /read past its end/);
  });
});

describe('Reshape', () => {
  it('Reshape x=[2,3,4] shape=[0,-1] -> [2,12], old_shape int64 [2,3,4]', () => {
    const ws = runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [0, -1])]), { x: f32([2, 3, 4], iota(24)) });
    expectExact(fetch(ws, 'y'), 'float32', [2, 12], iota(24));
    expectExact(fetch(ws, 'old'), 'int64', [3], [2n, 3n, 4n]);
  });

  it('Reshape with a shape input: int32 [4,-1] -> old_shape int32; int64 [3,2,1]', () => {
    let ws = runOp(op('Reshape', ['x', 's'], ['y', 'old']), { x: f32([2, 3], iota(6)), s: tensor('int32', [2], [-1, 2]) });
    expectExact(fetch(ws, 'y'), 'float32', [3, 2], iota(6));
    expectExact(fetch(ws, 'old'), 'int32', [2], [2, 3]);
    ws = runOp(op('Reshape', ['x', 's'], ['y', 'old']), { x: tensor('int64', [6], iota(6)), s: tensor('int64', [3], [3n, 2n, 1n]) });
    expectExact(fetch(ws, 'y'), 'int64', [3, 2, 1], iota(6).map(BigInt));
    expectExact(fetch(ws, 'old'), 'int64', [1], [6n]);
  });

  it('Reshape in place x=[2,3] shape=[6]; to [] from one element', () => {
    const ws = runOp(op('Reshape', ['x'], ['x', 'old'], [ints('shape', [6])]), { x: f32([2, 3], iota(6)) });
    expectExact(fetch(ws, 'x'), 'float32', [6], iota(6));
    expectExact(run1(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [])]), { x: f32([1, 1], [7]) }), 'float32', [], [7]);
  });

  it('Reshape of an empty tensor: 0 keeps 0 and -1 becomes 0 (x=[0,3] shape=[0,-1] -> [0,0])', () => {
    expectExact(run1(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [0, -1])]), { x: f32([0, 3], []) }), 'float32', [0, 0], []);
    expectExact(run1(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [3, 0])]), { x: f32([0, 3], []) }), 'float32', [3, 0], []);
  });

  it('Reshape errors', () => {
    const x = f32([2, 3], iota(6));
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old']), { x }), 'enforce', /Argument `shape` is missing/);
    expectError(() => runOp(op('Reshape', ['x', 's'], ['y', 'old'], [ints('shape', [6])]), { x, s: tensor('int64', [1], [6n]) }), 'enforce', /do not pass in the argument `shape`/);
    expectError(() => runOp(op('Reshape', ['x', 's'], ['y', 'old']), { x, s: tensor('int64', [1, 1], [6n]) }), 'enforce', /Shape should be 1-D/);
    expectError(() => runOp(op('Reshape', ['x', 's'], ['y', 'old']), { x, s: f32([1], [6]) }), 'enforce', /Unsupported type of tensor: float/);
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [-1, -1])]), { x }), 'enforce', /more than one missing dimension/);
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [4, -1])]), { x }), 'enforce', /does not agree with the input data. \(6 vs 4\)/);
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [5])]), { x }), 'enforce', /does not agree with the input data. \(6 != 5\)/);
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [2, 0, 0])]), { x }), 'enforce', /non-zero size \(6\) tensor to zero size/);
    expectError(() => runOp(op('Reshape', ['x'], ['y', 'old'], [ints('shape', [-2, -3])]), { x }), 'invalid', /negative dimension/);
    expectError(() => runOp(op('Reshape', ['x'], ['y'], [ints('shape', [6])]), { x }), 'enforce', /schema/);
  });
});

describe('Flatten', () => {
  it('Flatten x=[2,3,4] -> [2,12]; axis=2 -> [6,4]; axis=0 -> [1,24]; axis=3 -> [24,1]', () => {
    const x = f32([2, 3, 4], iota(24));
    expectExact(run1(op('Flatten', ['x'], ['y']), { x }), 'float32', [2, 12], iota(24));
    expectExact(run1(op('Flatten', ['x'], ['y'], [i('axis', 2)]), { x }), 'float32', [6, 4], iota(24));
    expectExact(run1(op('Flatten', ['x'], ['y'], [i('axis', 0)]), { x }), 'float32', [1, 24], iota(24));
    expectExact(run1(op('Flatten', ['x'], ['y'], [i('axis', 3)]), { x }), 'float32', [24, 1], iota(24));
  });

  it('Flatten errors: axis past the rank, negative axis, in place', () => {
    const x = f32([2, 3], iota(6));
    expectError(() => runOp(op('Flatten', ['x'], ['y'], [i('axis', 3)]), { x }), 'enforce', /rank of the tensor must be >= axis/);
    expectError(() => runOp(op('Flatten', ['x'], ['y'], [i('axis', -1)]), { x }), 'enforce', /must not be negative/);
    expectError(() => runOp(op('Flatten', ['x'], ['x']), { x }), 'enforce', /in-place/);
  });
});

describe('Transpose', () => {
  it('Transpose x=[2,3] (default axes reversed) -> [3,2]', () => {
    // [[0,1,2],[3,4,5]]ᵀ = [[0,3],[1,4],[2,5]].
    expectExact(run1(op('Transpose', ['x'], ['y']), { x: f32([2, 3], iota(6)) }), 'float32', [3, 2], [0, 3, 1, 4, 2, 5]);
  });

  it('Transpose x=[1,2,2,3] axes=[0,2,3,1] (NCHW -> NHWC)', () => {
    const x = iota(12);
    const expected: number[] = [];
    for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) for (let c = 0; c < 2; c++) expected.push(x[(c * 2 + h) * 3 + w]!);
    expectExact(run1(op('Transpose', ['x'], ['y'], [ints('axes', [0, 2, 3, 1])]), { x: f32([1, 2, 2, 3], x) }), 'float32', [1, 2, 3, 2], expected);
  });

  it('Transpose x=[2,3,4] axes=[1,2,0] on int64, int32 and float64', () => {
    const expected: number[] = [];
    for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) expected.push((a * 3 + b) * 4 + c);
    expectExact(run1(op('Transpose', ['x'], ['y'], [ints('axes', [1, 2, 0])]), { x: tensor('int64', [2, 3, 4], iota(24)) }), 'int64', [3, 4, 2], expected.map(BigInt));
    expectExact(run1(op('Transpose', ['x'], ['y'], [ints('axes', [1, 2, 0])]), { x: tensor('int32', [2, 3, 4], iota(24)) }), 'int32', [3, 4, 2], expected);
    expectExact(run1(op('Transpose', ['x'], ['y'], [ints('axes', [1, 2, 0])]), { x: tensor('float64', [2, 3, 4], iota(24)) }), 'float64', [3, 4, 2], expected);
  });

  it('Transpose errors: axes not a permutation (creation), rank mismatch, uint8 input', () => {
    expectError(() => runOp(op('Transpose', ['x'], ['y'], [ints('axes', [0, 2])]), { x: f32([2, 3], iota(6)) }), 'enforce', /permutation of 0 to ndim/);
    expectError(() => runOp(op('Transpose', ['x'], ['y'], [ints('axes', [1, 0])]), { x: f32([2, 3, 1], iota(6)) }), 'enforce', /3 vs 2/);
    expectError(() => runOp(op('Transpose', ['x'], ['y']), { x: tensor('uint8', [2], [1, 2]) }), 'enforce', /Unsupported type of tensor: unsigned char/);
  });

  it('Transpose without axes keeps the axes of its first run: a created net fed a new rank fails', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', f32([2, 3], iota(6)));
    ws.CreateNet({ name: 't', op: [op('Transpose', ['x'], ['y'])], external_input: ['x'] });
    ws.RunNet('t');
    ws.FeedBlob('x', f32([2, 3, 1], iota(6)));
    expectError(() => ws.RunNet('t'), 'enforce', /3 vs 2/);
    // A fresh op (RunNetOnce) reverses the new rank.
    ws.RunNetOnce({ name: 't2', op: [op('Transpose', ['x'], ['y'])] });
    expectExact(fetch(ws, 'y'), 'float32', [1, 3, 2], [0, 3, 1, 4, 2, 5]);
  });
});

describe('Slice', () => {
  const x = f32([2, 3, 4], iota(24));

  it('Slice x=[2,3,4] starts=[0,1,0] ends=[-1,3,-1] -> [2,2,4] (-1 means the end)', () => {
    const expected = [...iota(8, 4), ...iota(8, 16)];
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [0, 1, 0]), ints('ends', [-1, 3, -1])]), { x }), 'float32', [2, 2, 4], expected);
  });

  it('Slice x=[2,3,4] on the last dim starts=[0,0,-3] ends=[-1,-1,-2] -> [2,3,1] (negatives from size+1)', () => {
    // -3 -> 4 + 1 - 3 = 2, -2 -> 3: column 2 of every row.
    const expected = iota(6).map((r) => r * 4 + 2);
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [0, 0, -3]), ints('ends', [-1, -1, -2])]), { x }), 'float32', [2, 3, 1], expected);
  });

  it('Slice with int32 starts/ends inputs, and ends past the size clamp', () => {
    const y = run1(op('Slice', ['x', 'st', 'en'], ['y']), { x, st: tensor('int32', [3], [1, 0, 0]), en: tensor('int32', [3], [9, 3, 4]) });
    expectExact(y, 'float32', [1, 3, 4], iota(12, 12));
  });

  it('Slice on string and int64 tensors', () => {
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [1]), ints('ends', [3])]), { x: tensor('string', [4], ['a', 'b', 'c', 'd']) }), 'string', [2], ['b', 'c']);
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [2]), ints('ends', [-1])]), { x: tensor('int64', [3], [1n, 2n, 3n]) }), 'int64', [1], [3n]);
  });

  it('Slice with fewer starts than dims: no slicing copies; an empty slice keeps the trailing dims at 0', () => {
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [0]), ints('ends', [-1])]), { x }), 'float32', [2, 3, 4], iota(24));
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [1]), ints('ends', [1])]), { x }), 'float32', [0, 0, 0], []);
  });

  it('Slice with fewer starts than dims that really slices -> invalid (Caffe2 writes past its empty output)', () => {
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [1]), ints('ends', [2])]), { x }), 'invalid', /trailing output dims at 0/);
  });

  it('Slice of an empty tensor x=[0,3] starts=[0] ends=[-1] -> [0,0] (trailing dims left at 0)', () => {
    expectExact(run1(op('Slice', ['x'], ['y'], [ints('starts', [0]), ints('ends', [-1])]), { x: f32([0, 3], []) }), 'float32', [0, 0], []);
  });

  it('Slice errors', () => {
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [0, 1]), ints('ends', [1, 2])]), { x }), 'enforce', /only possible to slice in 1 dimension/);
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [2]), ints('ends', [1])]), { x }), 'enforce', /end 1 is before start 2/);
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [-4]), ints('ends', [1])]), { x }), 'enforce', /negative after adjustment/);
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [0])]), { x }), 'enforce', /`ends`/);
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [0]), ints('ends', [1, 2])]), { x }), 'enforce', /same length/);
    expectError(() => runOp(op('Slice', ['x'], ['y'], [ints('starts', [0, 0, 0, 0]), ints('ends', [1, 1, 1, 1])]), { x }), 'enforce', /fewer than the 4 starts/);
    expectError(() => runOp(op('Slice', ['x', 'st'], ['y']), { x, st: tensor('int32', [1], [0]) }), 'enforce', /ends input/);
    expectError(() => runOp(op('Slice', ['x', 'st', 'en'], ['y']), { x, st: tensor('int32', [1], [0]), en: tensor('int64', [1], [1n]) }), 'enforce', /type mismatch/);
    expectError(() => runOp(op('Slice', ['x', 'st', 'en'], ['y']), { x, st: f32([1], [0]), en: f32([1], [1]) }), 'enforce', /Unsupported type of tensor: float/);
  });
});

describe('Copy', () => {
  it('Copy of float, bool and string tensors', () => {
    expectExact(run1(op('Copy', ['x'], ['y']), { x: f32([2, 1], [1, 2]) }), 'float32', [2, 1], [1, 2]);
    expectExact(run1(op('Copy', ['x'], ['y']), { x: tensor('bool', [3], [1, 0, 1]) }), 'bool', [3], [1, 0, 1]);
    expectExact(run1(op('Copy', ['x'], ['y']), { x: tensor('string', [1], ['hi']) }), 'string', [1], ['hi']);
  });

  it('Copy makes an independent tensor', () => {
    const ws = runOp(op('Copy', ['x'], ['y']), { x: f32([2], [1, 2]) });
    const y = ws.FetchBlob('y') as Tensor;
    expect(y).toBeInstanceOf(Tensor);
    ws.FeedBlob('x', f32([2], [5, 6]));
    expectExact(fetch(ws, 'y'), 'float32', [2], [1, 2]);
  });
});

describe('Cast', () => {
  const cast = (to: number | string, x: Tensor) => run1(op('Cast', ['x'], ['y'], [typeof to === 'number' ? i('to', to) : s('to', to)]), { x });

  it('float32 -> int32 truncates toward zero (to=2)', () => {
    expectExact(cast(2, f32([5], [1.7, -1.7, 0.5, -0.5, 2147483520])), 'int32', [5], [1, -1, 0, 0, 2147483520]);
  });

  it('float32 -> uint8 / int8 / int16 / uint16 / int64 / bool / double', () => {
    expectExact(cast(6, f32([3], [0, 200.9, 255])), 'uint8', [3], [0, 200, 255]);
    expectExact(cast(7, f32([2], [-128.5, 127.9])), 'int8', [2], [-128, 127]);
    expectExact(cast(9, f32([2], [-32768, 1.5])), 'int16', [2], [-32768, 1]);
    expectExact(cast(8, f32([1], [65535.5])), 'uint16', [1], [65535]);
    expectExact(cast(10, f32([2], [-3.9, 2 ** 40])), 'int64', [2], [-3n, 2n ** 40n]);
    expectExact(cast(5, f32([4], [0, -0, 0.1, NaN])), 'bool', [4], [0, 0, 1, 1]);
    expectExact(cast(13, f32([1], [0.1])), 'float64', [1], [Math.fround(0.1)]);
  });

  it('to given by name, case-insensitive ("int64", "DOUBLE"); default is FLOAT', () => {
    expectExact(cast('int64', f32([1], [7.9])), 'int64', [1], [7n]);
    expectExact(cast('DOUBLE', tensor('int32', [1], [3])), 'float64', [1], [3]);
    expectExact(run1(op('Cast', ['x'], ['y']), { x: tensor('float64', [1], [0.1]) }), 'float32', [1], [Math.fround(0.1)]);
  });

  it('integer narrowing wraps: int32 -> int8 / uint8, int64 -> int32', () => {
    expectExact(cast(7, tensor('int32', [3], [200, -129, 127])), 'int8', [3], [-56, 127, 127]);
    expectExact(cast(6, tensor('int32', [2], [-1, 256])), 'uint8', [2], [255, 0]);
    expectExact(cast(2, tensor('int64', [2], [2n ** 32n + 5n, -(2n ** 31n) - 1n])), 'int32', [2], [5, 2147483647]);
    expectExact(cast(8, tensor('int8', [1], [-1])), 'uint16', [1], [65535]);
  });

  it('bool -> float / int32; uint8 -> int8; int32 -> bool', () => {
    expectExact(cast(1, tensor('bool', [2], [1, 0])), 'float32', [2], [1, 0]);
    expectExact(cast(2, tensor('bool', [2], [1, 0])), 'int32', [2], [1, 0]);
    expectExact(cast(7, tensor('uint8', [2], [255, 128])), 'int8', [2], [-1, -128]);
    expectExact(cast(5, tensor('int32', [3], [0, -5, 2])), 'bool', [3], [0, 1, 1]);
  });

  it('int64 -> float32 rounds once (2^53 + 2^29 + 1 -> 2^53 + 2^30; through a double it would give 2^53)', () => {
    const v = 2n ** 53n + 2n ** 29n + 1n;
    expect(Math.fround(Number(v))).toBe(2 ** 53); // the double-rounding trap
    expectExact(cast(1, tensor('int64', [3], [v, -v, 16777217n])), 'float32', [3], [2 ** 53 + 2 ** 30, -(2 ** 53 + 2 ** 30), 16777216]);
    expect(int64ToFloat32(2n ** 63n - 1n)).toBe(2 ** 63);
  });

  it('double -> float32 rounds to nearest even; int64 -> double', () => {
    expectExact(cast(1, tensor('float64', [2], [1 + 2 ** -24, 1 + 3 * 2 ** -24])), 'float32', [2], [1, 1 + 2 ** -22]);
    expectExact(cast(13, tensor('int64', [1], [2n ** 60n + 1n])), 'float64', [1], [2 ** 60]);
  });

  it('to STRING uses std::to_string: "%f" for floats (ties to even), decimal for integers', () => {
    expectExact(cast(4, f32([4], [1.5, -0, 0.0078125, 1e10])), 'string', [4], ['1.500000', '-0.000000', '0.007812', '10000000000.000000']);
    expectExact(cast(4, tensor('int64', [1], [-(2n ** 63n)])), 'string', [1], ['-9223372036854775808']);
    expectExact(cast('string', tensor('bool', [2], [1, 0])), 'string', [2], ['1', '0']);
    expect(formatFixed6(0.0000005)).toBe('0.000000'); // 5e-7 is slightly below the tie as a double
    expect(formatFixed6(2.5e-6)).toBe('0.000003');
    expect(formatFixed6(Infinity)).toBe('inf');
  });

  it('out-of-range or NaN float -> integer is undefined behaviour -> invalid', () => {
    expectError(() => cast(6, f32([1], [256])), 'invalid', /out of range/);
    expectError(() => cast(6, f32([1], [-1])), 'invalid', /out of range/);
    expectError(() => cast(2, f32([1], [NaN])), 'invalid', /out of range/);
    expectError(() => cast(10, f32([1], [2 ** 63])), 'invalid', /out of range/);
  });

  it('errors at creation: BYTE (fatal), FLOAT16, UNDEFINED, 99, unknown name, unknown from_type', () => {
    const x = f32([1], [1]);
    expectError(() => cast(3, x), 'fatal', /BYTE is deprecated/);
    expectError(() => cast(12, x), 'enforce', /at::Half/);
    expectError(() => cast(0, x), 'enforce', /must have 'to' argument/);
    expectError(() => cast(99, x), 'enforce', /Unexpected 'to' argument value: 99/);
    expectError(() => cast('float32', x), 'enforce', /Unknown 'to' argument: FLOAT32/);
    expectError(() => runOp(op('Cast', ['x'], ['y'], [i('to', 1), s('from_type', 'half')]), { x }), 'enforce', /Unknown 'to' argument: HALF/);
    expectError(() => runOp(op('Cast', ['x'], ['y'], [{ name: 'to', f: 1 }]), { x }), 'enforce', /right field/);
  });

  it('unsupported sources: string and float16 -> enforce', () => {
    expectError(() => cast(1, tensor('string', [1], ['1'])), 'enforce', /Unsupported type of tensor: std::string/);
    expectError(() => cast(1, tensor('float16', [1], [0x3c00])), 'enforce', /Unsupported type of tensor: c10::Half/);
  });
});
