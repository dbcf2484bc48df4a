// Arguments and output sizes shared by the convolution and pooling ops (Caffe2's ConvPoolOpBase:
// Int8Conv, Int8ConvRelu, Int8MaxPool(+Relu), Int8AveragePool(+Relu), Int8ChannelShuffle) and by
// transposed convolution (Caffe2's ConvTransposeUnpoolBase: Int8ConvTranspose).
//
// The parsers mirror the operator constructors: which argument forms count, which wins when several
// are given, and the order in which the checks fail. The geometry functions mirror what happens
// when the op runs (RunOnDevice, SetOutputSize/GetOutputSize and ComputeSizeAndPad). Where Caffe2
// does not check something and would go on into undefined behaviour, we refuse with kind 'invalid'.
//
// Upstream references: caffe2/operators/conv_pool_op_base.h (the c10-era version),
// caffe2/operators/conv_transpose_unpool_op_base.h, caffe2/proto/caffe2_legacy.proto.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce } from '../src/errors.js';

/** How each ConvPoolOpBase / ConvTransposeUnpoolBase argument is stored on the wire (for the net builder). */
export const CONV_POOL_ARG_KINDS = {
  kernel: 'i', kernel_h: 'i', kernel_w: 'i', kernels: 'ints',
  stride: 'i', stride_h: 'i', stride_w: 'i', strides: 'ints',
  pad: 'i', pad_t: 'i', pad_l: 'i', pad_b: 'i', pad_r: 'i', pads: 'ints',
  dilation: 'i', dilation_h: 'i', dilation_w: 'i', dilations: 'ints',
  adj: 'i', adj_h: 'i', adj_w: 'i', adjs: 'ints',
  legacy_pad: 'i', group: 'i', order: 's', global_pooling: 'i', shared_buffer: 'i', float16_compute: 'i',
} as const;

/** caffe2_legacy.proto's LegacyPadding. Other values are accepted by the parsers, as upstream. */
export enum LegacyPadding {
  NOTSET = 0,
  VALID = 1,
  SAME = 2,
  CAFFE_LEGACY_POOLING = 3,
}

/** caffe2::StorageOrder. An unrecognised `order` string gives UNKNOWN (Caffe2 only logs it). */
export type StorageOrder = 'NCHW' | 'NHWC' | 'UNKNOWN';

/** StringToStorageOrder (caffe2/core/types.h): only these four spellings are recognised. */
export function parseStorageOrder(s: string): StorageOrder {
  if (s === 'NHWC' || s === 'nhwc') return 'NHWC';
  if (s === 'NCHW' || s === 'nchw') return 'NCHW';
  return 'UNKNOWN';
}

/**
 * The ConvPoolOpBase arguments after the constructor ran. The lists hold one entry per spatial
 * dimension (pads: all begins, then all ends), exactly as Caffe2 keeps them; for the 2-D ops that is
 * kernel [kh, kw], stride [sh, sw], dilation [dh, dw], pads [t, l, b, r]. Caffe2 does not insist on
 * two entries at construction time; convPoolGeometry does (see there).
 */
export interface ConvPoolArgs {
  /** Default 'NCHW' as upstream; the Int8 ops require 'NHWC' (their own OPERATOR_NEEDS_FEATURE). */
  readonly order: StorageOrder;
  /** [0, 0] when no kernel argument is given (global pooling fills it in from the input). */
  readonly kernel: readonly number[];
  /** Default 1 per dimension. */
  readonly stride: readonly number[];
  /** Default 1 per dimension. */
  readonly dilation: readonly number[];
  /** As given, before legacy_pad recomputes them; default 0. */
  readonly pads: readonly number[];
  readonly legacyPad: LegacyPadding;
  /** Default 1. */
  readonly group: number;
  readonly globalPooling: boolean;
}

/** The 2-D window an op actually uses for one input size. */
export interface Conv2dGeometry {
  /** [kh, kw]; the input's H and W under global pooling. */
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** [top, left, bottom, right], after legacy_pad; these are what Caffe2 hands to QNNPACK. */
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

/** The ConvTransposeUnpoolBase arguments after the constructor ran (same list layout as above). */
export interface ConvTransposeArgs {
  readonly order: StorageOrder;
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly pads: readonly number[];
  /** Output adjustment per dimension, default 0. */
  readonly adj: readonly number[];
  readonly legacyPad: LegacyPadding;
  readonly group: number;
}

export interface ConvTranspose2dGeometry {
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right]; zero under VALID and SAME. */
  pads: [number, number, number, number];
  adj: [number, number];
  outH: number;
  outW: number;
}

/**
 * Extents of the input other than H and W, for the "input is not empty" checks (default 1):
 * conv/pool checks H·W·C (an empty batch is fine there), transposed conv checks N·H·W·C.
 */
export interface InputExtent {
  n?: number;
  c?: number;
}

const PADS_WITH_LEGACY =
  'legacy_pad VALID or SAME computes the padding itself; explicit padding values (pads, pad, pad_t/pad_l/pad_b/pad_r) must not be given';

const PAD_NAMES = ['pad_t', 'pad_l', 'pad_b', 'pad_r'];

/** std::vector::resize: truncates, or appends `fill` up to n entries. */
function resizeTo(v: number[], n: number, fill: number): void {
  if (v.length > n) v.length = n;
  while (v.length < n) v.push(fill);
}

function enforceCmp(ok: boolean, expr: string, lhs: number, rhs: number, where: string, why?: string): void {
  enforce(ok, () => `${expr} (${lhs} vs ${rhs}) failed in ${where}${why ? `: ${why}` : ''}`);
}

function invalid(reason: string): never {
  throw new Caffe2Error(reason, {}, 'invalid');
}

function isFixedPadding(lp: number): boolean {
  return lp === LegacyPadding.VALID || lp === LegacyPadding.SAME;
}

/** The shared part of both constructors: the single-value and _h/_w argument forms. */
function readPairForm(args: ArgumentHelper, list: number[], single: string, h: string, w: string): void {
  // `resize(2, v)`: a list that already has two entries ignores the single value (and a longer
  // list is cut to two); the _h/_w pair is appended to whatever the list holds.
  if (args.has(single)) {
    resizeTo(list, 2, args.getInt(single, 0));
  } else if (args.has(h) && args.has(w)) {
    list.push(args.getInt(h, 0), args.getInt(w, 0));
  }
}

function readPadForms(args: ArgumentHelper, pads: number[], legacyPad: number): void {
  if (args.has('pad')) {
    enforce(!isFixedPadding(legacyPad), PADS_WITH_LEGACY);
    resizeTo(pads, 4, args.getInt('pad', 0));
  } else if (PAD_NAMES.every((n) => args.has(n))) {
    enforce(!isFixedPadding(legacyPad), PADS_WITH_LEGACY);
    for (const n of PAD_NAMES) pads.push(args.getInt(n, 0));
  }
}

/**
 * Reads the conv/pool arguments as ConvPoolOpBase's constructor does and runs its checks, in its
 * order. `opName` is OperatorDef.name (not the type): pads must be >= 0 and the kernel set when it
 * starts with "Conv" or contains "Pool".
 */
export function parseConvPoolArgs(args: ArgumentHelper, opName: string): ConvPoolArgs {
  const where = 'ConvPoolOpBase constructor';
  // Reads in member order (each may throw for a wrong field or an out-of-range int).
  const legacyPad = args.getInt('legacy_pad', LegacyPadding.NOTSET) as LegacyPadding;
  const globalPooling = args.getInt('global_pooling', 0) !== 0;
  const kernel = args.getInts('kernels');
  const dilation = args.getInts('dilations');
  const stride = args.getInts('strides');
  const pads = args.getInts('pads');
  args.getBool('float16_compute', false); // read (and type-checked) upstream, unused by the int8 ops
  const group = args.getInt('group', 1);
  const order = parseStorageOrder(args.getString('order', 'NCHW'));
  args.getInt('shared_buffer', 0); // likewise read upstream, unused here

  // Only the `pads` list is refused here; `pad`/`pad_*` are refused where they are read below.
  if (isFixedPadding(legacyPad)) enforce(!args.has('pads'), PADS_WITH_LEGACY);

  readPairForm(args, kernel, 'kernel', 'kernel_h', 'kernel_w');
  readPairForm(args, stride, 'stride', 'stride_h', 'stride_w');
  readPairForm(args, dilation, 'dilation', 'dilation_h', 'dilation_w');
  readPadForms(args, pads, legacyPad);

  if (kernel.length === 0) kernel.push(0, 0);
  if (stride.length === 0) resizeTo(stride, kernel.length, 1);
  if (pads.length === 0) resizeTo(pads, 2 * kernel.length, 0);
  if (dilation.length === 0) resizeTo(dilation, kernel.length, 1);

  const k = kernel.length;
  enforceCmp(stride.length === k, 'stride_.size() == kernel_.size()', stride.length, k, where);
  enforceCmp(dilation.length === k, 'dilation_.size() == kernel_.size()', dilation.length, k, where);
  if (!isFixedPadding(legacyPad)) {
    enforceCmp(pads.length === 2 * k, 'pads_.size() == 2 * kernel_.size()', pads.length, 2 * k, where);
  }

  if (globalPooling) {
    for (let d = 0; d < k; d++) {
      // Upstream indexes pads as [2d, 2d+1] here (not [d, k+d]); for 2-D that still covers all four.
      enforce(
        pads[2 * d] === 0 && pads[2 * d + 1] === 0 && dilation[d] === 1 && stride[d] === 1,
        'global_pooling is set, so pads must be 0 and stride and dilation must be 1',
      );
    }
  }

  // ConvPoolOpBase constructor: this check depends on the op *name*, not its type (PadImage and
  // other non-conv ops share the base); an unnamed Int8Conv skips it.
  if (opName.startsWith('Conv') || opName.includes('Pool')) {
    for (let d = 0; d < k; d++) {
      enforceCmp(pads[d]! >= 0, `pads_[${d}] >= 0`, pads[d]!, 0, where);
      enforceCmp(pads[k + d]! >= 0, `pads_[${k + d}] >= 0`, pads[k + d]!, 0, where);
      enforce(kernel[d] !== 0, `op "${opName}" is a convolution or pooling by its name, so the kernel size must be given explicitly (kernel_[${d}] is 0)`);
    }
  }

  for (let d = 0; d < k; d++) {
    enforceCmp(kernel[d]! >= 0, `kernel_[${d}] >= 0`, kernel[d]!, 0, where);
    enforceCmp(dilation[d]! >= 0, `dilation_[${d}] >= 0`, dilation[d]!, 0, where);
    enforceCmp(stride[d]! >= 0, `stride_[${d}] >= 0`, stride[d]!, 0, where);
  }
  // The latest upstream no longer refuses group != 1 together with dilation != 1 (older versions did).

  return { order, kernel, stride, dilation, pads, legacyPad, group, globalPooling };
}

/**
 * ConvPoolOpBase::RunOnDevice's first check: every kernel entry > 0 unless global pooling is set.
 * Ops call this at the very start of a run (Int8ChannelShuffle needs it too: it inherits the check
 * although it has no window). convPoolGeometry runs it as well.
 */
export function checkConvPoolKernel(a: ConvPoolArgs): void {
  if (a.globalPooling) return;
  a.kernel.forEach((k, d) => {
    enforceCmp(k > 0, `kernel_[${d}] > 0`, k, 0, 'ConvPoolOpBase::RunOnDevice', 'convolution and pooling need a kernel size (argument kernel, kernels or kernel_h + kernel_w)');
  });
}

interface DimResult {
  out: number;
  head: number;
  tail: number;
}

const f32 = Math.fround;

/** static_cast<int>(static_cast<float>(num) / stride + 1), all float32 as in C++. */
function floatOutSize(num: number, stride: number): number {
  return Math.trunc(f32(f32(f32(num) / f32(stride)) + 1));
}

/** C++ integer division (truncates toward zero). */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** ConvPoolOpBase::ComputeSizeAndPad for one spatial dimension. */
function computeSizeAndPad(
  dimName: string,
  inSize: number,
  stride: number,
  kernel: number,
  dilation: number,
  legacyPad: LegacyPadding,
  head: number,
  tail: number,
): DimResult {
  const where = 'ConvPoolOpBase::ComputeSizeAndPad';
  const needPositiveStride = (): void => {
    // Caffe2 only checks stride >= 0 and dilation >= 0; a zero stride divides by zero there (a
    // float division cast to int, or an integer division that traps), and a zero dilation reaches
    // QNNPACK, which refuses it or computes a different output size.
    if (stride <= 0) invalid(`stride ${stride} along ${dimName} must be > 0 (Caffe2 does not check and divides by zero)`);
    if (dilation <= 0) invalid(`dilation ${dilation} along ${dimName} must be > 0 (Caffe2 does not check)`);
  };
  const dk = dilation * (kernel - 1) + 1;
  switch (legacyPad) {
    case LegacyPadding.NOTSET: {
      enforceCmp(inSize + head + tail >= dk, 'in_size + pad_head + pad_tail >= dilated kernel', inSize + head + tail, dk, where, `input ${dimName} ${inSize} with pads ${head}+${tail} is smaller than the ${dk}-wide (dilated) kernel`);
      needPositiveStride();
      return { out: floatOutSize(inSize + head + tail - dk, stride), head, tail };
    }
    case LegacyPadding.VALID: {
      needPositiveStride();
      return { out: idiv(inSize - dk, stride) + 1, head: 0, tail: 0 };
    }
    case LegacyPadding.SAME: {
      enforce(dilation === 1, `legacy_pad SAME does not support dilation (dilation ${dilation} along ${dimName})`);
      needPositiveStride();
      const target = idiv(inSize + stride - 1, stride);
      const needed = (target - 1) * stride + kernel - inSize;
      // Caffe2 pads the tail more when `needed` is odd (CAFFE2_PAD_HEAD_MORE is false); with a
      // kernel smaller than the stride `needed` can be negative, and the division truncates.
      const h = idiv(needed, 2);
      return { out: idiv(inSize + needed - dk, stride) + 1, head: h, tail: needed - h };
    }
    case LegacyPadding.CAFFE_LEGACY_POOLING: {
      enforceCmp(head >= 0, 'pad_head >= 0', head, 0, where);
      needPositiveStride();
      // Caffe's rounding: ceil instead of Caffe2's trunc, on the undilated kernel, only the head pad.
      const num = inSize + 2 * head - kernel;
      let out = Math.ceil(f32(f32(f32(num) / f32(stride)) + 1));
      // Caffe drops a last window that would start inside the padding rather than the image.
      if (head > 0 && (out - 1) * stride >= inSize + head) out--;
      const standard = floatOutSize(num, stride);
      // Reachable, e.g. when the head pad is at least the kernel: Caffe2 then throws.
      enforceCmp(out >= standard, 'Caffe output size >= Caffe2 output size', out, standard, where, 'CAFFE_LEGACY_POOLING computed an output smaller than the standard one');
      return { out, head, tail: head + stride * (out - standard) };
    }
    default:
      // Any other legacy_pad value matches no case upstream: the output size stays 0.
      return invalid(`legacy_pad ${String(legacyPad)} is not a LegacyPadding value (Caffe2 leaves the output size at 0)`);
  }
}

function checkNoUndefinedWindow(what: string, outH: number, outW: number, pads: readonly number[]): void {
  // Caffe2 would allocate this output and hand negative pads to QNNPACK as huge unsigned values,
  // which computes its own, different output size: undefined behaviour, so refuse.
  if (outH <= 0 || outW <= 0) invalid(`${what} output size ${outH}x${outW} is not positive (Caffe2 does not check)`);
  if (pads.some((p) => p < 0)) invalid(`${what} padding [${pads.join(', ')}] is negative (Caffe2 does not check; QNNPACK reads it as unsigned)`);
}

/**
 * What a conv/pool run computes from the input's H and W: the RunOnDevice kernel check, the
 * SetOutputSize "input not empty" check (H·W·C > 0; pass `extent.c` to include C as upstream), then
 * global pooling (kernel = H, W; output 1x1) or ComputeSizeAndPad for H, then W.
 */
export function convPoolGeometry(a: ConvPoolArgs, inH: number, inW: number, extent: InputExtent = {}): Conv2dGeometry {
  checkConvPoolKernel(a);
  enforce(a.order !== 'UNKNOWN', 'Unknown storage order: the order argument must be NHWC or NCHW');
  const c = extent.c ?? 1;
  enforceCmp(inH * inW * c > 0, 'input.size_from_dim(1) > 0', inH * inW * c, 0, 'ConvPoolOpBase::SetOutputSize', 'the input has no elements per batch item');

  const k = a.kernel.length;
  // InferOutputSize indexes with at(): with fewer than two entries Caffe2 throws std::out_of_range,
  // except under global pooling, where it copies H and W past the end of the kernel vector.
  if (k < 2) {
    const msg = `a 2-D ${a.globalPooling ? 'global pooling' : 'convolution or pooling'} needs 2 kernel entries, got ${k}`;
    if (a.globalPooling) invalid(`${msg} (Caffe2 writes past the end of its kernel vector)`);
    throw new Caffe2Error(`${msg} (std::out_of_range in ConvPoolOpBase::InferOutputSize)`);
  }
  // With more than two entries a 2-D op uses the first two, and pads [0], [1] as heads and
  // [2], [3] as tails, as InferOutputSize and the pad_t()/pad_l()/pad_b()/pad_r() accessors do.
  const stride: [number, number] = [a.stride[0]!, a.stride[1]!];
  const dilation: [number, number] = [a.dilation[0]!, a.dilation[1]!];
  if (a.globalPooling) {
    const pads: [number, number, number, number] = [a.pads[0]!, a.pads[1]!, a.pads[2]!, a.pads[3]!];
    return { kernel: [inH, inW], stride, dilation, pads, outH: 1, outW: 1 };
  }
  const kernel: [number, number] = [a.kernel[0]!, a.kernel[1]!];
  const h = computeSizeAndPad('H', inH, stride[0], kernel[0], dilation[0], a.legacyPad, a.pads[0]!, a.pads[2]!);
  const w = computeSizeAndPad('W', inW, stride[1], kernel[1], dilation[1], a.legacyPad, a.pads[1]!, a.pads[3]!);
  const pads: [number, number, number, number] = [h.head, w.head, h.tail, w.tail];
  checkNoUndefinedWindow('convolution/pooling', h.out, w.out, pads);
  return { kernel, stride, dilation, pads, outH: h.out, outW: w.out };
}

/**
 * Reads the transposed-convolution arguments as ConvTransposeUnpoolBase's constructor does and runs
 * its checks, in its order. There are no dilation arguments; kernel > 0, stride > 0 and
 * 0 <= adj <= stride are checked here, at creation.
 */
export function parseConvTransposeArgs(args: ArgumentHelper): ConvTransposeArgs {
  const where = 'ConvTransposeUnpoolBase constructor';
  const legacyPad = args.getInt('legacy_pad', LegacyPadding.NOTSET) as LegacyPadding;
  const kernel = args.getInts('kernels');
  const stride = args.getInts('strides');
  const pads = args.getInts('pads');
  const adj = args.getInts('adjs');
  const group = args.getInt('group', 1);
  const order = parseStorageOrder(args.getString('order', 'NCHW'));
  args.getInt('shared_buffer', 0); // read (and type-checked) upstream, unused here

  if (isFixedPadding(legacyPad)) enforce(!args.has('pads'), PADS_WITH_LEGACY);

  readPairForm(args, kernel, 'kernel', 'kernel_h', 'kernel_w');
  readPairForm(args, stride, 'stride', 'stride_h', 'stride_w');
  readPairForm(args, adj, 'adj', 'adj_h', 'adj_w');
  readPadForms(args, pads, legacyPad);

  if (kernel.length === 0) kernel.push(0, 0);
  if (stride.length === 0) resizeTo(stride, kernel.length, 1);
  if (pads.length === 0) resizeTo(pads, 2 * kernel.length, 0);
  if (adj.length === 0) resizeTo(adj, kernel.length, 0);

  const k = kernel.length;
  enforceCmp(stride.length === k, 'stride_.size() == kernel_.size()', stride.length, k, where);
  enforceCmp(adj.length === k, 'adj_.size() == kernel_.size()', adj.length, k, where);
  if (!isFixedPadding(legacyPad)) {
    enforceCmp(pads.length === 2 * k, 'pads_.size() == 2 * kernel_.size()', pads.length, 2 * k, where);
  }
  for (let d = 0; d < k; d++) {
    enforceCmp(kernel[d]! > 0, `kernel_[${d}] > 0`, kernel[d]!, 0, where);
    enforceCmp(stride[d]! > 0, `stride_[${d}] > 0`, stride[d]!, 0, where);
    enforceCmp(adj[d]! >= 0, `adj_[${d}] >= 0`, adj[d]!, 0, where);
    // ConvTransposeUnpoolBase constructor: adj may equal the stride (the check is <=, not <).
    enforceCmp(adj[d]! <= stride[d]!, `adj_[${d}] <= stride_[${d}]`, adj[d]!, stride[d]!, where);
  }
  return { order, kernel, stride, pads, adj, legacyPad, group };
}

/** ConvTransposeUnpoolBase::ComputeSizeAndPad for one spatial dimension. */
function computeTransposeSizeAndPad(inSize: number, stride: number, kernel: number, adj: number, legacyPad: LegacyPadding, head: number, tail: number): DimResult {
  switch (legacyPad) {
    case LegacyPadding.NOTSET:
      enforce(head >= 0, `pad_head >= 0 failed (${head}) in ConvTransposeUnpoolBase::ComputeSizeAndPad`);
      enforce(tail >= 0, `pad_tail >= 0 failed (${tail}) in ConvTransposeUnpoolBase::ComputeSizeAndPad`);
      return { out: (inSize - 1) * stride + kernel + adj - head - tail, head, tail };
    case LegacyPadding.VALID:
    case LegacyPadding.SAME:
      // ConvTransposeUnpoolBase::ComputeSizeAndPad treats SAME exactly like VALID: no padding.
      return { out: (inSize - 1) * stride + kernel + adj, head: 0, tail: 0 };
    case LegacyPadding.CAFFE_LEGACY_POOLING:
      throw new Caffe2Error('legacy_pad CAFFE_LEGACY_POOLING is not supported by transposed convolution (LOG(FATAL) in ConvTransposeUnpoolBase::ComputeSizeAndPad)', {}, 'fatal');
    default:
      return invalid(`legacy_pad ${String(legacyPad)} is not a LegacyPadding value (Caffe2 leaves the output size at 0)`);
  }
}

/**
 * ConvTransposeUnpoolBase::GetOutputSize for a 2-D input: the input must not be empty (N·H·W·C > 0;
 * pass `extent` to include N and C as upstream), then H, then W:
 * out = (in - 1)·stride + kernel + adj - pad_head - pad_tail.
 */
export function convTransposeGeometry(a: ConvTransposeArgs, inH: number, inW: number, extent: InputExtent = {}): ConvTranspose2dGeometry {
  const numel = (extent.n ?? 1) * inH * inW * (extent.c ?? 1);
  enforceCmp(numel > 0, 'input.numel() > 0', numel, 0, 'ConvTransposeUnpoolBase::GetOutputSize', 'the input is empty');
  // Upstream switches on the order with LOG(FATAL) for anything but NHWC/NCHW.
  if (a.order === 'UNKNOWN') throw new Caffe2Error('Unknown storage order: the order argument must be NHWC or NCHW', {}, 'fatal');
  // GetOutputSize indexes [0] and [1] without bounds checks.
  if (a.kernel.length < 2) invalid(`a 2-D transposed convolution needs 2 kernel entries, got ${a.kernel.length} (Caffe2 reads past the end)`);
  const kernel: [number, number] = [a.kernel[0]!, a.kernel[1]!];
  const stride: [number, number] = [a.stride[0]!, a.stride[1]!];
  const adj: [number, number] = [a.adj[0]!, a.adj[1]!];
  const h = computeTransposeSizeAndPad(inH, stride[0], kernel[0], adj[0], a.legacyPad, a.pads[0]!, a.pads[2]!);
  const w = computeTransposeSizeAndPad(inW, stride[1], kernel[1], adj[1], a.legacyPad, a.pads[1]!, a.pads[3]!);
  const pads: [number, number, number, number] = [h.head, w.head, h.tail, w.tail];
  checkNoUndefinedWindow('transposed convolution', h.out, w.out, pads);
  return { kernel, stride, pads, adj, outH: h.out, outW: w.out };
}
