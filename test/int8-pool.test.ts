// Int8MaxPool(Relu) / Int8AveragePool(Relu): behaviour the golden cases do not pin down.
// Every expected value is derived by hand from QNNPACK's arithmetic (SEMANTICS.md §3.4, §5).
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import type { Argument, NetDef, OperatorDef } from '../src/proto/types.js';
import {
  avgPoolOutputByte,
  avgPoolRequantization,
  checkAvgPoolScales,
  scaleAvgPoolAccumulator,
} from '../src/quant/avgpool-requantize.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { expectError, f, i, ints, NHWC, q8, runInt8Net, yArgs } from './helpers.js';

function net(type: string, args: Argument[], name = 'n'): NetDef {
  const op: OperatorDef = { type, input: ['x'], output: ['y'], arg: args };
  return { name, op: [op], external_input: ['x'], external_output: ['y'] };
}

/** Runs one pooling op on x with RunNetOnce and returns Y. */
function pool(type: string, x: Int8Tensor, args: Argument[]): { bytes: number[]; dims: number[]; scale: number; zp: number } {
  return runInt8Net(net(type, args), { x });
}

describe('Int8MaxPool', () => {
  // X 2x2: [[10, 20], [30, 40]], zp 100 (above every value, so a padded tap reading the zero point would show).
  const x2x2 = () => q8([10, 20, 30, 40], [1, 2, 2, 1], 0.5, 100);

  it('Int8MaxPool k=2 s=1 p=1 in=1x2x2x1 -> 1x3x3x1: padded taps are clamped to the edge, never the zero point', () => {
    // out = (2 + 1 + 1 - 2) / 1 + 1 = 3. Rows for oy: {clamp(oy-1), clamp(oy)} -> oy0: {0}, oy1: {0,1}, oy2: {1}; same for columns.
    // (0,0)=10 (0,1)=max(10,20)=20 (0,2)=20 | (1,0)=max(10,30)=30 (1,1)=40 (1,2)=40 | (2,0)=30 (2,1)=40 (2,2)=40.
    const y = pool('Int8MaxPool', x2x2(), [NHWC, i('kernel', 2), i('pad', 1), ...yArgs(0.5, 100)]);
    expect(y.dims).toEqual([1, 3, 3, 1]);
    expect(y.bytes).toEqual([10, 20, 20, 30, 40, 40, 30, 40, 40]);
    expect(y.scale).toBe(0.5);
    expect(y.zp).toBe(100);
  });

  it('Int8MaxPoolRelu k=2 s=1 p=1 in=1x2x2x1 zp=25 -> clamps below at X.zp', () => {
    // Same windows as above, then max(v, 25): 10 and 20 become 25.
    const x = q8([10, 20, 30, 40], [1, 2, 2, 1], 0.5, 25);
    const y = pool('Int8MaxPoolRelu', x, [NHWC, i('kernel', 2), i('pad', 1), ...yArgs(0.5, 25)]);
    expect(y.bytes).toEqual([25, 25, 25, 30, 40, 40, 30, 40, 40]);
    expect(y.zp).toBe(25);
  });

  it('Int8MaxPool k=2 pads=[2,0,0,0] in=1x1x2x1 -> 1x2x1x1: a window entirely in the padding reads the clamped edge row', () => {
    // H: (1 + 2 + 0 - 2) + 1 = 2, W: (2 - 2) + 1 = 1. oy=0 taps rows -2,-1 -> both clamp to 0; oy=1 taps -1,0 -> 0.
    // Each window covers columns 0,1 of row 0: max(7, 9) = 9.
    const x = q8([7, 9], [1, 1, 2, 1], 1, 0);
    const y = pool('Int8MaxPool', x, [NHWC, i('kernel', 2), ints('pads', [2, 0, 0, 0])]);
    expect(y.dims).toEqual([1, 2, 1, 1]);
    expect(y.bytes).toEqual([9, 9]);
  });

  it('Int8MaxPool k=2 s=2 in=1x2x4x2 -> 1x1x2x2 per channel', () => {
    // Pixels (h,w) with channels [a,b]: window cols 0-1 and cols 2-3 of both rows.
    // ch0: w0 {1,5,2,6} -> 6, w1 {3,7,4,0} -> 7; ch1: w0 {200,9,8,201} -> 201, w1 {0,0,0,255} -> 255.
    const x = q8([1, 200, 5, 9, 3, 0, 7, 0, 2, 8, 6, 201, 4, 0, 0, 255], [1, 2, 4, 2], 1, 0);
    const y = pool('Int8MaxPool', x, [NHWC, i('kernel', 2), i('stride', 2)]);
    expect(y.dims).toEqual([1, 1, 2, 2]);
    expect(y.bytes).toEqual([6, 201, 7, 255]);
  });

  it('Int8MaxPool kernel_h=2 kernel_w=2 dilation=2 stride=4 in=1x5x5x1 -> 1x1x1x1 pools undilated where the sizes agree', () => {
    // Caffe2: (5 - 3)/4 + 1 = 1 (dilated kernel 3); QNNPACK (undilated): (5 - 2)/4 + 1 = 1. Same size, so QNNPACK's
    // undilated window rows 0-1, cols 0-1 is used: x = 5r + c -> max(0, 1, 5, 6) = 6 (dilated would give 12).
    const x = q8(Array.from({ length: 25 }, (_, k) => k), [1, 5, 5, 1], 1, 0);
    const y = pool('Int8MaxPool', x, [NHWC, i('kernel_h', 2), i('kernel_w', 2), i('dilation', 2), i('stride', 4)]);
    expect(y.bytes).toEqual([6]);
  });

  it('Int8MaxPool k=2 dilation=2 in=1x4x4x1 is refused: Caffe2 sizes 2x2, QNNPACK computes 3x3', () => {
    const x = q8(new Array(16).fill(0), [1, 4, 4, 1], 1, 0);
    expectError(() => pool('Int8MaxPool', x, [NHWC, i('kernel', 2), i('dilation', 2)]), 'invalid', /2x2.*3x3/, 'Int8MaxPool');
  });

  it('Int8MaxPool N=0 in=0x4x4x2 k=2 s=2 -> empty 0x2x2x2', () => {
    const y = pool('Int8MaxPool', q8([], [0, 4, 4, 2], 1, 0), [NHWC, i('kernel', 2), i('stride', 2)]);
    expect(y.dims).toEqual([0, 2, 2, 2]);
    expect(y.bytes).toEqual([]);
  });

  it('Int8MaxPool Ypass: a Y_zero_point different from X.zp is FATAL', () => {
    expectError(() => pool('Int8MaxPool', x2x2(), [NHWC, i('kernel', 2), ...yArgs(0.5, 99)]), 'fatal', /Y_zero_point == X.zero_point \(99 vs 100\)/, 'Int8MaxPool');
  });

  it('Int8MaxPool Ypass: missing Y_scale (default 1) against X.scale 0.5 is FATAL', () => {
    expectError(() => pool('Int8MaxPool', x2x2(), [NHWC, i('kernel', 2), i('Y_zero_point', 100)]), 'fatal', /Y_scale == X.scale \(1 vs 0.5\)/);
  });

  it('Int8MaxPool k=1 s=2 (pooling area 1) is refused by QNNPACK', () => {
    expectError(() => pool('Int8MaxPool', q8([1, 2, 3, 4], [1, 2, 2, 1], 1, 0), [NHWC, i('kernel', 1), i('stride', 2)]), 'enforce', /failed to create QNNPACK Max Pooling operator.*1x1/);
  });

  it('Int8MaxPool global_pooling over a 1x1 input (area 1) is refused', () => {
    expectError(() => pool('Int8MaxPool', q8([1, 2, 3], [1, 1, 1, 3], 1, 0), [NHWC, i('global_pooling', 1)]), 'enforce', /1x1/);
  });

  it('Int8MaxPool without a kernel is refused by ConvPoolOpBase::RunOnDevice', () => {
    expectError(() => pool('Int8MaxPool', x2x2(), [NHWC, ...yArgs(0.5, 100)]), 'enforce', /kernel_\[0\] > 0/);
  });

  it('Int8MaxPool on a 3-D input is FATAL (CHECK_EQ(X.t.dim(), 4))', () => {
    expectError(() => pool('Int8MaxPool', q8([1, 2, 3, 4], [2, 2, 1], 1, 0), [NHWC, i('kernel', 2)]), 'fatal', /dim\(\) == 4/);
  });

  it('Int8MaxPool on an input with W=0 is refused by SetOutputSize', () => {
    expectError(() => pool('Int8MaxPool', q8([], [1, 2, 0, 1], 1, 0), [NHWC, i('kernel', 2)]), 'enforce', /size_from_dim\(1\) > 0/);
  });

  it('Int8MaxPool without order (NCHW default) cannot be created', () => {
    expectError(() => pool('Int8MaxPool', x2x2(), [i('kernel', 2)]), 'needs_feature', /NHWC/);
  });

  it('Int8MaxPool created net: a later run with the same shape recomputes; a changed channel count is refused', () => {
    const ws = new Workspace();
    ws.setBlob('x', q8([1, 2, 3, 4], [1, 2, 2, 1], 1, 0));
    ws.CreateNet(net('Int8MaxPool', [NHWC, i('kernel', 2)], 'mp'));
    ws.RunNet('mp');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([4]);
    ws.setBlob('x', q8([9, 2, 3, 4], [1, 2, 2, 1], 1, 0));
    ws.RunNet('mp');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([9]);
    ws.setBlob('x', q8([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2], 1, 0));
    expectError(() => ws.RunNet('mp'), 'invalid', /first run for 1 channels/);
  });

  it('Int8MaxPool global_pooling created net: a later, larger input meets the 2x2 window frozen on the first run', () => {
    // Run 1 freezes kernel 2x2. Run 2 (3x3): Caffe2 allocates 1x1, QNNPACK computes (3-2)+1 = 2 -> 2x2: refused.
    const ws = new Workspace();
    ws.setBlob('x', q8([1, 2, 3, 4], [1, 2, 2, 1], 1, 0));
    ws.CreateNet(net('Int8MaxPool', [NHWC, i('global_pooling', 1)], 'gmp'));
    ws.RunNet('gmp');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([4]);
    ws.setBlob('x', q8(new Array(9).fill(1), [1, 3, 3, 1], 1, 0));
    expectError(() => ws.RunNet('gmp'), 'invalid', /1x1.*2x2/);
  });
});

describe('Int8AveragePool', () => {
  it('Int8AveragePool k=3 s=1 p=1 in=1x3x3x1 -> 1x3x3x1: padding counts as the zero point, divisor always 9', () => {
    // x - zp = 9 everywhere. Scales 0.1/0.1, N=9: scale = f32(0.1/f32(0.1*9)) = 0.11111111, multiplier 14913081, shift 27.
    // corner: 4 taps, acc 36 -> (36*14913081 + 2^26) >> 27 = 4 -> 14; edge: 6 taps, acc 54 -> 6 -> 16; centre: acc 81 -> 9 -> 19.
    // (A divisor of only the valid taps would give 19 everywhere.)
    const x = q8(new Array(9).fill(19), [1, 3, 3, 1], 0.1, 10);
    const y = pool('Int8AveragePool', x, [NHWC, i('kernel', 3), i('pad', 1), f('Y_scale', 0.1), i('Y_zero_point', 10)]);
    expect(y.dims).toEqual([1, 3, 3, 1]);
    expect(y.bytes).toEqual([14, 16, 14, 16, 19, 16, 14, 16, 14]);
  });

  // Windows of a 1x2x4x3 input (zp 100), kernel 2 stride 2: window A = columns 0-1, window B = columns 2-3.
  // Channel sums of (x - 100): A = (10, 2, 6), B = (-10, -2, -6).
  const ties = () =>
    q8(
      [
        // row 0: (0,0) (0,1) (0,2) (0,3)
        103, 101, 102, 102, 101, 101, 97, 99, 98, 98, 99, 99,
        // row 1
        102, 100, 102, 103, 100, 101, 98, 100, 98, 97, 100, 99,
      ],
      [1, 2, 4, 3],
      0.1,
      100,
    );

  it('Int8AveragePool k=2 s=2 in=1x2x4x3 -> 1x1x2x3 rounds half away from zero', () => {
    // scale = f32(0.1/f32(0.1*4)) = 0.25 exactly (multiplier 2^23, shift 25). acc*0.25: 10 -> 2.5 -> 3, 2 -> 0.5 -> 1,
    // 6 -> 1.5 -> 2; -10 -> -3, -2 -> -1, -6 -> -2 (half-to-even would give 2, 0, 2, -2, 0, -2). Y zp 50.
    const y = pool('Int8AveragePool', ties(), [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 0.1), i('Y_zero_point', 50)]);
    expect(y.dims).toEqual([1, 1, 2, 3]);
    expect(y.bytes).toEqual([53, 51, 52, 47, 49, 48]);
    expect(y.zp).toBe(50);
  });

  it('Int8AveragePoolRelu k=2 s=2 in=1x2x4x3 clamps below at Y.zp', () => {
    // As above, then max(v, 50).
    const y = pool('Int8AveragePoolRelu', ties(), [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 0.1), i('Y_zero_point', 50)]);
    expect(y.bytes).toEqual([53, 51, 52, 50, 50, 50]);
  });

  it('Int8AveragePool Y_zero_point=300 reaches QNNPACK as 44 and the tensor keeps 300', () => {
    // 300 & 255 = 44: 44 + (3, 1, 2, -3, -1, -2).
    const y = pool('Int8AveragePool', ties(), [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 0.1), i('Y_zero_point', 300)]);
    expect(y.bytes).toEqual([47, 45, 46, 41, 43, 42]);
    expect(y.zp).toBe(300);
  });

  it('Int8AveragePool k=3 on in=1x3x3x2 takes the global path: N=9, scales 0.5 -> 0.25', () => {
    // scale = f32(0.5/f32(0.25*9)) = 0.22222222. ch0: x - zp = 1 at each of 9 pixels -> acc 9 -> 2.0000000149 -> 2 -> 130;
    // ch1: acc -20 -> -4.44 -> -4 -> 124.
    // zp 60. ch0: 61 at every pixel; ch1: 50 (-10) at the first two pixels, 60 (0) at the other seven.
    const bytes: number[] = [];
    for (let p = 0; p < 9; p++) bytes.push(61, p < 2 ? 50 : 60);
    const x = q8(bytes, [1, 3, 3, 2], 0.5, 60);
    for (const args of [[i('kernel', 3)], [i('global_pooling', 1)]]) {
      const y = pool('Int8AveragePool', x, [NHWC, ...args, f('Y_scale', 0.25), i('Y_zero_point', 128)]);
      expect(y.dims).toEqual([1, 1, 1, 2]);
      expect(y.bytes).toEqual([130, 124]);
    }
  });

  it('Int8AveragePool k=1 on in=1x1x1x2 is global (accepted); k=1 on in=1x2x2x1 is a refused 1x1 pooling', () => {
    // Global, N=1: scale = f32(0.1/0.05) = 2: (103-100)*2 = 6 -> 26; (90-100)*2 = -20 -> 0.
    const y = pool('Int8AveragePool', q8([103, 90], [1, 1, 1, 2], 0.1, 100), [NHWC, i('kernel', 1), f('Y_scale', 0.05), i('Y_zero_point', 20)]);
    expect(y.bytes).toEqual([26, 0]);
    expectError(
      () => pool('Int8AveragePool', q8([1, 2, 3, 4], [1, 2, 2, 1], 0.1, 0), [NHWC, i('kernel', 1), f('Y_scale', 0.1)]),
      'enforce',
      /failed to create QNNPACK Average Pooling operator.*1x1/,
      'Int8AveragePool',
    );
  });

  it('Int8AveragePool scale ratio bounds: 2^-8 and 255 accepted, below 2^-8 and 256 refused', () => {
    const args = (ys: number) => [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', ys), i('Y_zero_point', 0)];
    // Ratio 1/256, N=4: scale 2^-10. Window A all 255: acc 1020 -> 0.996 -> 1; window B 255+255+1+0 = 511 -> 0.499 -> 0.
    const xa = q8([255, 255, 255, 255, 255, 255, 1, 0], [1, 2, 4, 1], 1, 0);
    expect(pool('Int8AveragePool', xa, args(256)).bytes).toEqual([1, 0]);
    // Ratio 255, N=4: scale 63.75. Window A acc 1 -> 64; window B acc 4 -> 255.
    const xb = q8([1, 0, 1, 1, 0, 0, 1, 1], [1, 2, 4, 1], 255, 0);
    expect(pool('Int8AveragePool', xb, args(1)).bytes).toEqual([64, 255]);
    expectError(() => pool('Int8AveragePool', xa, args(257)), 'enforce', /ratio.*\[2\^-8, 2\^8\)/);
    expectError(() => pool('Int8AveragePool', q8([0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 4, 1], 256, 0), args(1)), 'enforce', /ratio 256/);
  });

  it('Int8AveragePool kernel=4096 pad=2048 in=1x1x1x1: a pooling area of 2^24 is refused', () => {
    expectError(
      () => pool('Int8AveragePool', q8([0], [1, 1, 1, 1], 1, 0), [NHWC, i('kernel', 4096), i('pad', 2048), f('Y_scale', 1)]),
      'enforce',
      /below 2\^24/,
    );
  });

  it('Int8AveragePool N=0: in=0x4x4x2 k=2 s=2 -> 0x2x2x2 and global in=0x3x3x2 -> 0x1x1x2', () => {
    const a = pool('Int8AveragePool', q8([], [0, 4, 4, 2], 1, 0), [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 1)]);
    expect(a.dims).toEqual([0, 2, 2, 2]);
    const g = pool('Int8AveragePool', q8([], [0, 3, 3, 2], 1, 0), [NHWC, i('kernel', 3), f('Y_scale', 1)]);
    expect(g.dims).toEqual([0, 1, 1, 2]);
  });

  it('Int8AveragePool on a 3-D input is FATAL', () => {
    expectError(() => pool('Int8AveragePool', q8([1, 2, 3, 4], [2, 2, 1], 1, 0), [NHWC, i('kernel', 2)]), 'fatal', /dim\(\) == 4/);
  });

  it('Int8AveragePool k=2 dilation=2 in=1x4x4x1 is refused (Caffe2 sizes 2x2, QNNPACK pools undilated to 3x3)', () => {
    expectError(() => pool('Int8AveragePool', q8(new Array(16).fill(0), [1, 4, 4, 1], 1, 0), [NHWC, i('kernel', 2), i('dilation', 2)]), 'invalid', /undilated/);
  });

  it('Int8AveragePool created net keeps the first run\'s input qparams; RunNetOnce uses the new ones', () => {
    // Channel 0 of the tie data: windows A = [103, 102, 102, 103], B = [97, 98, 98, 97].
    const bytes = [103, 102, 97, 98, 102, 103, 98, 97];
    const args = [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 0.1), i('Y_zero_point', 50)];
    const ws = new Workspace();
    ws.setBlob('x', q8(bytes, [1, 2, 4, 1], 0.1, 100));
    ws.CreateNet(net('Int8AveragePool', args, 'ap'));
    ws.RunNet('ap');
    // acc 10, -10 at scale 0.25 -> 3, -3.
    expect([...ws.FetchInt8Blob('y').data]).toEqual([53, 47]);
    ws.setBlob('x', q8(bytes, [1, 2, 4, 1], 0.2, 90));
    ws.RunNet('ap');
    // Stale (0.1, 100): unchanged.
    expect([...ws.FetchInt8Blob('y').data]).toEqual([53, 47]);
    // Fresh op with (0.2, 90): scale = f32(0.2/f32(0.1*4)) = 0.5; acc A = 410 - 360 = 50 -> 25 -> 75, B = 390 - 360 = 30 -> 15 -> 65.
    ws.RunNetOnce(net('Int8AveragePool', args, 'once'));
    expect([...ws.FetchInt8Blob('y').data]).toEqual([75, 65]);
  });

  it('Int8AveragePool created net: the global operator is created on the first global run, with that run\'s qparams', () => {
    const args = [NHWC, i('kernel', 2), f('Y_scale', 0.1), i('Y_zero_point', 50)];
    const ws = new Workspace();
    // Run 1, 1x2x4x1 (not global; stride 1 -> 1x1x3x1): non-global operator frozen with (0.1, 100).
    // Windows (cols 0-1, 1-2, 2-3): acc 10, 0, -10 -> 3, 0, -3.
    ws.setBlob('x', q8([103, 102, 97, 98, 102, 103, 98, 97], [1, 2, 4, 1], 0.1, 100));
    ws.CreateNet(net('Int8AveragePool', args, 'ap2'));
    ws.RunNet('ap2');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([53, 50, 47]);
    // Run 2, 1x2x2x1 with (0.2, 90): global path, created now: acc = 410 - 360 = 50, scale 0.5 -> 25 -> 75.
    ws.setBlob('x', q8([103, 102, 102, 103], [1, 2, 2, 1], 0.2, 90));
    ws.RunNet('ap2');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([75]);
    // Run 3, back to 1x2x4x1 with (0.2, 90): the stale non-global operator still uses (0.1, 100).
    ws.setBlob('x', q8([103, 102, 97, 98, 102, 103, 98, 97], [1, 2, 4, 1], 0.2, 90));
    ws.RunNet('ap2');
    expect([...ws.FetchInt8Blob('y').data]).toEqual([53, 50, 47]);
  });

  it('Int8AveragePool created net: a changed channel count is refused', () => {
    const ws = new Workspace();
    ws.setBlob('x', q8([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1], 1, 0));
    ws.CreateNet(net('Int8AveragePool', [NHWC, i('kernel', 2), i('stride', 2), f('Y_scale', 1)], 'ap3'));
    ws.RunNet('ap3');
    ws.setBlob('x', q8(new Array(16).fill(0), [1, 2, 4, 2], 1, 0));
    expectError(() => ws.RunNet('ap3'), 'invalid', /first run for 1 channels/);
  });
});

describe('avgpool-requantize', () => {
  it('scales 0.1/0.1 over N=9 -> scale 0.11111111, multiplier 14913081, shift 27 (SEMANTICS §3.4)', () => {
    const r = avgPoolRequantization(Math.fround(0.1), Math.fround(0.1), 9);
    expect(r.multiplier).toBe(14913081);
    expect(r.shift).toBe(27);
    // acc 40 -> 4.44 -> 4; -40 -> -4; 5 -> 0.56 -> 1; 4 -> 0.44 -> 0.
    expect([40, -40, 5, 4].map((a) => scaleAvgPoolAccumulator(a, r.multiplier, r.shift))).toEqual([4, -4, 1, 0]);
  });

  it('products beyond 2^53: scale 2^-24 (multiplier 2^23, shift 47)', () => {
    const r = avgPoolRequantization(1, 2 ** 24, 1);
    expect(r).toEqual({ scale: 2 ** -24, multiplier: 2 ** 23, shift: 47 });
    // (2^30 + 2^23) * 2^-24 = 64.5 -> 65 (away from zero); negated -> -65; (2^30 + 2^22) -> 64.25 -> 64;
    // INT32_MIN -> |acc| = 2^31 -> 128 -> -128.
    expect(scaleAvgPoolAccumulator(2 ** 30 + 2 ** 23, r.multiplier, r.shift)).toBe(65);
    expect(scaleAvgPoolAccumulator(-(2 ** 30 + 2 ** 23), r.multiplier, r.shift)).toBe(-65);
    expect(scaleAvgPoolAccumulator(2 ** 30 + 2 ** 22, r.multiplier, r.shift)).toBe(64);
    expect(scaleAvgPoolAccumulator(-(2 ** 31), r.multiplier, r.shift)).toBe(-128);
  });

  it('a requantization scale below 2^-32 is refused (QNNPACK only asserts it)', () => {
    // 1 / (256 * 2^25) = 2^-33.
    expect(() => avgPoolRequantization(1, 256, 2 ** 25)).toThrow(/outside \[2\^-32, 256\)/);
  });

  it('output stage saturates through int16 and uint8, then clamps to [min, max]', () => {
    expect(avgPoolOutputByte(40000, 10, 0, 255)).toBe(255);
    expect(avgPoolOutputByte(-40000, 10, 0, 255)).toBe(0);
    expect(avgPoolOutputByte(-5, 10, 0, 255)).toBe(5);
    expect(avgPoolOutputByte(-15, 10, 10, 255)).toBe(10);
    expect(avgPoolOutputByte(250, 10, 0, 200)).toBe(200);
  });

  it('create-time scale checks: a subnormal or zero scale is an invalid parameter', () => {
    expect(() => checkAvgPoolScales(0, 1, 'Average Pooling')).toThrow(/input scale 0/);
    expect(() => checkAvgPoolScales(1, 1e-40, 'Average Pooling')).toThrow(/output scale/);
  });
});
