// Int8ConvPackWeight and Int8FCPackWeight, engine DNNLOWP (caffe2/quantization/server/
// fbgemm_pack_op.cc, fbgemm_pack_op.h, fbgemm_pack_blob.h), and the weight/bias helpers that
// file shares with the DNNLOWP conv and FC ops: QuantizeWeight (weights become signed int8 with
// zero point - 128), ComputeColumnOffsets, QuantizeConvBias, and the fast-path predicates that
// decide which packed form FBGEMM gets.
//
// The packed blob keeps what the pack op computed (qparams, the signed weights, column offsets,
// the int32 bias) and which FBGEMM packed form was built; the arithmetic of every form is the
// same up to the int16 pair saturation, which the conv op models from the path it takes.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce } from '../src/errors.js';
import type { Isa, OperatorSpec, OpIO } from '../src/operator.js';
import {
  chooseParamsForRange,
  findMinMax,
  quantizeBiasValue,
  quantizeValues,
  type QuantParams,
} from '../src/quant/fbgemm.js';
import { f32 } from '../src/quant/float32.js';
import { blobTypeName, checkAllocation, Int8Tensor, Tensor, type BlobValue, type OpaqueBlob } from '../src/tensor.js';
import { CONV_POOL_ARG_KINDS, parseConvPoolArgs, type ConvPoolArgs } from './conv-pool-args.js';
import { FACTORY_ARG_KINDS, quantizationFactoryOf, requireFiniteRange, requireMinMaxWeights, typeMismatch, type DnnlowpFactory } from './dnnlowp-quantize.js';

// ---------------------------------------------------------------------------------------------
// Packed blobs
// ---------------------------------------------------------------------------------------------

/** Which FBGEMM object the conv pack op built (PackedDepthWiseConvMatrix, PackWeightMatrixForGConv, PackBMatrix). */
export type ConvPackForm = 'depthwise3x3' | 'gconv' | 'gemm';

/** What both pack ops compute. Zero points are the signed ones (unsigned - 128). */
export interface DnnlowpPackedWeights extends OpaqueBlob {
  /** original_tensor's shape (the weight blob's dims). */
  readonly dims: readonly number[];
  /** One per tensor, per quantization group (conv quantize_groupwise) or per output row (FC quantize_channelwise). */
  readonly qparams: readonly QuantParams[];
  /** The signed int8 weights, in the weight blob's own layout. */
  readonly weights: Int8Array;
  /** column_offsets[m] = Σ_k w[m][k] - zero_point · K. */
  readonly columnOffsets: Int32Array;
  /** The int32 bias quantized with the in_scale argument, or null when no bias was packed. */
  readonly bias: Int32Array | null;
  /** The in_scale argument the bias was quantized with (null without a bias). */
  readonly inScale: number | null;
}

export class Int8ConvDNNLowPPackedWeightBlob implements DnnlowpPackedWeights {
  readonly typeName = 'Int8ConvDNNLowPPackedWeightBlob';
  constructor(
    readonly dims: readonly number[],
    readonly qparams: readonly QuantParams[],
    readonly weights: Int8Array,
    readonly columnOffsets: Int32Array,
    readonly bias: Int32Array | null,
    readonly inScale: number | null,
    readonly form: ConvPackForm,
  ) {}
}

export class Int8FCDNNLowPPackedWeightBlob implements DnnlowpPackedWeights {
  readonly typeName = 'Int8FCDNNLowPPackedWeightBlob';
  constructor(
    readonly dims: readonly number[],
    readonly qparams: readonly QuantParams[],
    readonly weights: Int8Array,
    readonly columnOffsets: Int32Array,
    readonly bias: Int32Array | null,
    readonly inScale: number | null,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

/** A weight input as QuantizeWeight reads it: an Int8TensorCPU (uint8) or a float tensor. */
export type WeightInput =
  | { kind: 'int8'; dims: readonly number[]; tensor: Int8Tensor }
  | { kind: 'float'; dims: readonly number[]; tensor: Tensor };

/** InputTensorCPU_ for a weight that is not packed: an Int8TensorCPU's tensor, or a tensor. */
export function weightInput(io: OpIO, i: number): WeightInput {
  const v = io.input(i);
  if (v instanceof Int8Tensor) return { kind: 'int8', dims: v.dims, tensor: v };
  if (v instanceof Tensor) return { kind: 'float', dims: v.dims, tensor: v };
  throw io.wrongTypeError(i, 'Tensor', v);
}

/**
 * Input 1 of a DNNLOWP conv or FC: the op's own kind of packed blob, or weights (float or Int8)
 * it quantizes itself on the first run. The other op's packed blob is refused with a hint.
 */
export function packedOrPlainWeight<P extends DnnlowpPackedWeights>(
  io: OpIO,
  own: abstract new (...args: never[]) => P,
  otherPackedHint: string,
): { packed: P | null; dims: readonly number[] } {
  const w = io.input(1);
  if (w instanceof own) return { packed: w, dims: w.dims };
  if (w instanceof Int8Tensor || w instanceof Tensor) return { packed: null, dims: w.dims };
  const isOtherPacked = w instanceof Int8ConvDNNLowPPackedWeightBlob || w instanceof Int8FCDNNLowPPackedWeightBlob;
  throw io.wrongTypeError(1, isOtherPacked ? `Tensor (${otherPackedHint})` : 'Tensor');
}

/**
 * QuantizeWeight (fbgemm_pack_op.cc): an Int8 tensor keeps its scale, with w - 128 and
 * zero_point - 128; float weights get ChooseQuantizationParams over each group's min/max
 * (asymmetric unsigned, then zero_point - 128) and fbgemm::Quantize<int8_t>'s FMA rounding.
 * numGroups > 1 splits the first M·kernelDim values into that many contiguous blocks.
 */
export function quantizeWeight(
  io: OpIO,
  i: number,
  w: WeightInput,
  kernelDim: number,
  m: number,
  numGroups: number,
  factory: DnnlowpFactory,
  groupsArg: string,
): { qparams: QuantParams[]; weights: Int8Array } {
  const blob = io.inputName(i);
  const numel = w.tensor.size;
  const weights = new Int8Array(numel);
  if (w.kind === 'int8') {
    if (numGroups > 1) {
      // Upstream sets only qparams[0] from the tensor and leaves the other groups' scale and
      // zero point zero-initialized, then divides by them.
      throw new Caffe2Error(
        `${groupsArg}=1 with pre-quantized Int8 weights is broken in Caffe2: only the first group's scale and zero point are set and the other ${numGroups - 1} stay zero; quantize per tensor, or give float weights`,
        { blob },
        'invalid',
      );
    }
    if (w.tensor.dtype !== 'uint8') throw typeMismatch(io, i, 'uint8', w.tensor.dtype);
    const src = w.tensor.data as Uint8Array;
    for (let k = 0; k < numel; k++) weights[k] = src[k]! - 128;
    return { qparams: [{ scale: w.tensor.scale, zeroPoint: w.tensor.zeroPoint - 128 }], weights };
  }
  if (w.tensor.dtype !== 'float32') throw typeMismatch(io, i, 'float32', w.tensor.dtype);
  requireMinMaxWeights(factory, blob);
  const rowsPerGroup = Math.trunc(m / numGroups);
  const len = rowsPerGroup * kernelDim;
  if (numGroups * len > numel) {
    throw new Caffe2Error(`weights ${shape(w.dims)} hold ${numel} values, fewer than the ${numGroups * len} the quantization reads (M = ${m}, K = ${kernelDim})`, { blob }, 'invalid');
  }
  // One qparams entry per group (per output row for FC quantize_channelwise): an empty W may
  // name billions of rows, so bound the table (float scale, int32 zero point, int32 precision,
  // as TensorQuantizationParams) before building it.
  checkAllocation('int32', [numGroups, 3], io.options.maxTensorBytes);
  const src = w.tensor.data as Float32Array;
  const qparams: QuantParams[] = [];
  for (let g = 0; g < numGroups; g++) {
    const offset = g * len;
    const { min, max } = findMinMax(src, offset, len);
    requireFiniteRange(min, max, blob, 'weight tensor');
    const q = chooseParamsForRange(factory, min, max, true);
    // chosen for uint8; the stored weights are int8
    const signed = { scale: q.scale, zeroPoint: q.zeroPoint - 128 };
    quantizeValues(src, offset, weights, offset, len, signed, -128, 127);
    qparams.push(signed);
  }
  return { qparams, weights };
}

/**
 * ComputeColumnOffsets: Σ_k W[j][k] - zero_point_g · K per output row, in int32. The table has M
 * entries even when W is empty (K = 0), so an empty W with a huge first dim is refused through
 * checkAllocation (maxBytes) rather than allocated.
 */
export function computeColumnOffsets(kernelDim: number, m: number, weights: Int8Array, qparams: readonly QuantParams[], maxBytes?: number): Int32Array {
  const out = new Int32Array(checkAllocation('int32', [m], maxBytes));
  const per = Math.trunc(m / qparams.length);
  for (let g = 0; g < qparams.length; g++) {
    for (let j = g * per; j < (g + 1) * per; j++) {
      let sum = 0;
      for (let k = 0; k < kernelDim; k++) sum += weights[j * kernelDim + k]!;
      out[j] = (sum - qparams[g]!.zeroPoint * kernelDim) | 0;
    }
  }
  return out;
}

/**
 * The Int8 bias checks: its scale must be in_scale · w_scale[0] within 1e-4 (float arithmetic,
 * as the CAFFE_ENFORCE_LE computes it) and its zero point 0.
 */
export function checkInt8Bias(io: OpIO, i: number, b: Int8Tensor, inScale: number, weightScale: number, checkScale = true): void {
  const blob = io.inputName(i);
  if (checkScale) {
    const diff = Math.abs(f32(b.scale - f32(inScale * weightScale)));
    enforce(diff <= 1e-4, () => `Check failed: std::abs(bias_qparams.scale - in_qparams.scale * filter_qparams[0].scale) <= 1e-4 (${diff} vs 0.0001): the int32 bias has scale ${b.scale}, but input scale x weight scale is ${f32(inScale * weightScale)}`, { blob });
  }
  enforce(b.zeroPoint === 0, () => `Check failed: bias_qparams.zero_point == 0 (${b.zeroPoint} vs 0)`, { blob });
  if (b.dtype !== 'int32') throw typeMismatch(io, i, 'int32', b.dtype);
}

/**
 * A float bias quantized per group: Quantize<int32_t>(b[i], 0, float(in_scale · w_scale_g), 32)
 * for the rows of each group (QuantizeConvBias / QuantizeBias_). The result has the bias's own
 * length; rows outside the groups stay 0.
 */
export function quantizeFloatBias(b: Float32Array, m: number, inScale: number, numGroups: number, groupScale: (g: number) => number): Int32Array {
  const out = new Int32Array(b.length);
  const per = Math.trunc(m / numGroups);
  for (let g = 0; g < numGroups; g++) {
    const scale = f32(inScale * groupScale(g));
    for (let i = g * per; i < (g + 1) * per; i++) out[i] = quantizeBiasValue(b[i]!, scale);
  }
  return out;
}

/** QuantizeConvBias as the pack ops call it (in_scale from the argument). */
function packBias(io: OpIO, i: number, m: number, inScale: number, qparams: readonly QuantParams[]): Int32Array {
  const v = io.input(i);
  const blob = io.inputName(i);
  if (v instanceof Int8Tensor) {
    checkInt8Bias(io, i, v, inScale, qparams[0]!.scale);
    return Int32Array.from(v.data as Int32Array);
  }
  if (!(v instanceof Tensor)) {
    throw new Caffe2Error(`wrong type for the Blob instance. Blob contains ${blobTypeName(v)} while caller expects Tensor`, { blob });
  }
  if (v.dtype !== 'float32') throw typeMismatch(io, i, 'float32', v.dtype);
  if (v.size < m) {
    throw new Caffe2Error(`bias has ${v.size} values but there are ${m} output channels (Caffe2 writes past the end of its bias buffer)`, { blob }, 'invalid');
  }
  return quantizeFloatBias(v.data as Float32Array, m, inScale, qparams.length, (g) => qparams[g]!.scale);
}

function readInScale(io: OpIO, args: { hasSingle(n: string, f: 'f'): boolean; getFloat(n: string, d: number): number }): number {
  enforce(args.hasSingle('in_scale', 'f'), 'Enforce failed: HasSingleArgumentOfType<float>("in_scale"): a packed bias needs the input scale as a float argument in_scale', {
    blob: io.inputName(1),
  });
  return f32(args.getFloat('in_scale', 0));
}

function shape(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

// ---------------------------------------------------------------------------------------------
// Fast-path predicates (shared with the conv op)
// ---------------------------------------------------------------------------------------------

/** The 2-D window values the path predicates look at. pads are [t, l, b, r]. */
export interface ConvWindowArgs {
  kernel: readonly number[];
  stride: readonly number[];
  dilation: readonly number[];
  pads: readonly number[];
}

/** TakeDepthWise3x3FastPath_ without the channel test: 3x3, equal strides 1 or 2, dilation 1, pads 1. */
export function depthwise3x3Window(a: ConvWindowArgs): boolean {
  return (
    a.kernel.length === 2 &&
    a.kernel[0] === 3 &&
    a.kernel[1] === 3 &&
    a.stride[0] === a.stride[1] &&
    (a.stride[0] === 1 || a.stride[0] === 2) &&
    a.dilation[0] === 1 &&
    a.dilation[1] === 1 &&
    a.pads[0] === 1 &&
    a.pads[1] === 1 &&
    a.pads[2] === 1 &&
    a.pads[3] === 1
  );
}

/**
 * fbgemm::fbgemmOptimizedGConv for a 2-D conv_param_t (FbgemmConv.cc, v0.6.0). Caffe2 builds the
 * conv_param_t without dilation, so dilation is not looked at. G_together comes from
 * PackWeightMatrixForGConv::numOfGroupsTogether: 64-byte lanes on AVX512 CPUs, 32 on AVX2.
 */
export function gconvFastPath(c: number, m: number, g: number, a: ConvWindowArgs, isa: Isa): boolean {
  if (a.kernel.length !== 2) return false;
  const cPerG = Math.trunc(c / g);
  const mPerG = Math.trunc(m / g);
  const simdBytes = isa === 'vnni' ? 64 : 32;
  const gTogether = Math.max(Math.trunc(Math.trunc(simdBytes / mPerG) / Math.max(cPerG, 4)), 1);
  return (
    cPerG === mPerG &&
    (cPerG === 2 || cPerG === 4 || cPerG === 8 || cPerG === 16) &&
    g >= gTogether &&
    a.kernel.every((k) => k === 3) &&
    a.pads.slice(0, 4).every((p) => p === 1) &&
    (a.stride.every((s) => s === 1) || a.stride.every((s) => s === 2))
  );
}

// ---------------------------------------------------------------------------------------------
// Int8ConvPackWeight
// ---------------------------------------------------------------------------------------------

/** The packed form ConvDNNLowPPackWeightOp builds for these weights and arguments. */
function convPackForm(conv: ConvPoolArgs, m: number, cPerGroup: number, isa: Isa): ConvPackForm {
  const g = conv.group;
  if (conv.kernel.length !== 2) return 'gemm';
  if (g === m && cPerGroup === 1 && g % 8 === 0 && depthwise3x3Window(conv)) return 'depthwise3x3';
  // GetConvParam_: fbgemm's conv_param_t constructor checks the group divisibility.
  if (m % g !== 0) {
    throw new Caffe2Error(`groups = ${g} does not divide number of output channels = ${m} (fbgemm conv_param_t)`);
  }
  if (conv.stride.slice(0, 2).some((s) => s <= 0)) {
    throw new Caffe2Error(`stride [${conv.stride.join(',')}] must be positive (fbgemm's conv_param_t divides by it)`, {}, 'invalid');
  }
  return gconvFastPath(cPerGroup * g, m, g, conv, isa) ? 'gconv' : 'gemm';
}

const PACK_ARG_KINDS = { in_scale: 'f', save_unpacked_weights: 'i', ...FACTORY_ARG_KINDS } as const;

const int8ConvPackWeight: OperatorSpec = {
  type: 'Int8ConvPackWeight',
  engine: 'DNNLOWP',
  summary:
    'quantizes conv weights (KRSC) to signed int8 (min/max qparams per tensor or per group, 6.1e-5 scale floor) and a bias with in_scale, into an Int8ConvDNNLowPPackedWeightBlob',
  schema: { minInputs: 1, maxInputs: 2, minOutputs: 1, maxOutputs: 1 },
  argKinds: { ...CONV_POOL_ARG_KINDS, ...PACK_ARG_KINDS, quantize_groupwise: 'i' },
  create({ def, args }) {
    const conv = parseConvPoolArgs(args, def.name ?? '');
    const factory = quantizationFactoryOf(args, 'Int8ConvPackWeight');
    args.getBool('save_unpacked_weights', false); // only changes what original_tensor holds
    const groupwise = args.getBool('quantize_groupwise', false);
    return {
      run(io) {
        const w = weightInput(io, 0);
        const blob = io.inputName(0);
        if (w.dims.length < 2) {
          throw new Caffe2Error(`conv weights must be M x kernel... x C/G, got shape ${shape(w.dims)}`, { blob }, 'invalid');
        }
        if (conv.kernel.length === 3) {
          throw new Caffe2Error('3-D convolution weights (PackedDepthWiseConvMatrix 3x3x3 / 3-D groupwise packing) are not implemented', { blob }, 'unsupported');
        }
        const g = conv.group;
        if (g <= 0) throw new Caffe2Error(`group ${g} must be positive (Caffe2 divides by it)`, {}, 'invalid');
        const m = w.dims[0]!;
        const cPerGroup = w.dims[w.dims.length - 1]!;
        const kernelDim = w.dims.slice(1, -1).reduce((p, d) => p * d, 1) * cPerGroup;
        const numGroups = groupwise ? g : 1;
        if (groupwise && m % g !== 0) {
          throw new Caffe2Error(`quantize_groupwise with ${m} filters in ${g} groups: Caffe2 leaves the last ${m % g} filters unquantized`, { blob }, 'invalid');
        }
        const { qparams, weights } = quantizeWeight(io, 0, w, kernelDim, m, numGroups, factory, 'quantize_groupwise');
        const columnOffsets = computeColumnOffsets(kernelDim, m, weights, qparams, io.options.maxTensorBytes);
        const form = convPackForm(conv, m, cPerGroup, io.options.isa);
        let bias: Int32Array | null = null;
        let inScale: number | null = null;
        if (io.numInputs >= 2) {
          inScale = readInScale(io, args);
          bias = packBias(io, 1, m, inScale, qparams);
        }
        io.setOutput(0, new Int8ConvDNNLowPPackedWeightBlob(w.dims, qparams, weights, columnOffsets, bias, inScale, form));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8FCPackWeight
// ---------------------------------------------------------------------------------------------

/** Tensor::canonical_axis_index. */
export function canonicalAxis(axis: number, ndim: number, blob: string): number {
  enforce(axis >= -ndim, () => `Check failed: axis_index >= -ndim() (${axis} vs ${-ndim})`, { blob });
  enforce(axis < ndim, () => `Check failed: axis_index < ndim() (${axis} vs ${ndim})`, { blob });
  return axis < 0 ? axis + ndim : axis;
}

const int8FcPackWeight: OperatorSpec = {
  type: 'Int8FCPackWeight',
  engine: 'DNNLOWP',
  summary:
    'quantizes FC weights (N x K) to signed int8 (min/max qparams per tensor or per output row) and a bias with in_scale, into an Int8FCDNNLowPPackedWeightBlob; optional 2nd output: the int32 bias',
  schema: { minInputs: 1, maxInputs: 2, minOutputs: 1, maxOutputs: 2 },
  argKinds: { ...PACK_ARG_KINDS, axis_w: 'i', quantize_channelwise: 'i' },
  create({ args }) {
    const axisW = args.getInt('axis_w', 1);
    const channelwise = args.getBool('quantize_channelwise', false);
    args.getBool('save_unpacked_weights', false);
    const factory = quantizationFactoryOf(args, 'Int8FCPackWeight');
    return {
      run(io) {
        const w = weightInput(io, 0);
        const axis = canonicalAxis(axisW, w.dims.length, io.inputName(0));
        const k = w.dims.slice(axis).reduce((p, d) => p * d, 1);
        const n = w.dims.slice(0, axis).reduce((p, d) => p * d, 1);
        const { qparams, weights } = quantizeWeight(io, 0, w, k, n, channelwise ? n : 1, factory, 'quantize_channelwise');
        const columnOffsets = computeColumnOffsets(k, n, weights, qparams, io.options.maxTensorBytes);
        let bias: Int32Array | null = null;
        let inScale: number | null = null;
        if (io.numInputs >= 2) {
          inScale = readInScale(io, args);
          bias = packBias(io, 1, n, inScale, qparams);
        }
        io.setOutput(0, new Int8FCDNNLowPPackedWeightBlob(w.dims, qparams, weights, columnOffsets, bias, inScale));
        if (io.numOutputs >= 2) {
          // The quantized bias for accelerators, as an Int8 tensor.
          enforce(bias, 'Enforce failed: Bias is not quantized (a second output needs a bias input)');
          enforce(qparams.length === 1, `Check failed: 1 == Y->qparams.size() (1 vs ${qparams.length}): We don't support outputing channelwise quantized bias yet`);
          checkAllocation('int32', [bias.length], io.options.maxTensorBytes);
          io.setOutput(1, new Int8Tensor(Int32Array.from(bias), [bias.length], f32(inScale! * qparams[0]!.scale), 0));
        }
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// For `inspect`: the weight qparams an op will use, without running it
// ---------------------------------------------------------------------------------------------

/** A DNNLOWP weight's quantization as the op will see it. */
export interface DnnlowpWeightInfo {
  /** Signed zero points; one entry per quantization group (or output row for FC). */
  qparams: readonly QuantParams[];
  dims: readonly number[];
  /** The pack op's in_scale argument when the blob holds a packed bias. */
  inScale: number | null;
  packed: boolean;
}

/**
 * The weight qparams an Int8Conv / Int8FC (DNNLOWP) uses for this weight blob: a packed blob's,
 * an Int8 tensor's (zero point - 128), or what QuantizeWeight will choose for float weights under
 * the op's arguments. Undefined when the blob or arguments do not allow telling.
 */
export function dnnlowpWeightInfo(opType: string, args: ArgumentHelper, w: BlobValue): DnnlowpWeightInfo | undefined {
  if (w instanceof Int8ConvDNNLowPPackedWeightBlob || w instanceof Int8FCDNNLowPPackedWeightBlob) {
    return { qparams: w.qparams, dims: w.dims, inScale: w.inScale, packed: true };
  }
  if (w instanceof Int8Tensor) return { qparams: [{ scale: w.scale, zeroPoint: w.zeroPoint - 128 }], dims: w.dims, inScale: null, packed: false };
  if (!(w instanceof Tensor) || w.dtype !== 'float32' || w.ndim < 1) return undefined;
  try {
    const factory = quantizationFactoryOf(args, opType);
    const isFc = opType.startsWith('Int8FC');
    let rows: number;
    let numGroups: number;
    if (isFc) {
      const axis = canonicalAxis(args.getInt('axis_w', 1), w.ndim, '');
      rows = w.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      numGroups = args.getBool('quantize_channelwise', false) ? rows : 1;
    } else {
      rows = w.dims[0]!;
      numGroups = args.getBool('quantize_groupwise', false) ? args.getInt('group', 1) : 1;
    }
    if (rows <= 0 || numGroups <= 0 || w.size % rows !== 0) return undefined;
    const len = Math.trunc(rows / numGroups) * (w.size / rows);
    const data = w.data as Float32Array;
    const qparams: QuantParams[] = [];
    for (let g = 0; g < numGroups; g++) {
      const { min, max } = findMinMax(data, g * len, len);
      if (!Number.isFinite(min) || !Number.isFinite(max)) return undefined;
      const q = chooseParamsForRange(factory, min, max, true);
      qparams.push({ scale: q.scale, zeroPoint: q.zeroPoint - 128 });
    }
    return { qparams, dims: w.dims, inScale: null, packed: false };
  } catch {
    return undefined;
  }
}

export const dnnlowpPackOps: OperatorSpec[] = [int8ConvPackWeight, int8FcPackWeight];
