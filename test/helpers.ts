// Small builders for hand-made nets in tests.
import type { Argument, NetDef, OperatorDef } from '../src/proto/types.js';

const utf8 = new TextEncoder();

export const f = (name: string, v: number): Argument => ({ name, f: v });
export const i = (name: string, v: number): Argument => ({ name, i: v });
export const s = (name: string, v: string | Uint8Array): Argument => ({ name, s: typeof v === 'string' ? utf8.encode(v) : v });
export const ints = (name: string, v: number[]): Argument => ({ name, ints: v });

export function op(type: string, input: string[], output: string[], arg: Argument[] = [], extra: Partial<OperatorDef> = {}): OperatorDef {
  return { type, input, output, arg, ...extra };
}

export function net(name: string, ops: OperatorDef[], externalInput: string[] = [], externalOutput: string[] = []): NetDef {
  return { name, op: ops, external_input: externalInput, external_output: externalOutput };
}

/** Int8GivenTensorFill of uint8 bytes. */
export function int8Fill(out: string, shape: number[], values: number[], scale: number, zeroPoint: number): OperatorDef {
  return op('Int8GivenTensorFill', [], [out], [ints('shape', shape), s('values', Uint8Array.from(values)), f('Y_scale', scale), i('Y_zero_point', zeroPoint)]);
}

/** Int8GivenIntTensorFill of int32 values (biases). */
export function int32Fill(out: string, shape: number[], values: number[], scale = 1, zeroPoint = 0): OperatorDef {
  return op('Int8GivenIntTensorFill', [], [out], [ints('shape', shape), ints('values', values), f('Y_scale', scale), i('Y_zero_point', zeroPoint)]);
}
