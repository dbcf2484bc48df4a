// Shared helpers for the float-op tests (test/float-*.test.ts): feeding, running one op or a
// small net, error expectations, a seeded PRNG and tolerance checks.
import { expect } from 'vitest';
import { Caffe2Error, type FailureKind } from '../src/errors.js';
import type { Argument, OperatorDef } from '../src/proto/types.js';
import '../src/register-ops.js';
import { allocate, Tensor, type DType, type TensorData } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';

const utf8 = new TextEncoder();
export const f = (name: string, v: number): Argument => ({ name, f: v });
export const i = (name: string, v: number): Argument => ({ name, i: v });
export const s = (name: string, v: string): Argument => ({ name, s: utf8.encode(v) });
export const ints = (name: string, v: number[]): Argument => ({ name, ints: v });

export function op(type: string, input: string[], output: string[], arg: Argument[] = [], name?: string): OperatorDef {
  return name === undefined ? { type, input, output, arg } : { type, input, output, arg, name };
}

/** A tensor of any dtype from plain values (bigint or number for int64, strings for string). */
export function tensor(dtype: DType, dims: number[], values: ArrayLike<number | bigint | string>): Tensor {
  const data = allocate(dtype, values.length) as TensorData;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (dtype === 'int64') (data as BigInt64Array)[k] = BigInt(v);
    else if (dtype === 'string') (data as string[])[k] = String(v);
    else (data as Float64Array)[k] = Number(v);
  }
  return new Tensor(dtype, dims, data);
}

export const f32 = (dims: number[], values: ArrayLike<number>): Tensor => tensor('float32', dims, values);

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

export function expectError(fn: () => unknown, kind: FailureKind, re: RegExp): Caffe2Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a Caffe2Error').toBeInstanceOf(Caffe2Error);
  const err = caught as Caffe2Error;
  expect(err.reason).toMatch(re);
  expect(err.kind).toBe(kind);
  return err;
}

/** mulberry32: a seeded PRNG so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32 values uniform in [lo, hi). */
export function randomFloats(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
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
