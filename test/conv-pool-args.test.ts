import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentHelper } from '../src/arguments.js';
import { decodeBinary } from '../src/proto/schema.js';
import type { Argument, NetDef } from '../src/proto/types.js';
import {
  LegacyPadding,
  checkConvPoolKernel,
  convPoolGeometry,
  convTransposeGeometry,
  parseConvPoolArgs,
  parseConvTransposeArgs,
  parseStorageOrder,
  type ConvPoolArgs,
} from '../ops/conv-pool-args.js';
import { expectError, f, i, ints, NHWC, s } from './helpers.js';

const helper = (...args: Argument[]) => new ArgumentHelper(args);
const conv = (...args: Argument[]) => parseConvPoolArgs(helper(...args), '');
const named = (name: string, ...args: Argument[]) => parseConvPoolArgs(helper(...args), name);
const tconv = (...args: Argument[]) => parseConvTransposeArgs(helper(...args));

describe('parseConvPoolArgs: defaults and order', () => {
  it('no args -> NCHW, kernel [0,0], stride 1, dilation 1, pads 0, NOTSET, group 1', () => {
    const a = conv();
    expect(a).toEqual({
      order: 'NCHW',
      kernel: [0, 0],
      stride: [1, 1],
      dilation: [1, 1],
      pads: [0, 0, 0, 0],
      legacyPad: LegacyPadding.NOTSET,
      group: 1,
      globalPooling: false,
    });
  });

  it.each([
    ['NHWC', 'NHWC'],
    ['nhwc', 'NHWC'],
    ['NCHW', 'NCHW'],
    ['nchw', 'NCHW'],
    ['Nhwc', 'UNKNOWN'],
    ['HWC', 'UNKNOWN'],
  ])('order=%s -> %s', (given, want) => {
    expect(parseStorageOrder(given)).toBe(want);
    expect(conv(s('order', given), i('kernel', 1)).order).toBe(want);
  });

  it('group=4 global_pooling=1 legacy_pad=3 are reported', () => {
    const a = conv(i('group', 4), i('global_pooling', 1), i('legacy_pad', 3));
    expect(a.group).toBe(4);
    expect(a.globalPooling).toBe(true);
    expect(a.legacyPad).toBe(LegacyPadding.CAFFE_LEGACY_POOLING);
  });

  it('global_pooling=2 counts as set (int read as a flag)', () => {
    expect(conv(i('global_pooling', 2)).globalPooling).toBe(true);
  });

  it('group=2 with dilation=2 is accepted (the latest ConvPoolOpBase dropped that check)', () => {
    expect(conv(i('group', 2), i('dilation', 2), i('kernel', 3)).dilation).toEqual([2, 2]);
  });
});

describe('parseConvPoolArgs: kernel, stride and dilation forms', () => {
  it('kernel=3 -> [3,3]', () => expect(conv(i('kernel', 3)).kernel).toEqual([3, 3]));
  it('kernel_h=3 kernel_w=2 -> [3,2]', () => expect(conv(i('kernel_h', 3), i('kernel_w', 2)).kernel).toEqual([3, 2]));
  it('kernel_h=3 alone does not count -> [0,0]', () => expect(conv(i('kernel_h', 3)).kernel).toEqual([0, 0]));
  it('kernel_w=3 alone does not count -> [0,0]', () => expect(conv(i('kernel_w', 3)).kernel).toEqual([0, 0]));
  it('kernels=[3,5] -> [3,5]', () => expect(conv(ints('kernels', [3, 5])).kernel).toEqual([3, 5]));
  it('kernel=3 kernel_h=5 kernel_w=7 -> kernel wins [3,3]', () => {
    expect(conv(i('kernel', 3), i('kernel_h', 5), i('kernel_w', 7)).kernel).toEqual([3, 3]);
  });
  it('kernels=[3,5] kernel=7 -> the list wins [3,5] (resize to 2 is a no-op)', () => {
    expect(conv(ints('kernels', [3, 5]), i('kernel', 7)).kernel).toEqual([3, 5]);
  });
  it('kernels=[3] kernel=7 -> [3,7] (resize fills the missing entry)', () => {
    expect(conv(ints('kernels', [3]), i('kernel', 7), ints('strides', [1, 1])).kernel).toEqual([3, 7]);
  });
  it('kernels=[3,5,7] kernel=1 -> [3,5] (resize cuts the list)', () => {
    expect(conv(ints('kernels', [3, 5, 7]), i('kernel', 1)).kernel).toEqual([3, 5]);
  });
  it('kernels=[3,3] kernel_h=5 kernel_w=5 -> appended [3,3,5,5]', () => {
    const a = conv(ints('kernels', [3, 3]), i('kernel_h', 5), i('kernel_w', 5));
    expect(a.kernel).toEqual([3, 3, 5, 5]);
    // the defaults follow the kernel's length
    expect(a.stride).toEqual([1, 1, 1, 1]);
    expect(a.pads).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
  it('kernels=[] (present, empty) -> [0,0]', () => expect(conv(ints('kernels', [])).kernel).toEqual([0, 0]));

  it('stride=2 -> [2,2]', () => expect(conv(i('stride', 2)).stride).toEqual([2, 2]));
  it('stride_h=1 stride_w=2 -> [1,2]', () => expect(conv(i('stride_h', 1), i('stride_w', 2)).stride).toEqual([1, 2]));
  it('stride_h=2 alone -> default [1,1]', () => expect(conv(i('stride_h', 2)).stride).toEqual([1, 1]));
  it('strides=[2,3] -> [2,3]', () => expect(conv(ints('strides', [2, 3])).stride).toEqual([2, 3]));
  it('stride=4 stride_h=2 stride_w=3 -> stride wins [4,4]', () => {
    expect(conv(i('stride', 4), i('stride_h', 2), i('stride_w', 3)).stride).toEqual([4, 4]);
  });
  it('strides=[2,3] stride=4 -> the list wins [2,3]', () => expect(conv(ints('strides', [2, 3]), i('stride', 4)).stride).toEqual([2, 3]));

  it('dilation=2 -> [2,2]', () => expect(conv(i('dilation', 2)).dilation).toEqual([2, 2]));
  it('dilation_h=2 dilation_w=3 -> [2,3]', () => expect(conv(i('dilation_h', 2), i('dilation_w', 3)).dilation).toEqual([2, 3]));
  it('dilation_w=2 alone -> default [1,1]', () => expect(conv(i('dilation_w', 2)).dilation).toEqual([1, 1]));
  it('dilations=[2,3] -> [2,3]', () => expect(conv(ints('dilations', [2, 3])).dilation).toEqual([2, 3]));
  it('dilation=4 dilation_h=2 dilation_w=3 -> dilation wins [4,4]', () => {
    expect(conv(i('dilation', 4), i('dilation_h', 2), i('dilation_w', 3)).dilation).toEqual([4, 4]);
  });
  it('dilations=[2,3] dilation=4 -> the list wins [2,3]', () => expect(conv(ints('dilations', [2, 3]), i('dilation', 4)).dilation).toEqual([2, 3]));
});

describe('parseConvPoolArgs: pad forms', () => {
  it('pads=[1,2,3,4] -> [t=1,l=2,b=3,r=4]', () => expect(conv(ints('pads', [1, 2, 3, 4])).pads).toEqual([1, 2, 3, 4]));
  it('pad=2 -> [2,2,2,2]', () => expect(conv(i('pad', 2)).pads).toEqual([2, 2, 2, 2]));
  it('pad_t=1 pad_l=2 pad_b=3 pad_r=4 -> [1,2,3,4]', () => {
    expect(conv(i('pad_t', 1), i('pad_l', 2), i('pad_b', 3), i('pad_r', 4)).pads).toEqual([1, 2, 3, 4]);
  });
  it('pad_t pad_l pad_b without pad_r -> default [0,0,0,0]', () => {
    expect(conv(i('pad_t', 1), i('pad_l', 2), i('pad_b', 3)).pads).toEqual([0, 0, 0, 0]);
  });
  it('pad=5 with all four pad_* -> pad wins [5,5,5,5]', () => {
    expect(conv(i('pad', 5), i('pad_t', 1), i('pad_l', 2), i('pad_b', 3), i('pad_r', 4)).pads).toEqual([5, 5, 5, 5]);
  });
  it('pads=[1,2,3,4] pad=5 -> the list wins [1,2,3,4]', () => expect(conv(ints('pads', [1, 2, 3, 4]), i('pad', 5)).pads).toEqual([1, 2, 3, 4]));
  it('pads=[1,2] pad=5 -> [1,2,5,5] (resize fills)', () => expect(conv(ints('pads', [1, 2]), i('pad', 5)).pads).toEqual([1, 2, 5, 5]));
  it('pads=[1,2,3,4] with all four pad_* -> 8 entries -> enforce pads_.size() == 2 * kernel_.size()', () => {
    expectError(() => conv(ints('pads', [1, 2, 3, 4]), i('pad_t', 1), i('pad_l', 1), i('pad_b', 1), i('pad_r', 1)), 'enforce', /pads_\.size\(\) == 2 \* kernel_\.size\(\) \(8 vs 4\)/);
  });
  it('pads=[1,2,3] -> enforce pads_.size() == 2 * kernel_.size() (3 vs 4)', () => {
    expectError(() => conv(ints('pads', [1, 2, 3])), 'enforce', /\(3 vs 4\)/);
  });
});

describe('parseConvPoolArgs: legacy_pad with explicit pads', () => {
  for (const [lp, label] of [
    [1, 'VALID'],
    [2, 'SAME'],
  ] as const) {
    it(`legacy_pad=${lp} (${label}) pads=[0,0,0,0] -> enforce`, () => {
      expectError(() => conv(i('legacy_pad', lp), ints('pads', [0, 0, 0, 0])), 'enforce', /legacy_pad VALID or SAME/);
    });
    it(`legacy_pad=${lp} (${label}) pad=1 -> enforce`, () => {
      expectError(() => conv(i('legacy_pad', lp), i('pad', 1)), 'enforce', /legacy_pad VALID or SAME/);
    });
    it(`legacy_pad=${lp} (${label}) pad_t/l/b/r -> enforce`, () => {
      expectError(() => conv(i('legacy_pad', lp), i('pad_t', 0), i('pad_l', 0), i('pad_b', 0), i('pad_r', 0)), 'enforce', /legacy_pad VALID or SAME/);
    });
    it(`legacy_pad=${lp} (${label}) pad_t only -> accepted (not counted as padding)`, () => {
      expect(conv(i('legacy_pad', lp), i('pad_t', 3)).pads).toEqual([0, 0, 0, 0]);
    });
  }
  it('legacy_pad=3 (CAFFE_LEGACY_POOLING) pad=1 -> accepted', () => expect(conv(i('legacy_pad', 3), i('pad', 1)).pads).toEqual([1, 1, 1, 1]));
  it('legacy_pad=1 pads=... with a negative kernel -> the pads error comes first', () => {
    expectError(() => conv(i('legacy_pad', 1), ints('pads', [0, 0, 0, 0]), i('kernel', -1)), 'enforce', /legacy_pad VALID or SAME/);
  });
});

describe('parseConvPoolArgs: size and range checks', () => {
  it('stride=2 with kernels=[3,3,3] -> enforce stride_.size() == kernel_.size() (2 vs 3)', () => {
    expectError(() => conv(ints('kernels', [3, 3, 3]), i('stride', 2)), 'enforce', /stride_\.size\(\) == kernel_\.size\(\) \(2 vs 3\)/);
  });
  it('dilations=[1] with kernel=3 -> enforce dilation_.size() == kernel_.size() (1 vs 2)', () => {
    expectError(() => conv(i('kernel', 3), ints('dilations', [1])), 'enforce', /dilation_\.size\(\) == kernel_\.size\(\) \(1 vs 2\)/);
  });
  it('kernel=-1 -> enforce kernel_[0] >= 0', () => expectError(() => conv(i('kernel', -1)), 'enforce', /kernel_\[0\] >= 0 \(-1 vs 0\)/));
  it('dilation_h=1 dilation_w=-2 -> enforce dilation_[1] >= 0', () => {
    expectError(() => conv(i('kernel', 3), i('dilation_h', 1), i('dilation_w', -2)), 'enforce', /dilation_\[1\] >= 0 \(-2 vs 0\)/);
  });
  it('stride=-1 -> enforce stride_[0] >= 0', () => expectError(() => conv(i('kernel', 3), i('stride', -1)), 'enforce', /stride_\[0\] >= 0/));
  it('kernel=-1 stride=-1 -> per dimension kernel, dilation, stride: kernel first', () => {
    expectError(() => conv(i('kernel', -1), i('stride', -1)), 'enforce', /kernel_\[0\]/);
  });
  it('stride=0 and dilation=0 -> accepted at creation (Caffe2 only checks >= 0)', () => {
    const a = conv(i('kernel', 3), i('stride', 0), i('dilation', 0));
    expect(a.stride).toEqual([0, 0]);
    expect(a.dilation).toEqual([0, 0]);
  });
  it('pad=-1, unnamed op -> accepted at creation (the pads >= 0 check depends on the name)', () => {
    expect(conv(i('kernel', 3), i('pad', -1)).pads).toEqual([-1, -1, -1, -1]);
  });
  it('kernel as a float -> the argument reader refuses it', () => {
    expect(() => conv({ name: 'kernel', f: 3 })).toThrow(/does not have the right field/);
  });
  it('order as an int -> the argument reader refuses it', () => {
    expect(() => conv(i('order', 1))).toThrow(/does not have the right field/);
  });
  it('shared_buffer as a float -> refused (read by the constructor although unused)', () => {
    expect(() => conv(i('kernel', 1), f('shared_buffer', 1))).toThrow(/does not have the right field/);
  });
  it('kernel=2^31 -> out of int range', () => {
    expect(() => conv(i('kernel', 2 ** 31))).toThrow(/cannot be represented/);
  });
});

describe('parseConvPoolArgs: global_pooling', () => {
  it('global_pooling=1 pad=0 stride=1 dilation=1 -> accepted', () => {
    expect(conv(i('global_pooling', 1), i('pad', 0), i('stride', 1), i('dilation', 1)).globalPooling).toBe(true);
  });
  it('global_pooling=1 pad=1 -> enforce', () => expectError(() => conv(i('global_pooling', 1), i('pad', 1)), 'enforce', /global_pooling/));
  it('global_pooling=1 pads=[0,0,0,1] -> enforce (pads[3] is dimension 1)', () => {
    expectError(() => conv(i('global_pooling', 1), ints('pads', [0, 0, 0, 1])), 'enforce', /global_pooling/);
  });
  it('global_pooling=1 stride_h=1 stride_w=2 -> enforce', () => {
    expectError(() => conv(i('global_pooling', 1), i('stride_h', 1), i('stride_w', 2)), 'enforce', /global_pooling/);
  });
  it('global_pooling=1 dilation=2 -> enforce', () => expectError(() => conv(i('global_pooling', 1), i('dilation', 2)), 'enforce', /global_pooling/));
  it('global_pooling=1 without kernel, unnamed -> accepted', () => expect(conv(i('global_pooling', 1)).kernel).toEqual([0, 0]));
});

describe('parseConvPoolArgs: the op-name rule', () => {
  it('name="Conv1" pad_t=-1 -> enforce pads_[0] >= 0', () => {
    expectError(() => named('Conv1', i('kernel', 3), i('pad_t', -1), i('pad_l', 0), i('pad_b', 0), i('pad_r', 0)), 'enforce', /pads_\[0\] >= 0 \(-1 vs 0\)/);
  });
  it('name="Conv1" pad_r=-1 -> enforce pads_[3] >= 0 (dimension 1 tail)', () => {
    expectError(() => named('Conv1', i('kernel', 3), i('pad_t', 0), i('pad_l', 0), i('pad_b', 0), i('pad_r', -1)), 'enforce', /pads_\[3\] >= 0/);
  });
  it('name="my_Pool" pad=-1 -> enforce', () => expectError(() => named('my_Pool', i('kernel', 3), i('pad', -1)), 'enforce', /pads_\[0\] >= 0/));
  it('name="xConv" pad=-1 -> accepted ("Conv" must be a prefix)', () => expect(named('xConv', i('kernel', 3), i('pad', -1)).pads[0]).toBe(-1));
  it('name="conv" pad=-1 -> accepted (case-sensitive)', () => expect(named('conv', i('kernel', 3), i('pad', -1)).pads[0]).toBe(-1));
  it('name="Conv" without kernel -> enforce: the kernel must be given', () => {
    expectError(() => named('Conv'), 'enforce', /kernel size must be given/);
  });
  it('name="MaxPool" global_pooling=1 without kernel -> enforce anyway', () => {
    expectError(() => named('MaxPool', i('global_pooling', 1)), 'enforce', /kernel size must be given/);
  });
  it('name="Conv" kernel_h=3 kernel_w=0 -> enforce for dimension 1', () => {
    expectError(() => named('Conv', i('kernel_h', 3), i('kernel_w', 0)), 'enforce', /kernel_\[1\] is 0/);
  });
  it('name="Conv" kernel=-2 -> passes the name rule (non-zero), then kernel_[0] >= 0 fails', () => {
    expectError(() => named('Conv', i('kernel', -2)), 'enforce', /kernel_\[0\] >= 0 \(-2 vs 0\)/);
  });
});

/** NHWC conv/pool args from a list of extra arguments. */
const nhwc = (...args: Argument[]): ConvPoolArgs => conv(NHWC, ...args);

describe('convPoolGeometry: NOTSET (explicit pads)', () => {
  it('in=10x10 k=3 s=2 p=1 -> 5x5', () => {
    // (10 + 1 + 1 - 3) / 2 + 1 = 4.5 + 1 = 5.5 -> 5
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('stride', 2), i('pad', 1)), 10, 10);
    expect([g.outH, g.outW]).toEqual([5, 5]);
    expect(g.pads).toEqual([1, 1, 1, 1]);
    expect(g.kernel).toEqual([3, 3]);
    expect(g.stride).toEqual([2, 2]);
    expect(g.dilation).toEqual([1, 1]);
  });
  it('in=5x5 k=3 s=1 p=0 -> 3x3', () => {
    // (5 - 3) / 1 + 1 = 3
    const g = convPoolGeometry(nhwc(i('kernel', 3)), 5, 5);
    expect([g.outH, g.outW]).toEqual([3, 3]);
  });
  it('in=6x7 k=3x2 s=1x2 pads t=2 l=0 b=1 r=1 -> 7x4', () => {
    // H: (6 + 2 + 1 - 3) / 1 + 1 = 7;  W: (7 + 0 + 1 - 2) / 2 + 1 = 3 + 1 = 4
    const g = convPoolGeometry(
      nhwc(i('kernel_h', 3), i('kernel_w', 2), i('stride_h', 1), i('stride_w', 2), i('pad_t', 2), i('pad_l', 0), i('pad_b', 1), i('pad_r', 1)),
      6,
      7,
    );
    expect([g.outH, g.outW]).toEqual([7, 4]);
    expect(g.pads).toEqual([2, 0, 1, 1]);
  });
  it('in=9x9 k=3 d=2 p=2 -> 9x9', () => {
    // dk = 2 * (3 - 1) + 1 = 5;  (9 + 4 - 5) / 1 + 1 = 9
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('dilation', 2), i('pad', 2)), 9, 9);
    expect([g.outH, g.outW]).toEqual([9, 9]);
    expect(g.dilation).toEqual([2, 2]);
  });
  it('in=8x11 kernels=[3,1] dilations=[3,1] strides=[2,3] -> 2x4', () => {
    // H: dk = 3*2+1 = 7, (8 - 7)/2 + 1 = 1.5 -> 1;  W: dk = 1, (11 - 1)/3 + 1 = 4.33 -> 4
    const g = convPoolGeometry(nhwc(ints('kernels', [3, 1]), ints('dilations', [3, 1]), ints('strides', [2, 3])), 8, 11);
    expect([g.outH, g.outW]).toEqual([1, 4]);
  });
  it('in=2x5 k=3 p=0 -> enforce in + pads >= dilated kernel (H)', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3)), 2, 5), 'enforce', /\(2 vs 3\).*input H 2/);
  });
  it('in=5x4 k=3 d=2 -> enforce (W: 4 < dk 5)', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('dilation', 2)), 5, 4), 'enforce', /\(4 vs 5\).*input W 4/);
  });
  it('in=2x2 k=3 p=1 -> 2x2 (the pads make room)', () => {
    // (2 + 2 - 3) / 1 + 1 = 2
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('pad', 1)), 2, 2);
    expect([g.outH, g.outW]).toEqual([2, 2]);
  });
  it('in=16777219x1 k=3x1 s=1 -> 16777216 (float32 rounding as upstream)', () => {
    // float(16777216) / 1 + 1 = 16777217, which float32 rounds to 16777216 (ties to even)
    const g = convPoolGeometry(nhwc(i('kernel_h', 3), i('kernel_w', 1)), 16777219, 1);
    expect(g.outH).toBe(16777216);
    expect(g.outW).toBe(1);
  });
  it('in=33554438x1 k=3x1 s=2 -> 16777220 (float32: exact would be 16777218)', () => {
    // in - dk = 33554435 -> float 33554436; / 2 = 16777218; + 1 = 16777219 -> float 16777220
    const g = convPoolGeometry(nhwc(i('kernel_h', 3), i('kernel_w', 1), i('stride', 2)), 33554438, 1);
    expect(g.outH).toBe(16777220);
  });
  it('unnamed op, pad=-1 k=1 in=4x4 -> invalid (negative pads go to QNNPACK unsigned)', () => {
    // (4 - 2 - 1) / 1 + 1 = 2 passes the enforce, but the padding is negative
    expectError(() => convPoolGeometry(nhwc(i('kernel', 1), i('pad', -1)), 4, 4), 'invalid', /negative/);
  });
});

describe('convPoolGeometry: legacy_pad VALID', () => {
  it('in=10x10 k=3 s=2 VALID -> 4x4, pads 0', () => {
    // (10 - 3) / 2 + 1 = 3 + 1 = 4
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('stride', 2), i('legacy_pad', 1)), 10, 10);
    expect([g.outH, g.outW]).toEqual([4, 4]);
    expect(g.pads).toEqual([0, 0, 0, 0]);
  });
  it('in=7x9 k=3 d=2 VALID -> 3x5', () => {
    // dk = 5: (7 - 5) + 1 = 3, (9 - 5) + 1 = 5
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('dilation', 2), i('legacy_pad', 1)), 7, 9);
    expect([g.outH, g.outW]).toEqual([3, 5]);
  });
  it('in=2x5 k=3 VALID -> output 0 -> invalid (Caffe2 does not check)', () => {
    // (2 - 3) / 1 + 1 = 0
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('legacy_pad', 1)), 2, 5), 'invalid', /output size 0x3/);
  });
  it('in=1x1 k=4 s=2 VALID -> C++ division truncates toward zero: (1-4)/2+1 = -1+1 = 0 -> invalid', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 4), i('stride', 2), i('legacy_pad', 1)), 1, 1), 'invalid', /output size 0x0/);
  });
});

describe('convPoolGeometry: legacy_pad SAME', () => {
  it('in=10x10 k=3 s=2 SAME -> 5x5, pads t=0 l=0 b=1 r=1', () => {
    // target = ceil(10/2) = 5; need = (5-1)*2 + 3 - 10 = 1; head = 0, tail = 1; out = (10 + 1 - 3)/2 + 1 = 5
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('stride', 2), i('legacy_pad', 2)), 10, 10);
    expect([g.outH, g.outW]).toEqual([5, 5]);
    expect(g.pads).toEqual([0, 0, 1, 1]);
  });
  it('in=7x5 k=3 s=2 SAME -> 4x3, pads 1,1,1,1', () => {
    // H: target 4, need = 3*2 + 3 - 7 = 2 -> 1/1; out = (7+2-3)/2+1 = 4
    // W: target 3, need = 2*2 + 3 - 5 = 2 -> 1/1; out = (5+2-3)/2+1 = 3
    const g = convPoolGeometry(nhwc(i('kernel', 3), i('stride', 2), i('legacy_pad', 2)), 7, 5);
    expect([g.outH, g.outW]).toEqual([4, 3]);
    expect(g.pads).toEqual([1, 1, 1, 1]);
  });
  it('in=5x6 k=4 s=1 SAME -> 5x6, pads t=1 l=1 b=2 r=2 (the tail gets the odd one)', () => {
    // need = (5-1)*1 + 4 - 5 = 3 -> head 1, tail 2; W the same with 6: need = 5 + 4 - 6 = 3
    const g = convPoolGeometry(nhwc(i('kernel', 4), i('legacy_pad', 2)), 5, 6);
    expect([g.outH, g.outW]).toEqual([5, 6]);
    expect(g.pads).toEqual([1, 1, 2, 2]);
  });
  it('in=5x5 k=1 s=2 SAME -> 3x3, pads 0', () => {
    // target 3; need = 2*2 + 1 - 5 = 0; out = (5 - 1)/2 + 1 = 3
    const g = convPoolGeometry(nhwc(i('kernel', 1), i('stride', 2), i('legacy_pad', 2)), 5, 5);
    expect([g.outH, g.outW]).toEqual([3, 3]);
    expect(g.pads).toEqual([0, 0, 0, 0]);
  });
  it('in=6x6 k=1 s=2 SAME -> need -1, tail pad -1 -> invalid', () => {
    // target 3; need = 2*2 + 1 - 6 = -1; head = trunc(-1/2) = 0, tail = -1
    expectError(() => convPoolGeometry(nhwc(i('kernel', 1), i('stride', 2), i('legacy_pad', 2)), 6, 6), 'invalid', /padding \[0, 0, -1, -1\]/);
  });
  it('SAME with dilation=2 -> enforce', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('dilation', 2), i('legacy_pad', 2)), 8, 8), 'enforce', /SAME does not support dilation/);
  });
  it('the pads given to parse stay untouched', () => {
    const a = nhwc(i('kernel', 3), i('stride', 2), i('legacy_pad', 2));
    convPoolGeometry(a, 10, 10);
    expect(a.pads).toEqual([0, 0, 0, 0]);
  });
});

describe('convPoolGeometry: legacy_pad CAFFE_LEGACY_POOLING', () => {
  const legacy = (...args: Argument[]) => nhwc(i('legacy_pad', 3), ...args);
  it('in=6x6 k=3 s=2 p=0 -> 3x3, tail pads 2', () => {
    // ceil((6 - 3)/2 + 1) = ceil(2.5) = 3; standard = 2; tail = 0 + 2*(3-2) = 2
    const g = convPoolGeometry(legacy(i('kernel', 3), i('stride', 2)), 6, 6);
    expect([g.outH, g.outW]).toEqual([3, 3]);
    expect(g.pads).toEqual([0, 0, 2, 2]);
  });
  it('in=7x7 k=3 s=2 p=1 -> 4x4, pads 1 (Caffe and Caffe2 agree)', () => {
    // (7 + 2 - 3)/2 + 1 = 4 exactly; (4-1)*2 = 6 < 7+1; standard 4; tail = 1
    const g = convPoolGeometry(legacy(i('kernel', 3), i('stride', 2), i('pad', 1)), 7, 7);
    expect([g.outH, g.outW]).toEqual([4, 4]);
    expect(g.pads).toEqual([1, 1, 1, 1]);
  });
  it('in=6x6 k=3 s=2 p=1 -> 4x4, tail pads 3', () => {
    // ceil((6+2-3)/2 + 1) = ceil(3.5) = 4; (4-1)*2 = 6 < 6+1 keeps it; standard 3; tail = 1 + 2*1 = 3
    const g = convPoolGeometry(legacy(i('kernel', 3), i('stride', 2), i('pad', 1)), 6, 6);
    expect([g.outH, g.outW]).toEqual([4, 4]);
    expect(g.pads).toEqual([1, 1, 3, 3]);
  });
  it('in=5x5 k=2 s=2 p=1 -> 3x3 (last window starting in the padding is dropped)', () => {
    // ceil((5+2-2)/2 + 1) = ceil(3.5) = 4; (4-1)*2 = 6 >= 5+1 -> 3; standard 3; tail = 1
    const g = convPoolGeometry(legacy(i('kernel', 2), i('stride', 2), i('pad', 1)), 5, 5);
    expect([g.outH, g.outW]).toEqual([3, 3]);
    expect(g.pads).toEqual([1, 1, 1, 1]);
  });
  it('pads=[1,0,9,9]: only the heads are used, tails are recomputed', () => {
    // H (head 1): in 6, k 3, s 2 -> 4, tail 3 as above; W (head 0): ceil((6-3)/2+1) = 3, standard 2, tail 2
    const g = convPoolGeometry(legacy(i('kernel', 3), i('stride', 2), ints('pads', [1, 0, 9, 9])), 6, 6);
    expect([g.outH, g.outW]).toEqual([4, 3]);
    expect(g.pads).toEqual([1, 0, 3, 2]);
  });
  it('dilation=2 is ignored by the formula (undilated kernel)', () => {
    // ceil((6 - 3)/2 + 1) = 3, as without dilation
    const g = convPoolGeometry(legacy(i('kernel', 3), i('stride', 2), i('dilation', 2)), 6, 6);
    expect([g.outH, g.outW]).toEqual([3, 3]);
  });
  it('in=4x4 k=2 s=1 p=2 -> Caffe size 6 < Caffe2 size 7 -> enforce', () => {
    // v = (4 + 4 - 2)/1 + 1 = 7; (7-1)*1 = 6 >= 4+2 -> 6; standard 7
    expectError(() => convPoolGeometry(legacy(i('kernel', 2), i('pad', 2)), 4, 4), 'enforce', /\(6 vs 7\)/);
  });
  it('unnamed op, pad=-1 -> enforce pad_head >= 0', () => {
    expectError(() => convPoolGeometry(legacy(i('kernel', 3), i('pad', -1)), 6, 6), 'enforce', /pad_head >= 0 \(-1 vs 0\)/);
  });
  it('in=1x1 k=5 -> output -3 -> invalid', () => {
    // ceil((1 - 5)/1 + 1) = -3
    expectError(() => convPoolGeometry(legacy(i('kernel', 5)), 1, 1), 'invalid', /output size -3x-3/);
  });
});

describe('convPoolGeometry: global pooling and run-time checks', () => {
  it('in=7x5 global_pooling=1 -> kernel 7x5, out 1x1', () => {
    const g = convPoolGeometry(nhwc(i('global_pooling', 1)), 7, 5);
    expect(g.kernel).toEqual([7, 5]);
    expect([g.outH, g.outW]).toEqual([1, 1]);
    expect(g.pads).toEqual([0, 0, 0, 0]);
    expect(g.stride).toEqual([1, 1]);
  });
  it('in=7x5 global_pooling=1 kernel=3 -> the kernel is replaced by 7x5', () => {
    expect(convPoolGeometry(nhwc(i('global_pooling', 1), i('kernel', 3)), 7, 5).kernel).toEqual([7, 5]);
  });
  it('global_pooling=1 legacy_pad=VALID/7 -> ignored (no ComputeSizeAndPad)', () => {
    expect(convPoolGeometry(nhwc(i('global_pooling', 1), i('legacy_pad', 1)), 3, 4).outH).toBe(1);
    expect(convPoolGeometry(nhwc(i('global_pooling', 1), i('legacy_pad', 7)), 3, 4).outW).toBe(1);
  });
  it('kernel=7 in=7x7 (no global_pooling) -> 1x1, kernel 7x7', () => {
    const g = convPoolGeometry(nhwc(i('kernel', 7)), 7, 7);
    expect([g.outH, g.outW]).toEqual([1, 1]);
  });
  it('no kernel -> enforce kernel_[0] > 0 (RunOnDevice)', () => {
    expectError(() => convPoolGeometry(nhwc(), 4, 4), 'enforce', /kernel_\[0\] > 0 \(0 vs 0\).*RunOnDevice/);
    expectError(() => checkConvPoolKernel(nhwc()), 'enforce', /kernel_\[0\] > 0/);
  });
  it('kernel_h=3 kernel_w=0 -> enforce kernel_[1] > 0', () => {
    expectError(() => checkConvPoolKernel(nhwc(i('kernel_h', 3), i('kernel_w', 0))), 'enforce', /kernel_\[1\] > 0/);
  });
  it('kernel=1 -> checkConvPoolKernel passes (Int8ChannelShuffle)', () => {
    expect(() => checkConvPoolKernel(nhwc(i('kernel', 1), i('group', 2)))).not.toThrow();
  });
  it('no kernel, global_pooling=1 -> checkConvPoolKernel passes', () => {
    expect(() => checkConvPoolKernel(nhwc(i('global_pooling', 1)))).not.toThrow();
  });
  it('kernel check comes before the empty-input check', () => {
    expectError(() => convPoolGeometry(nhwc(), 0, 4), 'enforce', /kernel_\[0\] > 0/);
  });
  it('in=0x4 k=1 -> enforce size_from_dim(1) > 0', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 1)), 0, 4), 'enforce', /size_from_dim\(1\) > 0/);
  });
  it('in=4x0 global_pooling=1 -> enforce size_from_dim(1) > 0', () => {
    expectError(() => convPoolGeometry(nhwc(i('global_pooling', 1)), 4, 0), 'enforce', /size_from_dim\(1\) > 0/);
  });
  it('in=4x4 c=0 k=1 -> enforce size_from_dim(1) > 0', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 1)), 4, 4, { c: 0 }), 'enforce', /size_from_dim\(1\) > 0/);
  });
  it('in=4x4 n=0 k=1 -> accepted (an empty batch is fine for conv/pool)', () => {
    expect(convPoolGeometry(nhwc(i('kernel', 1)), 4, 4, { n: 0, c: 3 }).outH).toBe(4);
  });
  it('order=foo -> enforce unknown storage order', () => {
    expectError(() => convPoolGeometry(conv(s('order', 'foo'), i('kernel', 1)), 4, 4), 'enforce', /Unknown storage order/);
  });
  it('order NCHW is accepted (the caller picks H and W)', () => {
    expect(convPoolGeometry(conv(i('kernel', 3)), 5, 5).outH).toBe(3);
  });
  it('stride=0 -> invalid (Caffe2 divides by zero)', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('stride', 0)), 5, 5), 'invalid', /stride 0 along H/);
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('stride', 0), i('legacy_pad', 2)), 5, 5), 'invalid', /stride 0/);
  });
  it('stride_h=1 stride_w=0 -> invalid on W', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('stride_h', 1), i('stride_w', 0)), 5, 5), 'invalid', /stride 0 along W/);
  });
  it('dilation=0 -> invalid', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('dilation', 0)), 5, 5), 'invalid', /dilation 0/);
  });
  it('legacy_pad=7 -> invalid (no such mode)', () => {
    expectError(() => convPoolGeometry(nhwc(i('kernel', 3), i('legacy_pad', 7)), 5, 5), 'invalid', /legacy_pad 7/);
  });
  it('kernels=[3] (one entry) -> enforce (std::out_of_range upstream)', () => {
    expectError(() => convPoolGeometry(nhwc(ints('kernels', [3])), 5, 5), 'enforce', /needs 2 kernel entries, got 1/);
  });
  it('kernels=[3] global_pooling=1 -> invalid', () => {
    expectError(() => convPoolGeometry(nhwc(ints('kernels', [3]), i('global_pooling', 1)), 5, 5), 'invalid', /got 1/);
  });
  it('kernels=[3,1,5] pads=[1,0,9,2,8,9] in=6x6 -> uses kernel [3,1], pads t=1 l=0 b=9 r=2', () => {
    // H: (6 + 1 + 9 - 3) + 1 = 14;  W: (6 + 0 + 2 - 1) + 1 = 8
    const g = convPoolGeometry(nhwc(ints('kernels', [3, 1, 5]), ints('pads', [1, 0, 9, 2, 8, 9])), 6, 6);
    expect(g.kernel).toEqual([3, 1]);
    expect(g.pads).toEqual([1, 0, 9, 2]);
    expect([g.outH, g.outW]).toEqual([14, 8]);
  });
  it('H is computed (and checked) before W', () => {
    // both dims fail the NOTSET enforce; H's message comes out
    expectError(() => convPoolGeometry(nhwc(i('kernel', 5)), 2, 3), 'enforce', /input H 2/);
  });
});

describe('parseConvTransposeArgs', () => {
  it('kernel=3 -> defaults stride 1, pads 0, adj 0, NCHW, group 1', () => {
    expect(tconv(i('kernel', 3))).toEqual({
      order: 'NCHW',
      kernel: [3, 3],
      stride: [1, 1],
      pads: [0, 0, 0, 0],
      adj: [0, 0],
      legacyPad: LegacyPadding.NOTSET,
      group: 1,
    });
  });
  it('no kernel -> enforce kernel_[0] > 0 at creation', () => expectError(() => tconv(NHWC), 'enforce', /kernel_\[0\] > 0 \(0 vs 0\)/));
  it('kernel_h=2 kernel_w=3 strides=[2,1] pads=[1,0,0,1] order=NHWC', () => {
    const a = tconv(i('kernel_h', 2), i('kernel_w', 3), ints('strides', [2, 1]), ints('pads', [1, 0, 0, 1]), NHWC);
    expect(a.kernel).toEqual([2, 3]);
    expect(a.stride).toEqual([2, 1]);
    expect(a.pads).toEqual([1, 0, 0, 1]);
    expect(a.order).toBe('NHWC');
  });
  it('adj=1 stride=2 -> [1,1]', () => expect(tconv(i('kernel', 3), i('stride', 2), i('adj', 1)).adj).toEqual([1, 1]));
  it('adj_h=1 adj_w=0 stride=2 -> [1,0]', () => expect(tconv(i('kernel', 3), i('stride', 2), i('adj_h', 1), i('adj_w', 0)).adj).toEqual([1, 0]));
  it('adj_h=1 alone -> default [0,0]', () => expect(tconv(i('kernel', 3), i('stride', 2), i('adj_h', 1)).adj).toEqual([0, 0]));
  it('adjs=[1,0] stride=2 -> [1,0]', () => expect(tconv(i('kernel', 3), i('stride', 2), ints('adjs', [1, 0])).adj).toEqual([1, 0]));
  it('adjs=[1,0] adj=1 -> the list wins', () => expect(tconv(i('kernel', 3), i('stride', 2), ints('adjs', [1, 0]), i('adj', 1)).adj).toEqual([1, 0]));
  it('adj=2 stride=2 -> accepted (adj <= stride)', () => expect(tconv(i('kernel', 3), i('stride', 2), i('adj', 2)).adj).toEqual([2, 2]));
  it('adj=3 stride=2 -> enforce adj_[0] <= stride_[0]', () => {
    expectError(() => tconv(i('kernel', 3), i('stride', 2), i('adj', 3)), 'enforce', /adj_\[0\] <= stride_\[0\] \(3 vs 2\)/);
  });
  it('adj=-1 -> enforce adj_[0] >= 0', () => expectError(() => tconv(i('kernel', 3), i('adj', -1)), 'enforce', /adj_\[0\] >= 0/));
  it('stride=0 -> enforce stride_[0] > 0', () => expectError(() => tconv(i('kernel', 3), i('stride', 0)), 'enforce', /stride_\[0\] > 0 \(0 vs 0\)/));
  it('kernel_h=2 kernel_w=-1 -> enforce kernel_[1] > 0', () => {
    expectError(() => tconv(i('kernel_h', 2), i('kernel_w', -1)), 'enforce', /kernel_\[1\] > 0/);
  });
  it('adjs=[1] -> enforce adj_.size() == kernel_.size()', () => {
    expectError(() => tconv(i('kernel', 3), i('stride', 2), ints('adjs', [1])), 'enforce', /adj_\.size\(\) == kernel_\.size\(\) \(1 vs 2\)/);
  });
  it('legacy_pad=1 pad=1 -> enforce', () => expectError(() => tconv(i('kernel', 3), i('legacy_pad', 1), i('pad', 1)), 'enforce', /legacy_pad VALID or SAME/));
  it('legacy_pad=2 pads=[...] -> enforce before the kernel check', () => {
    expectError(() => tconv(i('legacy_pad', 2), ints('pads', [0, 0, 0, 0])), 'enforce', /legacy_pad VALID or SAME/);
  });
  it('negative pads and dilation are accepted at creation (no dilation argument at all)', () => {
    const a = tconv(i('kernel', 3), i('pad', -1), i('dilation', 5));
    expect(a.pads).toEqual([-1, -1, -1, -1]);
    expect('dilation' in a).toBe(false);
  });
});

describe('convTransposeGeometry', () => {
  const t = (...args: Argument[]) => tconv(NHWC, ...args);
  it('in=5x5 k=3 s=2 p=1 adj=1 -> 10x10', () => {
    // (5 - 1)*2 + 3 + 1 - 1 - 1 = 10
    const g = convTransposeGeometry(t(i('kernel', 3), i('stride', 2), i('pad', 1), i('adj', 1)), 5, 5);
    expect([g.outH, g.outW]).toEqual([10, 10]);
    expect(g.pads).toEqual([1, 1, 1, 1]);
    expect(g.adj).toEqual([1, 1]);
  });
  it('in=4x4 k=2 s=2 -> 8x8', () => {
    // (4 - 1)*2 + 2 = 8
    const g = convTransposeGeometry(t(i('kernel', 2), i('stride', 2)), 4, 4);
    expect([g.outH, g.outW]).toEqual([8, 8]);
  });
  it('in=3x4 k=4x3 s=2x1 pads t=1 l=0 b=2 r=1 adj=1x0 -> 6x5', () => {
    // H: (3-1)*2 + 4 + 1 - 1 - 2 = 6;  W: (4-1)*1 + 3 + 0 - 0 - 1 = 5
    const g = convTransposeGeometry(
      t(i('kernel_h', 4), i('kernel_w', 3), i('stride_h', 2), i('stride_w', 1), ints('pads', [1, 0, 2, 1]), i('adj_h', 1), i('adj_w', 0)),
      3,
      4,
    );
    expect([g.outH, g.outW]).toEqual([6, 5]);
    expect(g.pads).toEqual([1, 0, 2, 1]);
  });
  it('in=4x4 k=3 s=2 adj=2 -> 11x11 (adj == stride)', () => {
    // (4-1)*2 + 3 + 2 = 11
    expect(convTransposeGeometry(t(i('kernel', 3), i('stride', 2), i('adj', 2)), 4, 4).outH).toBe(11);
  });
  it.each([
    [1, 'VALID'],
    [2, 'SAME'],
  ])('in=4x4 k=3 s=2 adj=1 legacy_pad=%i (%s) -> 10x10, pads 0', (lp) => {
    // (4-1)*2 + 3 + 1 = 10 for both modes
    const g = convTransposeGeometry(t(i('kernel', 3), i('stride', 2), i('adj', 1), i('legacy_pad', lp)), 4, 4);
    expect([g.outH, g.outW]).toEqual([10, 10]);
    expect(g.pads).toEqual([0, 0, 0, 0]);
  });
  it('legacy_pad=3 -> fatal (LOG(FATAL) upstream)', () => {
    expectError(() => convTransposeGeometry(t(i('kernel', 3), i('legacy_pad', 3)), 4, 4), 'fatal', /CAFFE_LEGACY_POOLING/);
  });
  it('legacy_pad=9 -> invalid', () => expectError(() => convTransposeGeometry(t(i('kernel', 3), i('legacy_pad', 9)), 4, 4), 'invalid', /legacy_pad 9/));
  it('pad_t=0 pad_l=0 pad_b=-1 pad_r=0 -> enforce pad_tail >= 0', () => {
    expectError(
      () => convTransposeGeometry(t(i('kernel', 3), i('pad_t', 0), i('pad_l', 0), i('pad_b', -1), i('pad_r', 0)), 4, 4),
      'enforce',
      /pad_tail >= 0 failed \(-1\)/,
    );
  });
  it('pad=-1 -> enforce pad_head >= 0', () => expectError(() => convTransposeGeometry(t(i('kernel', 3), i('pad', -1)), 4, 4), 'enforce', /pad_head >= 0/));
  it('in=1x1 k=1 pad=1 -> (0)*1 + 1 - 2 = -1 -> invalid', () => {
    expectError(() => convTransposeGeometry(t(i('kernel', 1), i('pad', 1)), 1, 1), 'invalid', /output size -1x-1/);
  });
  it('in=0x4 -> enforce numel > 0', () => expectError(() => convTransposeGeometry(t(i('kernel', 3)), 0, 4), 'enforce', /numel\(\) > 0/));
  it('in=4x4 n=0 -> enforce numel > 0 (an empty batch is refused here)', () => {
    expectError(() => convTransposeGeometry(t(i('kernel', 3)), 4, 4, { n: 0, c: 8 }), 'enforce', /numel\(\) > 0/);
  });
  it('order=foo -> fatal', () => {
    expectError(() => convTransposeGeometry(tconv(s('order', 'foo'), i('kernel', 3)), 4, 4), 'fatal', /Unknown storage order/);
  });
  it('kernels=[3] -> invalid', () => expectError(() => convTransposeGeometry(t(ints('kernels', [3])), 4, 4), 'invalid', /got 1/));
});

// ---- Cross-check with the golden nets ------------------------------------------------------------

const GOLDEN = '/work/shared/golden';
const CONV_POOL_TYPES = new Set([
  'Int8Conv',
  'Int8ConvRelu',
  'Int8MaxPool',
  'Int8MaxPoolRelu',
  'Int8AveragePool',
  'Int8AveragePoolRelu',
]);

interface GoldenCheck {
  caseName: string;
  opType: string;
  input: number[];
  expected: number[];
}

function collectGoldenChecks(): GoldenCheck[] {
  const checks: GoldenCheck[] = [];
  if (!existsSync(GOLDEN)) return checks;
  for (const caseName of readdirSync(GOLDEN).sort()) {
    const dir = join(GOLDEN, caseName);
    const files = ['case.json', 'predict_net.pb', 'init_net.pb'].map((f) => join(dir, f));
    if (!files.every((p) => existsSync(p))) continue;
    const info = JSON.parse(readFileSync(files[0]!, 'utf8')) as {
      expect_error: unknown;
      outputs: { name: string; shape: number[] }[];
    };
    if (info.expect_error !== null && info.expect_error !== undefined) continue;
    const predict = decodeBinary<NetDef>('NetDef', readFileSync(files[1]!));
    const ops = predict.op ?? [];
    if (ops.length !== 1) continue;
    const op = ops[0]!;
    if (op.engine) continue;
    if (!CONV_POOL_TYPES.has(op.type ?? '') && op.type !== 'Int8ConvTranspose') continue;
    const out = info.outputs.find((o) => o.name === op.output?.[0]);
    if (!out) continue;
    const init = decodeBinary<NetDef>('NetDef', readFileSync(files[2]!));
    const fill = (init.op ?? []).find((o) => o.type === 'Int8GivenTensorFill' && o.output?.[0] === op.input?.[0]);
    if (!fill) continue;
    const shape = new ArgumentHelper(fill.arg).getInts('shape', [], 'int64');
    checks.push({ caseName, opType: op.type!, input: shape, expected: out.shape });
  }
  return checks;
}

const goldenChecks = collectGoldenChecks();

function goldenOp(caseName: string) {
  const predict = decodeBinary<NetDef>('NetDef', readFileSync(join(GOLDEN, caseName, 'predict_net.pb')));
  return predict.op![0]!;
}

describe.skipIf(!existsSync(GOLDEN))('golden nets: output shapes', () => {
  it('finds single-op conv, pool and conv-transpose cases', () => {
    expect(goldenChecks.length).toBeGreaterThanOrEqual(30);
    expect(goldenChecks.some((c) => c.opType === 'Int8ConvTranspose')).toBe(true);
    expect(goldenChecks.some((c) => c.opType.includes('Pool'))).toBe(true);
  });

  it.each(goldenChecks.map((c) => [c.caseName, c] as const))('%s', (_name, c) => {
    const op = goldenOp(c.caseName);
    const args = new ArgumentHelper(op.arg);
    const [n, h, w, ch] = c.input as [number, number, number, number];
    expect(c.input).toHaveLength(4);
    if (op.type === 'Int8ConvTranspose') {
      const a = parseConvTransposeArgs(args);
      expect(a.order).toBe('NHWC');
      const g = convTransposeGeometry(a, h, w, { n, c: ch });
      expect([n, g.outH, g.outW]).toEqual(c.expected.slice(0, 3));
    } else {
      const a = parseConvPoolArgs(args, op.name ?? '');
      expect(a.order).toBe('NHWC');
      const g = convPoolGeometry(a, h, w, { n, c: ch });
      expect([n, g.outH, g.outW]).toEqual(c.expected.slice(0, 3));
      // pools keep the channel count
      if (op.type!.includes('Pool')) expect(c.expected[3]).toBe(ch);
    }
  });
});
