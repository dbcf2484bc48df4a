// Helpers for the float-op tests (test/float-*.test.ts): running one op, fetching, tolerance and
// exact checks, layout transposes. Builders, tensors, expectError and the PRNG are in helpers.ts.
import { expect } from 'vitest';
import type { OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { Tensor, type DType } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';

/** Feeds the tensors, runs one op once, and returns the workspace. */
export function runOp(def: OperatorDef, feeds: Record<string, Tensor>, ws = new Workspace()): Workspace {
  for (const [name, t] of Object.entries(feeds)) ws.FeedBlob(name, t);
  ws.RunOperatorOnce(def);
  return ws;
}

export function fetch(ws: Workspace, name: string): Tensor {
  const v = ws.FetchBlob(name);
  if (!(v instanceof Tensor)) throw new Error(`blob ${name} is not a tensor`);
  return v;
}

/** Runs one op and returns its first output. */
export function run1(def: OperatorDef, feeds: Record<string, Tensor>): Tensor {
  return fetch(runOp(def, feeds), def.output![0]!);
}

/** Element-wise |a - e| <= rel·max(|e|, 1e-6), plus identical shape. */
export function expectClose(actual: Tensor, dims: readonly number[], expected: ArrayLike<number>, rel = 1e-6): void {
  expect(actual.dtype).toBe('float32');
  expect([...actual.dims]).toEqual([...dims]);
  expect(actual.size).toBe(expected.length);
  const a = actual.data as Float32Array;
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a[k]!) : Math.abs(a[k]! - e) <= rel * Math.max(Math.abs(e), 1e-6);
    if (!ok) expect.fail(`element ${k}: got ${a[k]}, expected ${e}`);
  }
}

/** Exact element equality (Object.is, so -0 and NaN count) and shape. */
export function expectExact(actual: Tensor, dtype: DType, dims: readonly number[], expected: ArrayLike<number | bigint | string>): void {
  expect(actual.dtype).toBe(dtype);
  expect([...actual.dims]).toEqual([...dims]);
  expect(Array.from(actual.data as ArrayLike<unknown>)).toEqual(Array.from(expected as ArrayLike<unknown>));
}

/** [N, C, H, W] -> [N, H, W, C] (also [M, C/G, KH, KW] -> [M, KH, KW, C/G]). */
export function toNhwc(x: ArrayLike<number>, n: number, c: number, h: number, w: number): Float32Array {
  const y = new Float32Array(n * c * h * w);
  for (let a = 0; a < n; a++)
    for (let ch = 0; ch < c; ch++)
      for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) y[((a * h + r) * w + q) * c + ch] = x[((a * c + ch) * h + r) * w + q]!;
  return y;
}
