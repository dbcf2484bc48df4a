// Int8ResizeNearest: float32 size and index math, output_size rules and checks.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import type { Argument, NetDef } from '../src/proto/types.js';
import { Int8Tensor } from '../src/tensor.js';
import { expectError, f, i, ints, iota, q8, runInt8Net } from './helpers.js';

function net(args: Argument[]): NetDef {
  return { name: 'n', op: [{ type: 'Int8ResizeNearest', input: ['x'], output: ['y'], arg: args }], external_input: ['x'] };
}

function resize(x: Int8Tensor, args: Argument[]) {
  return runInt8Net(net(args), { x });
}

describe('Int8ResizeNearest', () => {
  it('Int8ResizeNearest width_scale=0.7 in=1x1x10x1 -> 1x1x7x1: sizes and indices in float32', () => {
    // OW = int(f32(10 * 0.7f)) = int(6.99999988 rounded to float32 = 7.0) = 7 (double math would give 6).
    // in_x = int(f32(x / 0.7f)): 0, 1.43, 2.86, 4.29, 5.71, 7.14, 8.57 -> 0, 1, 2, 4, 5, 7, 8.
    const y = resize(q8(iota(10).map((v) => v * 10), [1, 1, 10, 1]), [f('width_scale', 0.7)]);
    expect(y.dims).toEqual([1, 1, 7, 1]);
    expect(y.bytes).toEqual([0, 10, 20, 40, 50, 70, 80]);
  });

  it('Int8ResizeNearest output_size=[5,7] in=1x2x3x1 -> 1x4x6x1: integer factors 5/2 = 2 and 7/3 = 2', () => {
    // X rows [0,1,2], [3,4,5]; each pixel repeated 2x2.
    const y = resize(q8(iota(6), [1, 2, 3, 1]), [ints('output_size', [5, 7])]);
    expect(y.dims).toEqual([1, 4, 6, 1]);
    expect(y.bytes).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5]);
  });

  it('Int8ResizeNearest output_size overrides width_scale/height_scale', () => {
    const y = resize(q8(iota(2), [1, 1, 2, 1]), [f('width_scale', 3), ints('output_size', [1, 4])]);
    expect(y.dims).toEqual([1, 1, 4, 1]);
    expect(y.bytes).toEqual([0, 0, 1, 1]);
  });

  it('Int8ResizeNearest output_size=[1,1] on in=1x2x2x1: factors 0 give an empty 1x0x0x1 output', () => {
    const y = resize(q8(iota(4), [1, 2, 2, 1]), [ints('output_size', [1, 1])]);
    expect(y.dims).toEqual([1, 0, 0, 1]);
  });

  it('Int8ResizeNearest height_scale=3 width_scale=0.5 in=1x1x4x2 -> 1x3x2x2 copies whole pixels', () => {
    // OW = 2: in_x = int(x / 0.5) = 0, 2. OH = 3, in_y = int(y / 3) = 0.
    const x = q8([0, 1, 10, 11, 20, 21, 30, 31], [1, 1, 4, 2], 0.5, 3);
    const y = resize(x, [f('height_scale', 3), f('width_scale', 0.5), f('Y_scale', 0.5), i('Y_zero_point', 3)]);
    expect(y.dims).toEqual([1, 3, 2, 2]);
    expect(y.bytes).toEqual([0, 1, 20, 21, 0, 1, 20, 21, 0, 1, 20, 21]);
    expect(y.scale).toBe(0.5);
    expect(y.zp).toBe(3);
  });

  it('Int8ResizeNearest N=0 in=0x2x2x3 scale 2 -> empty 0x4x4x3', () => {
    const y = resize(q8([], [0, 2, 2, 3]), [f('width_scale', 2), f('height_scale', 2)]);
    expect(y.dims).toEqual([0, 4, 4, 3]);
  });

  it('Int8ResizeNearest width_scale=0 is refused at creation', () => {
    expectError(() => resize(q8([1], [1, 1, 1, 1]), [f('width_scale', 0)]), 'enforce', /width_scale_ > 0/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest height_scale=-1 is refused at creation', () => {
    expectError(() => resize(q8([1], [1, 1, 1, 1]), [f('height_scale', -1)]), 'enforce', /height_scale_ > 0/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest width_scale given as an int is refused (expected field f)', () => {
    expectError(() => resize(q8([1], [1, 1, 1, 1]), [i('width_scale', 2)]), 'enforce', /expected field f/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest output_size with 3 values is refused', () => {
    expectError(() => resize(q8([1], [1, 1, 1, 1]), [ints('output_size', [2, 2, 2])]), 'enforce', /2 dim output size/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest output_size=[-4,2] on in=1x3x1x1 (negative size) is refused as undefined upstream', () => {
    expectError(() => resize(q8([1, 2, 3], [1, 3, 1, 1]), [ints('output_size', [-4, 2])]), 'invalid', /not a valid size/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest output_size on an input with H=0 is refused (integer division by zero upstream)', () => {
    expectError(() => resize(q8([], [1, 0, 2, 1]), [ints('output_size', [2, 2])]), 'invalid', /division by zero/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest on a 3-D input is refused', () => {
    expectError(() => resize(q8([1, 2], [1, 2, 1]), []), 'enforce', /4 == X.t.dim\(\)/, 'Int8ResizeNearest');
  });

  it('Int8ResizeNearest Ypass: missing Y_zero_point (0) against X.zp 3 is FATAL', () => {
    expectError(() => resize(q8([1], [1, 1, 1, 1], 1, 3), []), 'fatal', /Y_zero_point == X.zero_point \(0 vs 3\)/, 'Int8ResizeNearest');
  });
});
