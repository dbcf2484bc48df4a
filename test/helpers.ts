// Shared test helpers: Argument / OperatorDef / NetDef builders, Int8 fill builders, tensors,
// running small nets, Caffe2Error expectations, a seeded PRNG with random data, an independent
// QNNPACK requantization reference, and the built CLI. Helpers used by one file stay in that file;
// the float-op tests' own helpers are in float-utils.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Caffe2Error, type FailureKind } from '../src/errors.js';
import type { Isa } from '../src/operator.js';
import type { Argument, NetDef, OperatorDef } from '../src/proto/types.js';
import { allocate, Int8Tensor, Tensor, type DType, type TensorData } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { uniformGenerator } from '../examples/uniform-generator.js';

// ---- Argument / OperatorDef / NetDef builders -------------------------------------------------

const utf8 = new TextEncoder();

export const f = (name: string, v: number): Argument => ({ name, f: v });
export const i = (name: string, v: number): Argument => ({ name, i: v });
export const s = (name: string, v: string | Uint8Array): Argument => ({ name, s: typeof v === 'string' ? utf8.encode(v) : v });
export const ints = (name: string, v: number[]): Argument => ({ name, ints: v });

/** The `order` argument (NCHW, NHWC, or anything else to test refusals). */
export const order = (v: string): Argument => s('order', v);
export const NHWC = order('NHWC');

/** Y_scale and Y_zero_point. */
export const yArgs = (scale: number, zeroPoint: number): Argument[] => [f('Y_scale', scale), i('Y_zero_point', zeroPoint)];

export function op(type: string, input: string[], output: string[], arg: Argument[] = [], extra: Partial<OperatorDef> = {}): OperatorDef {
  return { type, input, output, arg, ...extra };
}

export function net(name: string, ops: OperatorDef[], externalInput: string[] = [], externalOutput: string[] = []): NetDef {
  return { name, op: ops, external_input: externalInput, external_output: externalOutput };
}

/** The `extra` of an op run with engine DNNLOWP. */
export const DNNLOWP = { engine: 'DNNLOWP' };

// ---- fills ------------------------------------------------------------------------------------

/** Int8GivenTensorFill of uint8 bytes. */
export function int8Fill(out: string, shape: number[], values: ArrayLike<number>, scale: number, zeroPoint: number): OperatorDef {
  return op('Int8GivenTensorFill', [], [out], [ints('shape', shape), s('values', Uint8Array.from(values)), f('Y_scale', scale), i('Y_zero_point', zeroPoint)]);
}

/** Int8GivenIntTensorFill of int32 values (biases). */
export function int32Fill(out: string, shape: number[], values: ArrayLike<number>, scale = 1, zeroPoint = 0): OperatorDef {
  return op('Int8GivenIntTensorFill', [], [out], [ints('shape', shape), ints('values', Array.from(values)), f('Y_scale', scale), i('Y_zero_point', zeroPoint)]);
}

/** GivenTensorFill of float values. */
export function floatFill(out: string, shape: number[], values: number[]): OperatorDef {
  return op('GivenTensorFill', [], [out], [ints('shape', shape), { name: 'values', floats: values }]);
}

const prod = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * Runs Int8 fills for an FC / conv's inputs: X all bytes 130, W all bytes 129 (both zero point
 * 128, scale 0.1 unless given) and B all int32 7 (scale 1, zero point 0).
 */
export function fillXWB(ws: Workspace, xDims: number[], wDims: number[], bDims: number[], opts: { xScale?: number; wScale?: number } = {}): void {
  ws.RunOperatorOnce(int8Fill('X', xDims, new Array(prod(xDims)).fill(130), opts.xScale ?? 0.1, 128));
  ws.RunOperatorOnce(int8Fill('W', wDims, new Array(prod(wDims)).fill(129), opts.wScale ?? 0.1, 128));
  ws.RunOperatorOnce(int32Fill('B', bDims, new Array(prod(bDims)).fill(7)));
}

// ---- tensors ----------------------------------------------------------------------------------

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

/** A float32 tensor. */
export const f32 = (dims: number[], values: ArrayLike<number>): Tensor => tensor('float32', dims, values);

/** An Int8 tensor (uint8 bytes with scale and zero point). */
export const q8 = (bytes: number[], dims: number[], scale = 1, zp = 0): Int8Tensor => new Int8Tensor(Uint8Array.from(bytes), dims, scale, zp);

/** [from, from + 1, ..., from + n - 1] */
export const iota = (n: number, from = 0): number[] => Array.from({ length: n }, (_, k) => from + k);

// ---- running nets -----------------------------------------------------------------------------

/** Feeds the tensors into a fresh workspace with the given isa and runs the ops once as net `name`. */
export function runNet(ops: OperatorDef[], isa: Isa = 'vnni', feeds: Record<string, Tensor> = {}, name = 'n'): Workspace {
  const ws = new Workspace({ isa });
  for (const [blob, t] of Object.entries(feeds)) ws.FeedBlob(blob, t);
  ws.RunNetOnce(net(name, ops));
  return ws;
}

/** Sets the blobs in a fresh workspace, runs the net once and returns the Int8 blob `out`. */
export function runInt8Net(def: NetDef, blobs: Record<string, Int8Tensor | Tensor>, out = 'y'): { ws: Workspace; bytes: number[]; dims: number[]; scale: number; zp: number } {
  const ws = new Workspace();
  for (const [blob, v] of Object.entries(blobs)) ws.setBlob(blob, v);
  ws.RunNetOnce(def);
  const y = ws.FetchInt8Blob(out);
  return { ws, bytes: [...y.data], dims: y.dims, scale: y.scale, zp: y.zero_point };
}

// ---- errors -----------------------------------------------------------------------------------

/** Runs fn, which must throw a Caffe2Error, and returns that error. */
export function thrown(fn: () => unknown): Caffe2Error {
  try {
    fn();
  } catch (e) {
    expect(e, 'expected a Caffe2Error').toBeInstanceOf(Caffe2Error);
    return e as Caffe2Error;
  }
  throw new Error('expected a Caffe2Error');
}

/**
 * Runs fn and expects a Caffe2Error of the given kind whose reason matches re and, when opType
 * is given, whose message (which carries the op's context) contains opType. Returns the error.
 */
export function expectError(fn: () => unknown, kind: FailureKind, re: RegExp, opType?: string): Caffe2Error {
  const err = thrown(fn);
  expect(err.kind).toBe(kind);
  expect(err.reason).toMatch(re);
  if (opType !== undefined) expect(err.message).toContain(opType);
  return err;
}

// ---- random data ------------------------------------------------------------------------------

/** A seeded uniform generator on [0, 1) (mulberry32), so failures reproduce. */
export const rng = uniformGenerator;

/** n uniform bytes in [0, 255]. */
export const randomBytes = (r: () => number, n: number): number[] => Array.from({ length: n }, () => Math.floor(r() * 256));

/** n float32 values uniform in [lo, hi). */
export function randomFloats(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

// ---- independent reference: QNNPACK requantization (SEMANTICS.md §3.2) in BigInt -------------

export function float32Bits(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return dv.getUint32(0);
}

/** clamp(requant(acc) + zp, 0, 255) with QNNPACK's Q31 steps, literally, in BigInt. */
export function refRequantize(acc: bigint, scale: number, zeroPoint: number): number {
  const bits = float32Bits(scale);
  const multiplier = BigInt(((bits & 0x7fffff) | 0x800000) << 7 >>> 0);
  const shift = 126 - (bits >>> 23);
  const q31 = Number(BigInt.asIntN(32, (BigInt.asIntN(32, acc) * multiplier + (1n << 30n)) >> 31n));
  const mask = 2 ** shift - 1;
  const rem = (q31 & mask) - (q31 < 0 ? 1 : 0);
  const v = (q31 >> shift) + (rem > mask >> 1 ? 1 : 0);
  return Math.min(255, Math.max(0, v + (zeroPoint & 255)));
}

// ---- the built CLI ----------------------------------------------------------------------------

/** dist/src/cli/main.js, built by `npm run build`. */
export const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
/** examples/seed: the seed net, its weights and input. */
export const SEED = fileURLToPath(new URL('../examples/seed', import.meta.url));

/** Runs the built CLI in a real process, as a user runs it. */
export function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
