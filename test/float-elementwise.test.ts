// Relu, Sigmoid, Add/Sub/Mul/Div (numpy and legacy broadcasting, int and float types), Sum and
// Softmax: hand-worked values, independent references, argument forms and errors.
import { describe, expect, it } from 'vitest';
import type { Argument } from '../src/proto/types.js';
import type { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { expectClose, expectExact, fetch, run1, runOp } from './float-utils.js';
import { expectError, f32, i, op, randomFloats, rng, s, tensor } from './helpers.js';

const fr = Math.fround;

describe('Relu / Sigmoid', () => {
  it('Relu x=[5]: negatives -> 0, NaN stays NaN, -0 stays -0', () => {
    const y = run1(op('Relu', ['x'], ['y']), { x: f32([5], [-2, 0.5, NaN, -0, 3]) });
    expectExact(y, 'float32', [5], [0, 0.5, NaN, -0, 3]);
  });

  it('Relu in place (x -> x) x=[2,2]', () => {
    const ws = runOp(op('Relu', ['x'], ['x']), { x: f32([2, 2], [-1, 1, -2, 2]) });
    expectExact(fetch(ws, 'x'), 'float32', [2, 2], [0, 1, 0, 2]);
  });

  it('Sigmoid x=[6] against 1/(1+exp(-x))', () => {
    const xs = [-100, -2, 0, 0.5, 3, 100];
    expectClose(run1(op('Sigmoid', ['x'], ['y']), { x: f32([6], xs) }), [6], xs.map((v) => fr(1 / (1 + Math.exp(-fr(v))))));
  });

  it('Relu / Sigmoid on int32 or float64 -> Unsupported type of tensor (enforce)', () => {
    expectError(() => runOp(op('Relu', ['x'], ['y']), { x: tensor('int32', [2], [1, -1]) }), 'enforce', /Unsupported type of tensor: int/);
    expectError(() => runOp(op('Sigmoid', ['x'], ['y']), { x: tensor('float64', [2], [1, -1]) }), 'enforce', /Unsupported type of tensor: double/);
  });
});

/** Reference numpy broadcast: index each input by the output index, right-aligned. */
function refBroadcast(a: ArrayLike<number>, ad: number[], b: ArrayLike<number>, bd: number[], fn: (x: number, y: number) => number): { dims: number[]; y: number[] } {
  const nd = Math.max(ad.length, bd.length);
  const A = [...new Array(nd - ad.length).fill(1), ...ad];
  const B = [...new Array(nd - bd.length).fill(1), ...bd];
  const dims = A.map((d, k) => Math.max(d, B[k]!));
  const total = dims.reduce((p, d) => p * d, 1);
  const y: number[] = [];
  for (let o = 0; o < total; o++) {
    let rem = o;
    const idx = new Array<number>(nd);
    for (let k = nd - 1; k >= 0; k--) {
      idx[k] = rem % dims[k]!;
      rem = Math.floor(rem / dims[k]!);
    }
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < nd; k++) {
      ia = ia * A[k]! + (A[k] === 1 ? 0 : idx[k]!);
      ib = ib * B[k]! + (B[k] === 1 ? 0 : idx[k]!);
    }
    y.push(fn(a[ia]!, b[ib]!));
  }
  return { dims, y };
}

const FNS = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => x / y };

describe('Add / Sub / Mul / Div: numpy-style broadcasting (broadcast not set)', () => {
  it('Add x=[2,3] + y=[3] -> [2,3]', () => {
    // Rows (1,2,3) and (4,5,6) plus (10,20,30).
    const y = run1(op('Add', ['a', 'b'], ['c']), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([3], [10, 20, 30]) });
    expectExact(y, 'float32', [2, 3], [11, 22, 33, 14, 25, 36]);
  });

  it('Sub a=[2,1] - b=[1,3] -> [2,3] (both sides broadcast)', () => {
    // a = (1; 2), b = (10, 20, 30): (1-10, 1-20, 1-30; 2-10, 2-20, 2-30).
    const y = run1(op('Sub', ['a', 'b'], ['c']), { a: f32([2, 1], [1, 2]), b: f32([1, 3], [10, 20, 30]) });
    expectExact(y, 'float32', [2, 3], [-9, -19, -29, -8, -18, -28]);
  });

  it('Add of float32 rounds once: 0.1f + 0.2f', () => {
    const y = run1(op('Add', ['a', 'b'], ['c']), { a: f32([1], [0.1]), b: f32([1], [0.2]) });
    expectExact(y, 'float32', [1], [fr(fr(0.1) + fr(0.2))]);
  });

  it('Div by zero in float: 1/0 = inf, 0/0 = NaN, -1/0 = -inf', () => {
    const y = run1(op('Div', ['a', 'b'], ['c']), { a: f32([3], [1, 0, -1]), b: f32([1], [0]) });
    expectExact(y, 'float32', [3], [Infinity, NaN, -Infinity]);
  });

  for (const [kind, fn] of Object.entries(FNS)) {
    for (const [ad, bd] of [
      [[2, 3, 4], [2, 3, 4]],
      [[2, 1, 4], [3, 1]],
      [[5], [2, 3, 1]],
      [[1], [2, 2]],
      [[3, 1, 5], [1, 4, 1]],
    ] as Array<[number[], number[]]>) {
      it(`${kind} a=[${ad}] b=[${bd}] float32 against the reference`, () => {
        const r = rng(ad.length * 10 + bd.length);
        const a = randomFloats(r, ad.reduce((p, d) => p * d, 1));
        const b = randomFloats(r, bd.reduce((p, d) => p * d, 1), 0.5, 2);
        const ref = refBroadcast(a, ad, b, bd, (x, y) => fr(fn(x, y)));
        expectExact(run1(op(kind, ['a', 'b'], ['c']), { a: f32(ad, a), b: f32(bd, b) }), 'float32', ref.dims, ref.y);
      });
    }
  }

  it('Add with a 0 dim: a=[0,3] + b=[1,3] -> [0,3]; a=[2,1] + b=[0] -> [2,0]', () => {
    expectExact(run1(op('Add', ['a', 'b'], ['c']), { a: f32([0, 3], []), b: f32([1, 3], [1, 2, 3]) }), 'float32', [0, 3], []);
    expectExact(run1(op('Add', ['a', 'b'], ['c']), { a: f32([2, 1], [1, 2]), b: f32([0], []) }), 'float32', [2, 0], []);
  });

  it('float64 Mul a=[2] b=[2] keeps double precision', () => {
    expectExact(run1(op('Mul', ['a', 'b'], ['c']), { a: tensor('float64', [2], [0.1, 3]), b: tensor('float64', [2], [0.2, 1 / 3]) }), 'float64', [2], [0.1 * 0.2, 3 * (1 / 3)]);
  });

  it('int32: Div truncates toward zero, Add/Mul wrap', () => {
    // -7/2 = -3, 7/-2 = -3, 7/2 = 3; 2^31-1 + 1 wraps to -2^31; 65536·65536 wraps to 0.
    expectExact(run1(op('Div', ['a', 'b'], ['c']), { a: tensor('int32', [3], [-7, 7, 7]), b: tensor('int32', [3], [2, -2, 2]) }), 'int32', [3], [-3, -3, 3]);
    expectExact(run1(op('Add', ['a', 'b'], ['c']), { a: tensor('int32', [1], [2147483647]), b: tensor('int32', [1], [1]) }), 'int32', [1], [-2147483648]);
    expectExact(run1(op('Mul', ['a', 'b'], ['c']), { a: tensor('int32', [1], [65536]), b: tensor('int32', [1], [65536]) }), 'int32', [1], [0]);
  });

  it('int64: exact beyond 2^53, Div truncates, Sub wraps', () => {
    const big = 2n ** 62n + 1n;
    expectExact(run1(op('Add', ['a', 'b'], ['c']), { a: tensor('int64', [1], [big]), b: tensor('int64', [1], [2n]) }), 'int64', [1], [big + 2n]);
    expectExact(run1(op('Div', ['a', 'b'], ['c']), { a: tensor('int64', [2], [-7n, big]), b: tensor('int64', [1], [2n]) }), 'int64', [2], [-3n, big / 2n]);
    expectExact(run1(op('Sub', ['a', 'b'], ['c']), { a: tensor('int64', [1], [-(2n ** 63n)]), b: tensor('int64', [1], [1n]) }), 'int64', [1], [2n ** 63n - 1n]);
  });

  it('integer division by zero and INT_MIN / -1 -> invalid', () => {
    expectError(() => runOp(op('Div', ['a', 'b'], ['c']), { a: tensor('int32', [1], [1]), b: tensor('int32', [1], [0]) }), 'invalid', /division by zero/);
    expectError(() => runOp(op('Div', ['a', 'b'], ['c']), { a: tensor('int32', [1], [-2147483648]), b: tensor('int32', [1], [-1]) }), 'invalid', /overflow/);
    expectError(() => runOp(op('Div', ['a', 'b'], ['c']), { a: tensor('int64', [1], [1n]), b: tensor('int64', [1], [0n]) }), 'invalid', /division by zero/);
  });

  it('axis without broadcast=1 is accepted and ignored (x=[2,3] + y=[3], axis=0)', () => {
    const y = run1(op('Add', ['a', 'b'], ['c'], [i('axis', 0)]), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([3], [1, 1, 1]) });
    expectExact(y, 'float32', [2, 3], [2, 3, 4, 5, 6, 7]);
  });

  it('in place: out = a with a=[2,3], b=[3] is fine; out = b with a=[2,3], b=[3] -> enforce', () => {
    const ws = runOp(op('Add', ['a', 'b'], ['a']), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([3], [1, 1, 1]) });
    expectExact(fetch(ws, 'a'), 'float32', [2, 3], [2, 3, 4, 5, 6, 7]);
    expectError(() => runOp(op('Add', ['a', 'b'], ['b']), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([3], [1, 1, 1]) }), 'enforce', /input 1's shape/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['a']), { a: f32([3], [1, 2, 3]), b: f32([2, 3], [1, 1, 1, 1, 1, 1]) }), 'enforce', /input 0's shape/);
  });

  it('in place on input 1 is allowed for Add/Sub/Mul but not Div (schema)', () => {
    const ws = runOp(op('Sub', ['a', 'b'], ['b']), { a: f32([2], [5, 5]), b: f32([2], [1, 2]) });
    expectExact(fetch(ws, 'b'), 'float32', [2], [4, 3]);
    expectError(() => runOp(op('Div', ['a', 'b'], ['b']), { a: f32([2], [5, 5]), b: f32([2], [1, 2]) }), 'enforce', /in-place/);
  });

  it('errors: incompatible shapes [2,3] + [2]; float + int32; uint8 inputs', () => {
    expectError(() => runOp(op('Add', ['a', 'b'], ['c']), { a: f32([2, 3], new Array(6).fill(0)), b: f32([2], [0, 0]) }), 'enforce', /A_dim: 3,B_dim: 2/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['c']), { a: f32([2], [0, 0]), b: tensor('int32', [2], [0, 0]) }), 'enforce', /type mismatch.*float.*int/);
    expectError(() => runOp(op('Mul', ['a', 'b'], ['c']), { a: tensor('uint8', [2], [0, 0]), b: tensor('uint8', [2], [0, 0]) }), 'enforce', /Unsupported type of tensor: unsigned char/);
  });
});

describe('Add / Sub / Mul / Div: legacy broadcast=1', () => {
  const A = Array.from({ length: 120 }, (_, k) => k);
  const a = f32([2, 3, 4, 5], A);
  const bc: Argument = i('broadcast', 1);

  /** Reference: B spans A's dims [axis, axis + B.ndim) (after dropping B's outer 1s). */
  function refLegacy(bDims: number[], axis: number, bv: number[], fn: (x: number, y: number) => number): number[] {
    const aDims = [2, 3, 4, 5];
    return A.map((v, flat) => {
      const idx: number[] = [];
      let rem = flat;
      for (let k = 3; k >= 0; k--) {
        idx[k] = rem % aDims[k]!;
        rem = Math.floor(rem / aDims[k]!);
      }
      let ib = 0;
      bDims.forEach((d, k) => (ib = ib * d + (d === 1 ? 0 : idx[axis + k]!)));
      return fr(fn(v, bv[ib]!));
    });
  }

  const cases: Array<{ name: string; bDims: number[]; axis: number; args: Argument[] }> = [
    { name: 'A=[2,3,4,5] B=[5] (suffix)', bDims: [5], axis: 3, args: [] },
    { name: 'A=[2,3,4,5] B=[4,5] (suffix)', bDims: [4, 5], axis: 2, args: [] },
    { name: 'A=[2,3,4,5] B=[3,4] axis=1', bDims: [3, 4], axis: 1, args: [i('axis', 1)] },
    { name: 'A=[2,3,4,5] B=[2] axis=0', bDims: [2], axis: 0, args: [i('axis', 0)] },
    { name: 'A=[2,3,4,5] B=[3] axis_str=C (order NCHW -> axis 1)', bDims: [3], axis: 1, args: [s('axis_str', 'C')] },
    { name: 'A=[2,3,4,5] B=[5] axis_str=C order=NHWC (-> axis 3)', bDims: [5], axis: 3, args: [s('axis_str', 'C'), s('order', 'NHWC')] },
    { name: 'A=[2,3,4,5] B=[1,3,1] axis=0 (B outer 1s dropped: matches dim 1)', bDims: [1, 3, 1], axis: 0, args: [i('axis', 0)] },
  ];
  for (const { name, bDims, axis, args } of cases) {
    for (const [kind, fn] of Object.entries(FNS)) {
      it(`${kind} ${name}`, () => {
        const n = bDims.reduce((p, d) => p * d, 1);
        const bv = Array.from({ length: n }, (_, k) => k + 1);
        const y = run1(op(kind, ['a', 'b'], ['c'], [bc, ...args]), { a, b: f32(bDims, bv) });
        expectExact(y, 'float32', [2, 3, 4, 5], refLegacy(bDims, axis, bv, fn));
      });
    }
  }

  it('Mul A=[2,3] B=[1,1,1] (a single element broadcasts whatever its rank)', () => {
    expectExact(run1(op('Mul', ['a', 'b'], ['c'], [bc]), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([1, 1, 1], [2]) }), 'float32', [2, 3], [2, 4, 6, 8, 10, 12]);
  });

  it('Add A=[2,3] B=[2,3] legacy in place on A', () => {
    const ws = runOp(op('Add', ['a', 'b'], ['a'], [bc]), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([2, 3], [1, 1, 1, 1, 1, 1]) });
    expectExact(fetch(ws, 'a'), 'float32', [2, 3], [2, 3, 4, 5, 6, 7]);
  });

  it('errors: B of higher rank, dim mismatch, axis out of range', () => {
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc]), { a: f32([3], [1, 2, 3]), b: f32([1, 3], [1, 2, 3]) }), 'enforce', /smaller or equal number of dimensions/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc]), { a, b: f32([4], [1, 2, 3, 4]) }), 'enforce', /Broadcast dimension mismatch/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc, i('axis', 3)]), { a, b: f32([4, 5], new Array(20).fill(1)) }), 'enforce', /axis = 3/);
  });

  it('errors at creation: axis with axis_str, axis_str of 2 letters, axis_str not in order', () => {
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc, i('axis', 1), s('axis_str', 'C')]), { a, b: f32([3], [1, 2, 3]) }), 'enforce', /cannot be used simultaneously/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc, s('axis_str', 'CH')]), { a, b: f32([3], [1, 2, 3]) }), 'enforce', /Unsupported axis string/);
    expectError(() => runOp(op('Add', ['a', 'b'], ['c'], [bc, s('axis_str', 'X')]), { a, b: f32([3], [1, 2, 3]) }), 'enforce', /Unrecognizable axis string X/);
  });

  it('legacy in place on B -> enforce', () => {
    expectError(() => runOp(op('Add', ['a', 'b'], ['b'], [bc]), { a: f32([2, 3], [1, 2, 3, 4, 5, 6]), b: f32([3], [1, 1, 1]) }), 'enforce', /only with the first tensor/);
  });
});

describe('Sum', () => {
  it('Sum of 3 float tensors [2,2], added left to right with float rounding', () => {
    const xs = [
      [1e8, 1, 0.1, -2],
      [1, 1, 0.2, 2],
      [-1e8, 1, 0.3, 0],
    ];
    const expected = xs[0]!.map((_, k) => fr(fr(fr(xs[0]![k]!) + fr(xs[1]![k]!)) + fr(xs[2]![k]!)));
    const y = run1(op('Sum', ['a', 'b', 'c'], ['y']), { a: f32([2, 2], xs[0]!), b: f32([2, 2], xs[1]!), c: f32([2, 2], xs[2]!) });
    expectExact(y, 'float32', [2, 2], expected);
    expect((y.data as Float32Array)[0]).toBe(0); // 1e8 + 1 rounds back to 1e8 in float
  });

  it('Sum int32 wraps; one input is a copy; in place on input 0', () => {
    expectExact(run1(op('Sum', ['a', 'b'], ['y']), { a: tensor('int32', [1], [2147483647]), b: tensor('int32', [1], [2]) }), 'int32', [1], [-2147483647]);
    expectExact(run1(op('Sum', ['a'], ['y']), { a: f32([3], [1, 2, 3]) }), 'float32', [3], [1, 2, 3]);
    const ws = runOp(op('Sum', ['a', 'b'], ['a']), { a: f32([2], [1, 2]), b: f32([2], [3, 4]) });
    expectExact(fetch(ws, 'a'), 'float32', [2], [4, 6]);
  });

  it('Sum errors: shape mismatch, dtype mismatch, float64, in place on input 1', () => {
    expectError(() => runOp(op('Sum', ['a', 'b'], ['y']), { a: f32([2], [1, 2]), b: f32([1, 2], [1, 2]) }), 'enforce', /Input #1, input dimension:\[1,2\]/);
    expectError(() => runOp(op('Sum', ['a', 'b'], ['y']), { a: f32([2], [1, 2]), b: tensor('int32', [2], [1, 2]) }), 'enforce', /type mismatch/);
    expectError(() => runOp(op('Sum', ['a'], ['y']), { a: tensor('float64', [2], [1, 2]) }), 'enforce', /only supports 32-bit float and ints.*double/);
    expectError(() => runOp(op('Sum', ['a', 'b'], ['b']), { a: f32([2], [1, 2]), b: f32([2], [1, 2]) }), 'enforce', /in-place/);
  });
});

/** Reference softmax over rows of length d. */
function refSoftmax(x: ArrayLike<number>, d: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / d; r++) {
    const row = Array.from({ length: d }, (_, c) => x[r * d + c]!);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const z = e.reduce((a, v) => a + v, 0);
    for (const v of e) out.push(fr(v / z));
  }
  return out;
}

describe('Softmax', () => {
  it('Softmax x=[1,3] = [1,2,3] -> e^(x-3) / (e^-2 + e^-1 + 1)', () => {
    const z = Math.exp(-2) + Math.exp(-1) + 1;
    expectClose(run1(op('Softmax', ['x'], ['y']), { x: f32([1, 3], [1, 2, 3]) }), [1, 3], [Math.exp(-2) / z, Math.exp(-1) / z, 1 / z]);
  });

  it('Softmax x=[2,2] with huge values stays finite; single-element rows give 1', () => {
    expectClose(run1(op('Softmax', ['x'], ['y']), { x: f32([2, 2], [1000, 1000, -1000, 0]) }), [2, 2], [0.5, 0.5, 0, 1]);
    expectExact(run1(op('Softmax', ['x'], ['y']), { x: f32([3, 1], [5, -7, 0]) }), 'float32', [3, 1], [1, 1, 1]);
  });

  for (const [dims, axis, d] of [
    [[2, 3, 4, 5], undefined, 60],
    [[2, 3, 4, 5], 3, 5],
    [[2, 3, 4, 5], -2, 20],
    [[2, 3, 4], 0, 24],
  ] as Array<[number[], number | undefined, number]>) {
    it(`Softmax x=[${dims}] axis=${axis ?? '1 (default)'} -> rows of ${d}`, () => {
      const n = dims.reduce((p, v) => p * v, 1);
      const x = randomFloats(rng(n + d), n, -5, 5);
      const args = axis === undefined ? [] : [i('axis', axis)];
      expectClose(run1(op('Softmax', ['x'], ['y'], args), { x: f32(dims, x) }), dims, refSoftmax(x, d));
    });
  }

  it('Softmax errors: axis 2 on a 2-D input, float64 input, in place', () => {
    expectError(() => runOp(op('Softmax', ['x'], ['y'], [i('axis', 2)]), { x: f32([2, 2], [1, 2, 3, 4]) }), 'enforce', /axis 2 is out of range/);
    expectError(() => runOp(op('Softmax', ['x'], ['y']), { x: tensor('float64', [2, 2], [1, 2, 3, 4]) }), 'enforce', /type mismatch/);
    expectError(() => runOp(op('Softmax', ['x'], ['x']), { x: f32([2, 2], [1, 2, 3, 4]) }), 'enforce', /in-place/);
  });

  it('Softmax in a created net over a changing batch (x=[1,2] then [2,2])', () => {
    const ws = new Workspace();
    ws.FeedBlob('x', f32([1, 2], [0, 0]));
    ws.CreateNet({ name: 'sm', op: [op('Softmax', ['x'], ['y'])], external_input: ['x'] });
    ws.RunNet('sm');
    expectExact(fetch(ws, 'y'), 'float32', [1, 2], [0.5, 0.5]);
    ws.FeedBlob('x', f32([2, 2], [0, 0, 1, 1]));
    ws.RunNet('sm');
    expectExact(fetch(ws, 'y') as Tensor, 'float32', [2, 2], [0.5, 0.5, 0.5, 0.5]);
  });
});
