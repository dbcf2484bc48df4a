// Int8ChannelShuffle: behaviour the golden cases do not pin down (expected values by hand from
// QNNPACK's channel shuffle, y[k·G + g] = x[g·K + k] per pixel).
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import type { Argument, NetDef } from '../src/proto/types.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { expectError, f, i, NHWC, q8, runInt8Net } from './helpers.js';

const KERNEL1 = i('kernel', 1);

function net(args: Argument[], name = 'n'): NetDef {
  return { name, op: [{ type: 'Int8ChannelShuffle', input: ['x'], output: ['y'], arg: args }], external_input: ['x'], external_output: ['y'] };
}

function shuffle(x: Int8Tensor, args: Argument[]) {
  return runInt8Net(net(args), { x });
}

describe('Int8ChannelShuffle', () => {
  it('Int8ChannelShuffle G=3 C=6 in=1x1x2x6: y[k*3+g] = x[g*2+k]', () => {
    // K = 2. Pixel [0..5] -> [x0, x2, x4, x1, x3, x5]; pixel [10..15] likewise.
    const y = shuffle(q8([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], [1, 1, 2, 6], 0.25, 7), [NHWC, KERNEL1, i('group', 3), f('Y_scale', 0.25), i('Y_zero_point', 7)]);
    expect(y.dims).toEqual([1, 1, 2, 6]);
    expect(y.bytes).toEqual([0, 2, 4, 1, 3, 5, 10, 12, 14, 11, 13, 15]);
    expect(y.scale).toBe(0.25);
    expect(y.zp).toBe(7);
  });

  it('Int8ChannelShuffle G=2 C=4 accepts kernel_h=1 + kernel_w=1 as the kernel argument', () => {
    // K = 2: [a,b,c,d] -> [a,c,b,d].
    const y = shuffle(q8([1, 2, 3, 4], [1, 1, 1, 4]), [NHWC, i('kernel_h', 1), i('kernel_w', 1), i('group', 2)]);
    expect(y.bytes).toEqual([1, 3, 2, 4]);
  });

  it('Int8ChannelShuffle G=2 on a 5-D input [1,1,1,4,2] shuffles rows of C = dim 3 bytes, as upstream', () => {
    // numel / C = 2 rows of 4: [0,1,2,3] -> [0,2,1,3], [4,5,6,7] -> [4,6,5,7].
    const y = shuffle(q8([0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 4, 2]), [NHWC, KERNEL1, i('group', 2)]);
    expect(y.dims).toEqual([1, 1, 1, 4, 2]);
    expect(y.bytes).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('Int8ChannelShuffle N=0 in=0x2x2x4 G=2 -> empty 0x2x2x4', () => {
    const y = shuffle(q8([], [0, 2, 2, 4]), [NHWC, KERNEL1, i('group', 2)]);
    expect(y.dims).toEqual([0, 2, 2, 4]);
  });

  it('Int8ChannelShuffle group=1 (the default) is refused by QNNPACK', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2]), [NHWC, KERNEL1]), 'enforce', /failed to create QNNPACK channel shuffle operator/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle C=6 G=4 is refused (C % G != 0)', () => {
    expectError(() => shuffle(q8([1, 2, 3, 4, 5, 6], [1, 1, 1, 6]), [NHWC, KERNEL1, i('group', 4)]), 'enforce', /divisible/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle group=0 is refused as undefined behaviour upstream', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2]), [NHWC, KERNEL1, i('group', 0)]), 'invalid', /divides by zero/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle group=-2 is refused as undefined behaviour upstream', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2]), [NHWC, KERNEL1, i('group', -2)]), 'invalid', /negative/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle Ypass: Y_scale different from X.scale is FATAL', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2], 0.5, 0), [NHWC, KERNEL1, i('group', 2), f('Y_scale', 0.25)]), 'fatal', /Y_scale == X.scale/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle: an input zero point of 300 (matched by Y_zero_point) is FATAL', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2], 1, 300), [NHWC, KERNEL1, i('group', 2), i('Y_zero_point', 300)]), 'fatal', /\[0, 255\]/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle on a 3-D input is refused (dim32(3))', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 2]), [NHWC, KERNEL1, i('group', 2)]), 'enforce', /ndim/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle without order (NCHW default) cannot be created', () => {
    expectError(() => shuffle(q8([1, 2], [1, 1, 1, 2]), [KERNEL1, i('group', 2)]), 'needs_feature', /NHWC/, 'Int8ChannelShuffle');
  });

  it('Int8ChannelShuffle created net: same C reruns; a changed channel count is refused', () => {
    const ws = new Workspace();
    ws.setBlob('x', q8([1, 2, 3, 4], [1, 1, 1, 4]));
    ws.CreateNet(net([NHWC, KERNEL1, i('group', 2)], 'cs'));
    ws.RunNet('cs');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([1, 3, 2, 4]);
    ws.setBlob('x', q8([5, 6, 7, 8, 9, 10, 11, 12], [1, 1, 2, 4]));
    ws.RunNet('cs');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([5, 7, 6, 8, 9, 11, 10, 12]);
    ws.setBlob('x', q8([1, 2, 3, 4, 5, 6], [1, 1, 1, 6]));
    expectError(() => ws.RunNet('cs'), 'invalid', /first run for 4/, 'Int8ChannelShuffle');
  });
});
