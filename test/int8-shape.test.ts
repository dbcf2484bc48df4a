// Int8Reshape, Int8Flatten, Int8Slice, Int8Transpose (SEMANTICS.md §5; upstream
// caffe2/operators/quantized/int8_{reshape,flatten,slice,transpose}_op.h on top of
// reshape_op.h, slice_op.h, transpose_op.h). No golden vectors exist for these ops: every
// expected value below is worked out from those sources by hand.
import { describe, expect, it } from 'vitest';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';
import { expectError, f, i, iota, ints, net, op, yArgs } from './helpers.js';

/** Int8 input with the given bytes, scale 0.5 and zero point 3 unless told otherwise. */
function int8(dims: number[], values: number[], scale = 0.5, zp = 3): Int8Tensor {
  return new Int8Tensor(Uint8Array.from(values), dims, scale, zp);
}

/** The Ypass arguments matching int8()'s defaults. */
const YP = (scale = 0.5, zp = 3): Argument[] => yArgs(scale, zp);

function wsWith(blobs: Record<string, Int8Tensor | Tensor>): Workspace {
  const ws = new Workspace();
  for (const [k, v] of Object.entries(blobs)) ws.setBlob(k, v);
  return ws;
}

function runOp(def: OperatorDef, blobs: Record<string, Int8Tensor | Tensor>): Workspace {
  const ws = wsWith(blobs);
  ws.RunOperatorOnce(def);
  return ws;
}

function fetchInt8(ws: Workspace, name: string) {
  const t = ws.FetchInt8Blob(name);
  return { data: Array.from(t.data), dims: t.dims, scale: t.scale, zp: t.zero_point };
}

const i32 = (dims: number[], v: number[]) => new Tensor('int32', dims, Int32Array.from(v));
const i64 = (dims: number[], v: number[]) => new Tensor('int64', dims, BigInt64Array.from(v, (x) => BigInt(x)));

// X (2,3,4) holding bytes 0..23 is used throughout.
const X234 = () => int8([2, 3, 4], iota(24));

describe('Int8Reshape', () => {
  const reshape = (shape: number[] | undefined, extra: Argument[] = YP(), inputs = ['x'], outputs = ['y', 'old']) =>
    op('Int8Reshape', inputs, outputs, [...(shape ? [ints('shape', shape)] : []), ...extra]);

  it.each([
    // total 24; `0` copies the input dim at the same index; one -1 is total / product of the rest.
    [[4, -1], [4, 6]],
    [[0, -1], [2, 12]], // 0 -> 2, then 24 / 2
    [[-1, 0], [8, 3]], // 0 -> 3 (index 1), then 24 / 3
    [[0, 0, 0], [2, 3, 4]],
    [[24], [24]],
    [[2, 3, 2, 2], [2, 3, 2, 2]],
  ])('(2,3,4) shape=%j -> %j, bytes unchanged, old_shape int64 [2,3,4], Ypass qparams', (shape, want) => {
    const ws = runOp(reshape(shape), { x: X234() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: iota(24), dims: want, scale: 0.5, zp: 3 });
    const old = ws.FetchBlob('old') as Tensor;
    expect(old.dtype).toBe('int64');
    expect(old.dims).toEqual([3]);
    expect(Array.from(old.data as BigInt64Array)).toEqual([2n, 3n, 4n]);
  });

  it('shape from an int32 input tensor [3,8]: old_shape is int32 too', () => {
    const ws = runOp(reshape(undefined, YP(), ['x', 's']), { x: X234(), s: i32([2], [3, 8]) });
    expect(fetchInt8(ws, 'y').dims).toEqual([3, 8]);
    const old = ws.FetchBlob('old') as Tensor;
    expect(old.dtype).toBe('int32');
    expect(Array.from(old.data as Int32Array)).toEqual([2, 3, 4]);
  });

  it('shape from an int64 input tensor [-1,2] -> (12,2), old_shape int64', () => {
    const ws = runOp(reshape(undefined, YP(), ['x', 's']), { x: X234(), s: i64([2], [-1, 2]) });
    expect(fetchInt8(ws, 'y').dims).toEqual([12, 2]);
    expect((ws.FetchBlob('old') as Tensor).dtype).toBe('int64');
  });

  it('an empty shape tensor keeps the (absent) shape argument: (1,1) -> scalar []', () => {
    // numel 0: nothing is copied, so the new shape is the empty `shape` argument list; product 1 = total 1.
    const ws = runOp(reshape(undefined, YP(), ['x', 's']), { x: int8([1, 1], [9]), s: i32([0], []) });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [9], dims: [], scale: 0.5, zp: 3 });
  });

  it('an empty shape argument reshapes to a scalar; (2,3,4) then fails: 24 != 1', () => {
    expectError(() => runOp(reshape([]), { x: X234() }), 'enforce', /does not agree with the input data. \(24 != 1\)/);
  });

  it('int32 data (a bias-style Int8 tensor) is reshaped too', () => {
    const x = new Int8Tensor(Int32Array.from([-5, 7, 1000000, 2]), [4], 0.25, 0);
    const ws = runOp(reshape([2, 2], YP(0.25, 0)), { x });
    const y = ws.FetchInt8Blob('y');
    expect(y.data).toBeInstanceOf(Int32Array);
    expect(Array.from(y.data)).toEqual([-5, 7, 1000000, 2]);
    expect(y.dims).toEqual([2, 2]);
  });

  it('in-place (x -> x) is allowed: (2,3,4) -> (6,4)', () => {
    const ws = runOp(reshape([6, 4], YP(), ['x'], ['x', 'old']), { x: X234() });
    expect(fetchInt8(ws, 'x')).toEqual({ data: iota(24), dims: [6, 4], scale: 0.5, zp: 3 });
  });

  it('the output does not alias the input buffer when not in place', () => {
    const x = X234();
    const ws = runOp(reshape([24]), { x });
    (x.data as Uint8Array)[0] = 200;
    expect(ws.FetchInt8Blob('y').data[0]).toBe(0);
  });

  describe('empty input (0,3)', () => {
    it.each([
      // total 0: `0` is not copied, -1 becomes 0, and no size check happens.
      [[-1, 6], [0, 6]],
      [[0, 7], [0, 7]], // the 0 stays 0 (no copying for an empty input); product 0, no check
      [[5, 0, -1], [5, 0, 0]],
    ])('shape=%j -> %j', (shape, want) => {
      const ws = runOp(reshape(shape), { x: int8([0, 3], []) });
      expect(fetchInt8(ws, 'y')).toEqual({ data: [], dims: want, scale: 0.5, zp: 3 });
    });

    it('(3,0) with shape [0,5] -> (0,5): the 0 is not replaced by the input dim 3 when the input is empty', () => {
      expect(fetchInt8(runOp(reshape([0, 5]), { x: int8([3, 0], []) }), 'y').dims).toEqual([0, 5]);
    });

    it('a non-empty target shape [2,3] is refused: Caffe2 leaves it uninitialised (invalid)', () => {
      expectError(() => runOp(reshape([2, 3]), { x: int8([0, 3], []) }), 'invalid', /6 elements but the input \[0,3\] has 0/);
    });
  });

  describe('errors', () => {
    it('one input and no `shape`: enforce "Argument `shape` is missing."', () => {
      expectError(() => runOp(reshape(undefined), { x: X234() }), 'enforce', /Argument `shape` is missing/);
    });

    it('shape input and shape argument together: enforce', () => {
      expectError(() => runOp(reshape([24], YP(), ['x', 's']), { x: X234(), s: i32([1], [24]) }), 'enforce', /do not pass in the argument `shape`/);
    });

    it('a 2-D shape tensor: enforce "Shape should be 1-D"', () => {
      expectError(() => runOp(reshape(undefined, YP(), ['x', 's']), { x: X234(), s: i32([1, 2], [4, 6]) }), 'enforce', /Shape should be 1-D/);
    });

    it('a float shape tensor: enforce "Unsupported type of tensor" (before the Ypass checks)', () => {
      const s = new Tensor('float32', [2], Float32Array.from([4, 6]));
      expectError(() => runOp(reshape(undefined, [], ['x', 's']), { x: X234(), s }), 'enforce', /Unsupported type of tensor: float32/);
    });

    it('two -1: enforce', () => {
      expectError(() => runOp(reshape([-1, -1]), { x: X234() }), 'enforce', /more than one missing dimension/);
    });

    it('[5,-1]: 24 % 5 != 0: enforce', () => {
      expectError(() => runOp(reshape([5, -1]), { x: X234() }), 'enforce', /does not agree with the input data. \(24 vs 5\)/);
    });

    it('[5,5]: 24 != 25: enforce', () => {
      expectError(() => runOp(reshape([5, 5]), { x: X234() }), 'enforce', /\(24 != 25\)/);
    });

    it('a 0 past the input rank stays 0: [2,3,4,0] -> "Can not reshape a non-zero size (24) tensor to zero size."', () => {
      expectError(() => runOp(reshape([2, 3, 4, 0]), { x: X234() }), 'enforce', /Can not reshape a non-zero size \(24\) tensor to zero size/);
    });

    it('int32 shape [65536,65536,2]: the int32 product wraps to 0 -> zero-size error; as int64 it is 2^33 != 24', () => {
      // 65536 * 65536 = 2^32 = 0 (mod 2^32), * 2 = 0.
      expectError(
        () => runOp(reshape(undefined, YP(), ['x', 's']), { x: X234(), s: i32([3], [65536, 65536, 2]) }),
        'enforce',
        /Can not reshape a non-zero size \(24\) tensor to zero size/,
      );
      expectError(
        () => runOp(reshape(undefined, YP(), ['x', 's']), { x: X234(), s: i64([3], [65536, 65536, 2]) }),
        'enforce',
        /\(24 != 8589934592\)/,
      );
    });

    it('int32 shape [65536,65537,1]: a wrapped product that passes the check is refused (invalid)', () => {
      // [65536, 65537, 1]: 65536 * 65537 = 2^32 + 65536 = 65536 (mod 2^32); with a (65536) input
      // the check 65536 == 65536 passes but the dims hold 2^32 + 65536 elements.
      const x = int8([65536], new Array(65536).fill(1));
      expectError(
        () => runOp(reshape(undefined, YP(), ['x', 's']), { x, s: i32([3], [65536, 65537, 1]) }),
        'invalid',
        /has 4295032832 elements but the input \[65536\] has 65536/,
      );
    });

    it('negative dims other than -1 ([-2,-12], product 24) are refused (invalid)', () => {
      expectError(() => runOp(reshape([-2, -12]), { x: X234() }), 'invalid', /negative dimension/);
    });

    it('Y_zero_point not given (0) while X.zp = 3: fatal CHECK_EQ', () => {
      expectError(() => runOp(reshape([24], [f('Y_scale', 0.5)]), { x: X234() }), 'fatal', /Y_zero_point.*3/);
    });

    it('Y_scale 0.25 while X.scale = 0.5: fatal CHECK_EQ', () => {
      expectError(() => runOp(reshape([24], YP(0.25, 3)), { x: X234() }), 'fatal', /Y_scale.*0\.25 vs\. 0\.5/);
    });

    it('Y_scale 0.1 matches an X scale of f32(0.1) (both float32)', () => {
      const ws = runOp(reshape([24], YP(0.1, 3)), { x: int8([2, 3, 4], iota(24), 0.1, 3) });
      expect(fetchInt8(ws, 'y').scale).toBe(Math.fround(0.1));
    });

    it('Y_scale given as an int: enforce (argument has no `f`)', () => {
      expectError(() => runOp(reshape([24], [i('Y_scale', 1), i('Y_zero_point', 3)]), { x: X234() }), 'enforce', /does not have the right field/);
    });

    it('a float tensor input: wrong blob type (enforce)', () => {
      const x = new Tensor('float32', [2], Float32Array.from([1, 2]));
      expectError(() => runOp(reshape([2]), { x }), 'enforce', /Blob contains Tensor<float32> while caller expects Int8TensorCPU/);
    });

    it('1 output fails schema checking (2 are required)', () => {
      expectError(() => runOp(reshape([24], YP(), ['x'], ['y']), { x: X234() }), 'enforce', /schema checking: takes 2 outputs, got 1/);
    });

    it('in-place on the shape input (s -> old_shape) fails schema checking', () => {
      expectError(() => runOp(reshape(undefined, YP(), ['x', 's'], ['y', 's']), { x: X234(), s: i32([1], [24]) }), 'enforce', /in-place/);
    });

    it('both outputs naming one blob is refused at creation (invalid)', () => {
      expectError(() => runOp(reshape([24], YP(), ['x'], ['y', 'y']), { x: X234() }), 'invalid', /both outputs/);
    });
  });
});

describe('Int8Flatten', () => {
  const flatten = (axis: number | undefined, extra: Argument[] = YP(), io: [string, string] = ['x', 'y']) =>
    op('Int8Flatten', [io[0]], [io[1]], [...(axis === undefined ? [] : [i('axis', axis)]), ...extra]);

  it.each([
    // (prod(dims[:axis]), prod(dims[axis:]))
    [undefined, [2, 12]], // default axis 1
    [0, [1, 24]],
    [1, [2, 12]],
    [2, [6, 4]],
    [3, [24, 1]],
  ])('(2,3,4) axis=%s -> %j, bytes unchanged, Ypass', (axis, want) => {
    const ws = runOp(flatten(axis), { x: X234() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: iota(24), dims: want, scale: 0.5, zp: 3 });
  });

  it('empty (0,3,4) axis 1 -> (0,12); (3,0,4) axis 1 -> (3,0)', () => {
    expect(fetchInt8(runOp(flatten(1), { x: int8([0, 3, 4], []) }), 'y').dims).toEqual([0, 12]);
    expect(fetchInt8(runOp(flatten(1), { x: int8([3, 0, 4], []) }), 'y').dims).toEqual([3, 0]);
  });

  it('rank-0 input, axis 0 -> (1,1)', () => {
    expect(fetchInt8(runOp(flatten(0), { x: int8([], [7]) }), 'y')).toEqual({ data: [7], dims: [1, 1], scale: 0.5, zp: 3 });
  });

  it('int32 data is flattened too', () => {
    const x = new Int8Tensor(Int32Array.from([1, -2, 3, -4]), [2, 2], 1, 0);
    const y = runOp(flatten(0, []), { x }).FetchInt8Blob('y');
    expect(Array.from(y.data)).toEqual([1, -2, 3, -4]);
    expect(y.dims).toEqual([1, 4]);
  });

  it.each([[4], [-1]])('axis=%s on rank 3: enforce "rank of the tensor must be >= axis" (negative compares as size_t)', (axis) => {
    expectError(() => runOp(flatten(axis), { x: X234() }), 'enforce', /The rank of the tensor must be >= axis/);
  });

  it('Ypass mismatch is checked before the axis: fatal', () => {
    expectError(() => runOp(flatten(9, YP(0.5, 4)), { x: X234() }), 'fatal', /Y_zero_point/);
  });

  it('in-place is not allowed by the schema', () => {
    expectError(() => runOp(flatten(1, YP(), ['x', 'x']), { x: X234() }), 'enforce', /does not allow in-place/);
  });
});

describe('Int8Slice', () => {
  const X24 = () => int8([2, 4], iota(8, 1)); // [[1,2,3,4],[5,6,7,8]]
  const slice = (args: Argument[], inputs = ['x'], extra: Argument[] = YP()) => op('Int8Slice', inputs, ['y'], [...args, ...extra]);

  it('schema doc example: (2,4) starts [0,1] ends [-1,3] -> [[2,3],[6,7]]', () => {
    // dim 0: end -1 -> 2 + 1 - 1 = 2 (whole); dim 1: [1,3).
    const ws = runOp(slice([ints('starts', [0, 1]), ints('ends', [-1, 3])]), { x: X24() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [2, 3, 6, 7], dims: [2, 2], scale: 0.5, zp: 3 });
  });

  it('(2,3,4) starts [0] ends [1]: only dim 0 listed, dims 1 and 2 kept whole -> (1,3,4) = bytes 0..11', () => {
    const ws = runOp(slice([ints('starts', [0]), ints('ends', [1])]), { x: X234() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: iota(12), dims: [1, 3, 4], scale: 0.5, zp: 3 });
  });

  it('(2,3,4) slicing dim 1 [1,3) -> (2,2,4): blocks 4..11 and 16..23', () => {
    const ws = runOp(slice([ints('starts', [0, 1]), ints('ends', [-1, 3])]), { x: X234() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [...iota(8, 4), ...iota(8, 16)], dims: [2, 2, 4], scale: 0.5, zp: 3 });
  });

  it('indices are clamped to the dim: ends [-1, 100] -> [1,4) on (2,4)', () => {
    const ws = runOp(slice([ints('starts', [0, 1]), ints('ends', [-1, 100])]), { x: X24() });
    expect(fetchInt8(ws, 'y').data).toEqual([2, 3, 4, 6, 7, 8]);
  });

  it('negative start: -2 on a dim of 4 means 4 + 1 - 2 = 3 -> [3,4)', () => {
    const ws = runOp(slice([ints('starts', [0, -2]), ints('ends', [-1, -1])]), { x: X24() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [4, 8], dims: [2, 1], scale: 0.5, zp: 3 });
  });

  it('start == end gives an empty dim: [2,2) -> (2,0)', () => {
    const ws = runOp(slice([ints('starts', [0, 2]), ints('ends', [-1, 2])]), { x: X24() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [], dims: [2, 0], scale: 0.5, zp: 3 });
  });

  it('nothing cut (starts [0,0] ends [-1,-1]) copies the whole tensor', () => {
    const ws = runOp(slice([ints('starts', [0, 0]), ints('ends', [-1, -1])]), { x: X24() });
    expect(fetchInt8(ws, 'y')).toEqual({ data: iota(8, 1), dims: [2, 4], scale: 0.5, zp: 3 });
  });

  it('empty input (0,4): dim 0 gives 0, dim 1 is still checked and sliced -> (0,2), no single-dim check', () => {
    const ws = runOp(slice([ints('starts', [0, 1]), ints('ends', [-1, 3])]), { x: int8([0, 4], []) });
    expect(fetchInt8(ws, 'y').dims).toEqual([0, 2]);
    // Two dims cut is fine when the input is empty: (3,0,4) with dims 0 and 2 cut.
    const ws2 = runOp(slice([ints('starts', [1, 0, 1]), ints('ends', [2, -1, 3])]), { x: int8([3, 0, 4], []) });
    expect(fetchInt8(ws2, 'y').dims).toEqual([1, 0, 2]);
  });

  it('int32 data slices too', () => {
    const x = new Int8Tensor(Int32Array.from([10, -20, 30, -40]), [4], 1, 0);
    const y = runOp(slice([ints('starts', [1]), ints('ends', [3])], ['x'], []), { x }).FetchInt8Blob('y');
    expect(Array.from(y.data)).toEqual([-20, 30]);
  });

  describe('dim / start_idx / end_idx', () => {
    it('(2,3,4) dim 2 start_idx 1 end_idx -2 -> end 4 + 1 - 2 = 3 -> (2,3,2)', () => {
      const ws = runOp(slice([i('dim', 2), i('start_idx', 1), i('end_idx', -2)]), { x: X234() });
      // Each row of 4 keeps elements 1 and 2.
      const want = iota(6).flatMap((r) => [r * 4 + 1, r * 4 + 2]);
      expect(fetchInt8(ws, 'y')).toEqual({ data: want, dims: [2, 3, 2], scale: 0.5, zp: 3 });
    });

    it('`starts`/`ends` arguments also given are resized, not dropped: starts [1] ends [2] + dim 2 [0,-1) -> (1,3,4)', () => {
      // starts_ = [1] resized to [1,0,0], ends_ = [2] to [2,-1,-1]; then dim 2 gets [0,-1]:
      // only dim 0 is cut, [1,2).
      const ws = runOp(slice([ints('starts', [1]), ints('ends', [2]), i('dim', 2), i('start_idx', 0), i('end_idx', -1)]), { x: X234() });
      expect(fetchInt8(ws, 'y')).toEqual({ data: iota(12, 12), dims: [1, 3, 4], scale: 0.5, zp: 3 });
    });

    it('without end_idx the dim form does not apply: enforce for missing `starts`', () => {
      expectError(() => runOp(slice([i('dim', 1), i('start_idx', 1)]), { x: X234() }), 'enforce', /`starts` is missing/);
    });

    it('dim outside the rank is refused (Caffe2 writes out of bounds): invalid', () => {
      expectError(() => runOp(slice([i('dim', 3), i('start_idx', 0), i('end_idx', 1)]), { x: X234() }), 'invalid', /dim 3 is outside the input's rank 3/);
    });

    it('the rank is frozen on the first run of a created net: rank 3 then rank 2 fails, a fresh op succeeds', () => {
      const ws = wsWith({ x: X234() });
      const def = net('n', [slice([i('dim', 1), i('start_idx', 0), i('end_idx', 1)])], ['x']);
      ws.CreateNet(def);
      ws.RunNet('n');
      expect(fetchInt8(ws, 'y')).toEqual({ data: [0, 1, 2, 3, 12, 13, 14, 15], dims: [2, 1, 4], scale: 0.5, zp: 3 });
      // starts_host_ keeps 3 entries: a rank-2 input fails CAFFE_ENFORCE_GE(rank, starts.numel()).
      ws.setBlob('x', X24());
      expectError(() => ws.RunNet('n'), 'enforce', /rank 2 but 3 start indices/);
      // A fresh op (RunNetOnce) builds 2 entries: dim 1 [0,1) -> [[1],[5]].
      ws.RunNetOnce({ ...def, name: 'once' });
      expect(fetchInt8(ws, 'y')).toEqual({ data: [1, 5], dims: [2, 1], scale: 0.5, zp: 3 });
    });
  });

  describe('starts / ends as inputs', () => {
    it('int32 index tensors: (2,4) [0,1]..[-1,3] -> [[2,3],[6,7]]', () => {
      const ws = runOp(slice([], ['x', 's', 'e']), { x: X24(), s: i32([2], [0, 1]), e: i32([2], [-1, 3]) });
      expect(fetchInt8(ws, 'y').data).toEqual([2, 3, 6, 7]);
    });

    it('int64 index tensors work the same', () => {
      const ws = runOp(slice([], ['x', 's', 'e']), { x: X24(), s: i64([2], [1, 0]), e: i64([2], [2, -1]) });
      expect(fetchInt8(ws, 'y')).toEqual({ data: [5, 6, 7, 8], dims: [1, 4], scale: 0.5, zp: 3 });
    });

    it('starts int32 with ends int64: Tensor type mismatch (enforce), raised after the Ypass CHECKs', () => {
      const blobs = { x: X24(), s: i32([2], [0, 1]), e: i64([2], [-1, 3]) };
      expectError(() => runOp(slice([], ['x', 's', 'e']), blobs), 'enforce', /caller expects elements of int32, while tensor contains int64/);
      expectError(() => runOp(slice([], ['x', 's', 'e'], YP(0.5, 9)), blobs), 'fatal', /Y_zero_point/);
    });

    it('a float starts tensor: Unsupported type of tensor (before the Ypass CHECKs)', () => {
      const s = new Tensor('float32', [2], Float32Array.from([0, 1]));
      expectError(() => runOp(slice([], ['x', 's', 'e'], []), { x: X24(), s, e: i32([2], [-1, 3]) }), 'enforce', /Unsupported type of tensor/);
    });

    it('two inputs: the missing ends input is an error (enforce)', () => {
      expectError(() => runOp(slice([], ['x', 's']), { x: X24(), s: i32([2], [0, 1]) }), 'enforce', /also needs an ends input/);
    });

    it('the index dtype is frozen by the first run: int32 then int64 -> "We don\'t allow a change of data type"', () => {
      const ws = wsWith({ x: X24(), s: i32([2], [0, 1]), e: i32([2], [-1, 3]) });
      ws.CreateNet(net('n', [slice([], ['x', 's', 'e'])], ['x', 's', 'e']));
      ws.RunNet('n');
      expect(fetchInt8(ws, 'y').data).toEqual([2, 3, 6, 7]);
      // New values of the same dtype are picked up on every run.
      ws.setBlob('s', i32([2], [0, 0]));
      ws.setBlob('e', i32([2], [-1, 1]));
      ws.RunNet('n');
      expect(fetchInt8(ws, 'y').data).toEqual([1, 5]);
      ws.setBlob('s', i64([2], [0, 1]));
      ws.setBlob('e', i64([2], [-1, 3]));
      expectError(() => ws.RunNet('n'), 'enforce', /We don't allow a change of data type in ReinitializeAndCopyFrom/);
    });

    it('a 2-D starts tensor: enforce (starts must be 1-D)', () => {
      expectError(() => runOp(slice([], ['x', 's', 'e']), { x: X24(), s: i32([1, 2], [0, 1]), e: i32([2], [-1, 3]) }), 'enforce', /starts must be 1-D/);
    });
  });

  describe('errors', () => {
    it('two dims cut: enforce "Currently only possible to slice in 1 dimension."', () => {
      expectError(() => runOp(slice([ints('starts', [1, 1]), ints('ends', [2, 3])]), { x: X24() }), 'enforce', /only possible to slice in 1 dimension/);
    });

    it('no arguments at all: enforce', () => {
      expectError(() => runOp(slice([]), { x: X24() }), 'enforce', /`starts` is missing/);
    });

    it('starts without ends: enforce', () => {
      expectError(() => runOp(slice([ints('starts', [0])]), { x: X24() }), 'enforce', /`ends` is missing/);
    });

    it('starts and ends of different lengths: enforce', () => {
      expectError(() => runOp(slice([ints('starts', [0, 1]), ints('ends', [1])]), { x: X24() }), 'enforce', /starts has 2 entries but ends has 1/);
    });

    it('more indices than dims: enforce', () => {
      expectError(() => runOp(slice([ints('starts', [0, 0, 0]), ints('ends', [1, 1, 1])]), { x: X24() }), 'enforce', /rank 2 but 3 start indices/);
    });

    it('start after end ([3,1) on dim 1): enforce', () => {
      expectError(() => runOp(slice([ints('starts', [0, 3]), ints('ends', [-1, 1])]), { x: X24() }), 'enforce', /end 1 is before start 3/);
    });

    it('start -10 on a dim of 4 -> 4 + 1 - 10 = -5: enforce', () => {
      expectError(() => runOp(slice([ints('starts', [0, -10]), ints('ends', [-1, 2])]), { x: X24() }), 'enforce', /start -5 for dim 1 is negative/);
    });

    it('Ypass mismatch: fatal', () => {
      expectError(() => runOp(slice([ints('starts', [0]), ints('ends', [1])], ['x'], YP(0.25, 3)), { x: X24() }), 'fatal', /Y_scale/);
    });

    it('in-place is not allowed by the schema', () => {
      expectError(() => runOp(op('Int8Slice', ['x'], ['x'], [ints('starts', [0]), ints('ends', [1]), ...YP()]), { x: X24() }), 'enforce', /in-place/);
    });
  });
});

describe('Int8Transpose', () => {
  const transpose = (axes: number[] | undefined, extra: Argument[] = YP()) =>
    op('Int8Transpose', ['x'], ['y'], [...(axes ? [ints('axes', axes)] : []), ...extra]);

  it('(2,3) default axes (reversed) -> (3,2): [[1,4],[2,5],[3,6]]', () => {
    const ws = runOp(transpose(undefined), { x: int8([2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(fetchInt8(ws, 'y')).toEqual({ data: [1, 4, 2, 5, 3, 6], dims: [3, 2], scale: 0.5, zp: 3 });
  });

  it('(2,3,4) axes [1,2,0] -> (3,4,2), Y[i,j,k] = X[k,i,j] = 12k + 4i + j', () => {
    const ws = runOp(transpose([1, 2, 0]), { x: X234() });
    const want = iota(12).flatMap((ij) => [ij, 12 + ij]);
    expect(fetchInt8(ws, 'y')).toEqual({ data: want, dims: [3, 4, 2], scale: 0.5, zp: 3 });
  });

  it('(2,3,4) default -> (4,3,2), Y[i,j,k] = X[k,j,i] = 12k + 4j + i', () => {
    const ws = runOp(transpose(undefined), { x: X234() });
    const want: number[] = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) want.push(12 * c + 4 * b + a);
    expect(fetchInt8(ws, 'y').data).toEqual(want);
    expect(fetchInt8(ws, 'y').dims).toEqual([4, 3, 2]);
  });

  it('identity axes [0,1] copies; empty (0,3) -> (3,0)', () => {
    expect(fetchInt8(runOp(transpose([0, 1]), { x: int8([2, 3], iota(6)) }), 'y').data).toEqual(iota(6));
    expect(fetchInt8(runOp(transpose(undefined), { x: int8([0, 3], []) }), 'y').dims).toEqual([3, 0]);
  });

  it.each([[[0, 0]], [[1, 2]], [[-1, 0]]])('axes=%j is not a permutation: enforce at creation', (axes) => {
    expectError(() => runOp(transpose(axes), { x: X234() }), 'enforce', /Axes should be a permutation of 0 to ndim/);
  });

  it('axes of length 2 on a rank-3 input: enforce', () => {
    expectError(() => runOp(transpose([1, 0]), { x: X234() }), 'enforce', /rank 3 does not match the 2 axes/);
  });

  it('Ypass mismatches are CAFFE_ENFORCE here, not fatal', () => {
    expectError(() => runOp(transpose(undefined, YP(0.5, 4)), { x: X234() }), 'enforce', /CAFFE_ENFORCE_EQ\(Y_zero_point/);
    expectError(() => runOp(transpose(undefined, YP(1, 3)), { x: X234() }), 'enforce', /CAFFE_ENFORCE_EQ\(Y_scale/);
  });

  it('int32 data: Tensor type mismatch (transpose reads uint8)', () => {
    const x = new Int8Tensor(Int32Array.from([1, 2]), [1, 2], 0.5, 3);
    expectError(() => runOp(transpose(undefined), { x }), 'enforce', /caller expects elements of uint8, while tensor contains int32/);
  });

  it('default axes are frozen from the first run: rank 2 then rank 3 fails in a created net, works fresh', () => {
    const ws = wsWith({ x: int8([2, 3], iota(6)) });
    const def = net('n', [transpose(undefined)], ['x']);
    ws.CreateNet(def);
    ws.RunNet('n');
    expect(fetchInt8(ws, 'y').dims).toEqual([3, 2]);
    ws.setBlob('x', X234());
    expectError(() => ws.RunNet('n'), 'enforce', /rank 3 does not match the 2 axes \[1,0\]/);
    ws.RunNetOnce({ ...def, name: 'once' });
    expect(fetchInt8(ws, 'y').dims).toEqual([4, 3, 2]);
  });

  it('axes are frozen even when that first run then fails on the data type, but not when it fails the Ypass check', () => {
    const ws = wsWith({ x: int8([2, 3], iota(6), 0.5, 9) });
    ws.CreateNet(net('n', [transpose(undefined)], ['x']));
    // Fails at the zero-point check, before axes are filled in.
    expectError(() => ws.RunNet('n'), 'enforce', /Y_zero_point/);
    // Now a rank-3 int32 tensor: axes become [2,1,0], then the uint8 read fails.
    ws.setBlob('x', new Int8Tensor(new Int32Array(24), [2, 3, 4], 0.5, 3));
    expectError(() => ws.RunNet('n'), 'enforce', /caller expects elements of uint8/);
    // A rank-2 uint8 tensor now meets the frozen rank-3 axes.
    ws.setBlob('x', int8([2, 3], iota(6)));
    expectError(() => ws.RunNet('n'), 'enforce', /rank 2 does not match the 3 axes \[2,1,0\]/);
  });

  it('in-place is not allowed by the schema', () => {
    expectError(() => runOp(op('Int8Transpose', ['x'], ['x'], YP()), { x: X234() }), 'enforce', /in-place/);
  });
});
