// Int8Conv and Int8ConvRelu with engine DNNLOWP: Caffe2's ConvDNNLowPOp<uint8_t, ReluFused>
// (caffe2/quantization/server/conv_dnnlowp_op.cc, the final version) over FBGEMM v0.6.0.
//
// The input must be an Int8TensorCPU. Weights are an Int8ConvDNNLowPPackedWeightBlob (NHWC only),
// or a float / Int8 tensor quantized on the first run and kept. Every FBGEMM path computes
//   acc = Σ x·w - w_zp·Σx + (bias - x_zp·column_offsets)     (int32, wrapping)
//   y   = requantize(acc, float(float(x_scale · w_scale) / y_scale), y_zp)
// which equals bias + Σ (x - x_zp)(w - w_zp), except that FBGEMM's vpmaddubsw sums adjacent
// K-pairs of raw uint8·int8 products in int16 with saturation: always on the depthwise 3x3
// path, and on the GEMM / groupwise paths on CPUs without AVX512-VNNI (io.options.isa 'avx2').
// NCHW runs Caffe2's reference loops: exact int32 and the scalar lrintf requantization.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { maddubsPair, requantizationMultiplier, requantizeAvx2, requantizeScalar, type QuantParams } from '../src/quant/fbgemm.js';
import { checkAllocation, Int8Tensor, shapeString, Tensor } from '../src/tensor.js';
import { checkConvPoolKernel, CONV_POOL_ARG_KINDS, convPoolGeometry, LegacyPadding, parseConvPoolArgs, type ConvPoolArgs, type Conv2dGeometry } from './conv-pool-args.js';
import {
  checkInt8Bias,
  computeColumnOffsets,
  depthwise3x3Window,
  gconvFastPath,
  Int8ConvDNNLowPPackedWeightBlob,
  packedOrPlainWeight,
  quantizeFloatBias,
  quantizeWeight,
  weightInput,
  type ConvPackForm,
  type ConvWindowArgs,
} from './dnnlowp-pack.js';
import {
  FACTORY_ARG_KINDS,
  inputQparams,
  parseOutputArgs,
  quantizationFactoryOf,
  requireStaticOutput,
  typeMismatch,
  uint8Data,
  type DnnlowpFactory,
  type DnnlowpOutputArgs,
} from './dnnlowp-quantize.js';

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/** Everything the NHWC / NCHW kernels need besides the input bytes. */
export interface DnnlowpConvKernel {
  n: number;
  h: number;
  w: number;
  c: number;
  m: number;
  groups: number;
  kernelH: number;
  kernelW: number;
  geo: Conv2dGeometry;
  /** Signed weights: [M][kh][kw][C/G] for NHWC, [M][C/G][kh][kw] for NCHW. */
  weights: Int8Array;
  inputZeroPoint: number;
  /** Per output channel: the weight zero point the row sums are multiplied by. */
  rowZeroPoint: Int32Array;
  /** Per output channel: bias + anything else added to the accumulator (int32). */
  addend: Int32Array;
  /** Per output channel: the float requantization multiplier. */
  multiplier: Float32Array;
  outputZeroPoint: number;
  relu: boolean;
  /** Sum K-pairs (k even, k+1) of raw products with int16 saturation (vpmaddubsw). */
  pairSaturation: boolean;
}

/**
 * NHWC convolution as FBGEMM computes it: per output pixel and group, the im2col row in
 * (r, s, c) order with padding read as the input zero point, its sum, then per output channel
 * acc = Σ x·w (pairwise-saturated if asked) - rowZeroPoint·Σx + addend, requantized with the
 * AVX2 epilogue.
 */
export function convNhwcDnnlowp(x: Uint8Array, p: DnnlowpConvKernel): Uint8Array {
  const { n, h, w, c, m, groups, kernelH, kernelW, geo, weights, inputZeroPoint: xzp } = p;
  const cg = c / groups;
  const mg = m / groups;
  const k = kernelH * kernelW * cg;
  const [strideH, strideW] = geo.stride;
  const [dilH, dilW] = geo.dilation;
  const padT = geo.pads[0];
  const padL = geo.pads[1];
  // Padding is written into uint8 buffers (memset / set1_epi8): a zero point outside [0, 255]
  // pads with its low byte, while the offset terms use the full value.
  const padValue = xzp & 255;
  const out = new Uint8Array(n * geo.outH * geo.outW * m);
  // An empty output (batch 0, or no output channels) may come with any kernel size and channel
  // count: the im2col row below is sized by them, so allocate nothing for it.
  if (out.length === 0) return out;
  const patch = new Int32Array(k + 1); // one spare zero for an odd K's last pair
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < geo.outH; oy++) {
      for (let ox = 0; ox < geo.outW; ox++) {
        const outBase = ((b * geo.outH + oy) * geo.outW + ox) * m;
        for (let g = 0; g < groups; g++) {
          let idx = 0;
          let rowSum = 0;
          for (let ky = 0; ky < kernelH; ky++) {
            const iy = oy * strideH + ky * dilH - padT;
            for (let kx = 0; kx < kernelW; kx++) {
              const ix = ox * strideW + kx * dilW - padL;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                for (let ci = 0; ci < cg; ci++) patch[idx++] = padValue;
                rowSum += padValue * cg;
              } else {
                const src = ((b * h + iy) * w + ix) * c + g * cg;
                for (let ci = 0; ci < cg; ci++) {
                  const v = x[src + ci]!;
                  patch[idx++] = v;
                  rowSum += v;
                }
              }
            }
          }
          for (let mi = 0; mi < mg; mi++) {
            const oc = g * mg + mi;
            const acc = dot(patch, weights, oc * k, k, p.pairSaturation);
            const raw = (acc - p.rowZeroPoint[oc]! * rowSum + p.addend[oc]!) | 0;
            out[outBase + oc] = requantizeAvx2(raw, p.multiplier[oc]!, p.outputZeroPoint, p.relu);
          }
        }
      }
    }
  }
  return out;
}

/** Σ_k x[k]·w[wOffset+k]; with pairSaturation, each (k even, k+1) pair is summed in int16 first. */
function dot(x: Int32Array, w: Int8Array, wOffset: number, k: number, pairSaturation: boolean): number {
  let acc = 0;
  if (!pairSaturation) {
    for (let i = 0; i < k; i++) acc += x[i]! * w[wOffset + i]!;
    return acc;
  }
  let i = 0;
  for (; i + 1 < k; i += 2) acc += maddubsPair(x[i]!, w[wOffset + i]!, x[i + 1]!, w[wOffset + i + 1]!);
  if (i < k) acc += x[i]! * w[wOffset + i]!; // paired with the zero padding: cannot saturate
  return acc;
}

/**
 * NCHW convolution, Caffe2's reference path (RunOnDeviceWithOrderNCHW): Im2ColNCHW with the
 * zero point as padding, exact int32 dot products over (c, r, s), the epilogue
 * raw = acc + addend - Σx·w_zp, max(0, raw) under Relu, then fbgemm::Requantize (lrintf).
 */
export function convNchwDnnlowp(x: Uint8Array, p: DnnlowpConvKernel): Uint8Array {
  const { n, h, w, c, m, groups, kernelH, kernelW, geo, weights, inputZeroPoint: xzp } = p;
  const cg = c / groups;
  const mg = m / groups;
  const k = cg * kernelH * kernelW;
  const [strideH, strideW] = geo.stride;
  const [dilH, dilW] = geo.dilation;
  const padT = geo.pads[0];
  const padL = geo.pads[1];
  const plane = geo.outH * geo.outW;
  const padValue = xzp & 255; // Im2ColNCHW<uint8_t> stores the zero point as a byte
  const out = new Uint8Array(n * m * plane);
  // An empty output may come with any kernel size and channel count (see convNhwcDnnlowp).
  if (out.length === 0) return out;
  const col = new Int32Array(k);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      for (let oy = 0; oy < geo.outH; oy++) {
        for (let ox = 0; ox < geo.outW; ox++) {
          let idx = 0;
          let colSum = 0;
          for (let ci = 0; ci < cg; ci++) {
            const chanBase = (b * c + g * cg + ci) * h;
            for (let ky = 0; ky < kernelH; ky++) {
              const iy = oy * strideH + ky * dilH - padT;
              for (let kx = 0; kx < kernelW; kx++) {
                const ix = ox * strideW + kx * dilW - padL;
                const v = iy < 0 || iy >= h || ix < 0 || ix >= w ? padValue : x[(chanBase + iy) * w + ix]!;
                col[idx++] = v;
                colSum += v;
              }
            }
          }
          for (let mi = 0; mi < mg; mi++) {
            const oc = g * mg + mi;
            const acc = dot(col, weights, oc * k, k, false);
            let raw = (acc + p.addend[oc]! - colSum * p.rowZeroPoint[oc]!) | 0;
            if (p.relu && raw < 0) raw = 0;
            out[(b * m + oc) * plane + oy * geo.outW + ox] = requantizeScalar(raw, p.multiplier[oc]!, p.outputZeroPoint);
          }
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The operator
// ---------------------------------------------------------------------------------------------

/** What the op quantizes (or takes from the pack op) on its first run and keeps. */
interface ConvWeights {
  packed: Int8ConvDNNLowPPackedWeightBlob | null;
  /** filter_qparams_ (signed zero points). */
  qparams: readonly QuantParams[];
  weights: Int8Array;
  columnOffsets: Int32Array;
  inputChannels: number;
}

/**
 * The bias as QuantizeBias_ keeps it across runs: b_quantized_data_ (which array is used),
 * b_quantized_ (the op's own copy) and the input qparams it was made for. Upstream re-derives it
 * only when the input scale or zero point changes, and its column-offset folding then edits its
 * own copy even when the pointer was reset to a packed or Int8 bias; that is reproduced as is.
 */
interface BiasState {
  data: Int32Array | null;
  own: Int32Array | null;
  oldScale: number;
  oldZeroPoint: number;
  /** column_offsets_ was filled (a float input once ran in NHWC); no folding from then on. */
  columnOffsetsFilled: boolean;
}

interface ConvSetup {
  type: string;
  relu: boolean;
  conv: ConvPoolArgs;
  factory: DnnlowpFactory;
  groupwise: boolean;
  args: ArgumentHelper;
}

/** The path FBGEMM takes for an NHWC Int8 input (QuantizeWeight_ / ConvNHWCCore_). */
function nhwcPath(c: number, m: number, g: number, win: ConvWindowArgs, isa: OpIO['options']['isa']): ConvPackForm {
  if (g === c && g % 8 === 0 && depthwise3x3Window(win)) return 'depthwise3x3';
  if (gconvFastPath(c, m, g, win, isa)) return 'gconv';
  return 'gemm';
}

const FORM_NAMES: Record<ConvPackForm, string> = {
  depthwise3x3: 'depthwise 3x3 (PackedDepthWiseConvMatrix)',
  gconv: 'groupwise (PackWeightMatrixForGConv)',
  gemm: 'GEMM (PackBMatrix)',
};

function runConv(s: ConvSetup, io: OpIO, state: { parsed?: DnnlowpOutputArgs; weights?: ConvWeights; bias: BiasState }): void {
  const { conv, type } = s;
  checkConvPoolKernel(conv);
  enforce(conv.order !== 'UNKNOWN', 'Unknown storage order: the order argument must be NHWC or NCHW');
  const nhwc = conv.order === 'NHWC';
  if (conv.kernel.length !== 2) {
    throw new Caffe2Error(`${conv.kernel.length}-D convolution is not implemented for ${type} (DNNLOWP); only 2-D`, {}, 'unsupported');
  }
  const g = conv.group;
  if (g <= 0) throw new Caffe2Error(`group ${g} must be positive (Caffe2 divides by it)`, {}, 'invalid');

  // GetQuantizationParameters_: arguments (once), input qparams, weights, bias, output qparams.
  state.parsed ??= parseOutputArgs(s.args, s.factory, s.relu);
  enforce(!state.parsed.dequantizeOutput, "Check failed: dequantize_output == false: Conv DNNLOWP operators don't support dequantize_output");
  const { qparams: inQ, isInt8 } = inputQparams(io, 0, s.factory);
  const xv = io.input(0) as Int8Tensor | Tensor;

  const { packed, dims: filterDims } = packedOrPlainWeight(io, Int8ConvDNNLowPPackedWeightBlob, 'an FC packed weight blob cannot feed a convolution');

  // The shape checks of RunOnDeviceWith*; made before quantizing, which would read past a
  // filter whose channels do not match.
  enforce(xv.ndim === filterDims.length, () => `Check failed: X.dim() == filter.dim() (${xv.ndim} vs ${filterDims.length})`, { blob: io.inputName(1) });
  enforce(xv.ndim === 4, () => `a 2-D convolution needs a 4-D input, got shape [${xv.dims.join(',')}]`, { blob: io.inputName(0) });
  const m = filterDims[0]!;
  const c = nhwc ? xv.dims[3]! : xv.dims[1]!;
  const cPerGroup = nhwc ? filterDims[3]! : filterDims[1]!;
  const spatial = nhwc ? [filterDims[1]!, filterDims[2]!] : [filterDims[2]!, filterDims[3]!];
  for (let d = 0; d < 2; d++) {
    enforce(spatial[d] === conv.kernel[d], () => `Check failed: filter.dim32(${d + (nhwc ? 1 : 2)}) == kernel_[${d}] (${spatial[d]} vs ${conv.kernel[d]})`, {
      blob: io.inputName(1),
    });
  }
  enforce(c === cPerGroup * g, () => `Convolution op: input channels does not match: # of input channels ${c} is not equal to kernel channels * group: ${cPerGroup}*${g}`, {
    blob: io.inputName(1),
  });
  enforce(m % g === 0, 'The number of output channels is not divisible by group.', { blob: io.inputName(1) });
  const kernelDim = cPerGroup * conv.kernel[0]! * conv.kernel[1]!;

  // QuantizeWeight_ (first run; a pre-packed blob is re-checked against the order every run).
  if (packed) enforce(nhwc, 'Check failed: order_ == StorageOrder::NHWC: Pre-packed weight only works with NHWC layout', { blob: io.inputName(1) });
  if (!state.weights) {
    if (packed) {
      if (s.groupwise && packed.qparams.length < g) {
        throw new Caffe2Error(
          `quantize_groupwise=1 on ${type} but the packed weights have ${packed.qparams.length} quantization group(s) for ${g} groups: Caffe2 indexes past the end of the packed qparams (pack with quantize_groupwise=1 too)`,
          { blob: io.inputName(1) },
          'invalid',
        );
      }
      state.weights = { packed, qparams: packed.qparams, weights: packed.weights, columnOffsets: packed.columnOffsets, inputChannels: c };
    } else {
      const w = weightInput(io, 1);
      const q = quantizeWeight(io, 1, w, kernelDim, m, s.groupwise ? g : 1, s.factory, 'quantize_groupwise');
      state.weights = { packed: null, qparams: q.qparams, weights: q.weights, columnOffsets: computeColumnOffsets(kernelDim, m, q.weights, q.qparams, io.options.maxTensorBytes), inputChannels: c };
    }
  } else if (state.weights.inputChannels !== c) {
    throw new Caffe2Error(`input has ${c} channels, but this op quantized its weights on its first run for ${state.weights.inputChannels}`, { blob: io.inputName(0) }, 'invalid');
  }
  const wts = state.weights;
  const filterQ = (grp: number): QuantParams => wts.qparams[s.groupwise ? grp : 0]!;

  // PreComputeRowColumnOffsets_: an NHWC Int8 input folds the column offsets into the bias.
  if (nhwc && !isInt8) state.bias.columnOffsetsFilled = true;
  const foldable = nhwc && !state.bias.columnOffsetsFilled;
  updateBias(io, state.bias, wts, inQ, m, xv.dims[0]!, foldable, filterQ);

  const out = requireStaticOutput(state.parsed.output, type);
  const multiplier = new Float32Array(m);
  const rowZeroPoint = new Int32Array(m);
  const mg = m / g;
  for (let oc = 0; oc < m; oc++) {
    const grp = Math.trunc(oc / mg);
    multiplier[oc] = requantizationMultiplier(inQ.scale, filterQ(grp).scale, out.scale);
    rowZeroPoint[oc] = filterQ(grp).zeroPoint;
  }

  // The input bytes: X.data<uint8_t>() fails for anything but a uint8 tensor.
  const x = uint8Data(io, 0);
  const [n, h, w] = nhwc ? [xv.dims[0]!, xv.dims[1]!, xv.dims[2]!] : [xv.dims[0]!, xv.dims[2]!, xv.dims[3]!];
  const geo = convPoolGeometry(conv, h, w, { c });

  const addend = new Int32Array(m);
  const bias = state.bias.data;
  for (let oc = 0; oc < m; oc++) {
    let v = bias ? bias[oc]! : 0;
    if (!nhwc) v -= inQ.zeroPoint * wts.columnOffsets[oc]!; // the NCHW epilogue's row_offset
    else if (!foldable) v -= inQ.zeroPoint * wts.columnOffsets[oc]!; // ReQuantizeOutput's A_zero_point term
    addend[oc] = v | 0;
  }

  let pairSaturation = false;
  if (nhwc) {
    const parsedPads = conv.pads.slice(0, 4);
    const first = nhwcPath(c, m, g, { ...conv, pads: parsedPads }, io.options.isa);
    const path = nhwcPath(c, m, g, { ...conv, pads: geo.pads }, io.options.isa);
    if (first !== path) {
      throw new Caffe2Error(
        `legacy_pad ${LegacyPadding[conv.legacyPad]} changes the padding after Caffe2 chose the ${FORM_NAMES[first]} path with the padding arguments, and it would then run the ${FORM_NAMES[path]} path it did not prepare`,
        {},
        'invalid',
      );
    }
    if (path === 'depthwise3x3' && m !== g) {
      throw new Caffe2Error(
        `depthwise 3x3 with a channel multiplier (${g} groups, ${m} output channels) is broken in Caffe2: the conv takes FBGEMM's depthwise path, which only handles one filter per channel, while the pack op packs the weights for GEMM`,
        { blob: io.inputName(1) },
        'invalid',
      );
    }
    if (path === 'gconv' && (conv.dilation[0] !== 1 || conv.dilation[1] !== 1)) {
      throw new Caffe2Error(
        `dilation [${conv.dilation.join(',')}] on a 3x3 conv that takes FBGEMM's groupwise path: Caffe2 builds fbgemm's conv_param_t without the dilation, so the kernel runs undilated and writes past the output`,
        {},
        'invalid',
      );
    }
    if (packed && packed.form !== path) {
      const reason = `the conv takes the ${FORM_NAMES[path]} path but Int8ConvPackWeight built the ${FORM_NAMES[packed.form]} form (check that the pack op has the same kernel, stride, pad, dilation and group arguments)`;
      if (path === 'gconv') throw new Caffe2Error(`Enforce failed: packed_filter.W_gconv3d: ${reason}`, { blob: io.inputName(1) });
      throw new Caffe2Error(`${reason}; Caffe2 would dereference the missing packed matrix`, { blob: io.inputName(1) }, 'invalid');
    }
    pairSaturation = path === 'depthwise3x3' || io.options.isa === 'avx2';
  }

  const outDims = nhwc ? [n, geo.outH, geo.outW, m] : [n, m, geo.outH, geo.outW];
  checkAllocation('uint8', outDims, io.options.maxTensorBytes);
  checkOpWork(io.options, n * geo.outH * geo.outW * m * kernelDim, () => `a ${conv.kernel[0]}x${conv.kernel[1]} convolution to ${shapeString(outDims)}`);
  const kernel: DnnlowpConvKernel = {
    n, h, w, c, m, groups: g, kernelH: conv.kernel[0]!, kernelW: conv.kernel[1]!, geo,
    weights: wts.weights, inputZeroPoint: inQ.zeroPoint, rowZeroPoint, addend, multiplier,
    outputZeroPoint: out.zeroPoint, relu: s.relu, pairSaturation,
  };
  const y = nhwc ? convNhwcDnnlowp(x, kernel) : convNchwDnnlowp(x, kernel);
  io.setOutput(0, new Int8Tensor(y, outDims, out.scale, out.zeroPoint));
}

/** QuantizeBias_ (conv_dnnlowp_op.cc), state kept across runs as upstream keeps it. */
function updateBias(
  io: OpIO,
  st: BiasState,
  wts: ConvWeights,
  inQ: QuantParams,
  m: number,
  batch: number,
  foldable: boolean,
  filterQ: (g: number) => QuantParams,
): void {
  const packedBias = wts.packed?.bias ?? null;
  const hasBias = io.numInputs === 3 || packedBias !== null;
  const fold = (): void => {
    if (!foldable || inQ.zeroPoint === 0) return;
    if (!st.own || st.own.length === 0) {
      // The packed / Int8 bias cannot be edited in place: the op copies it.
      st.own = Int32Array.from(st.data!.subarray(0, m));
      st.data = st.own;
    }
    for (let i = 0; i < m; i++) st.own[i] = (st.own[i]! - inQ.zeroPoint * wts.columnOffsets[i]!) | 0;
  };
  if (hasBias && (!st.data || inQ.scale !== st.oldScale || inQ.zeroPoint !== st.oldZeroPoint)) {
    if (packedBias) {
      if (packedBias.length < m) throw new Caffe2Error(`the packed bias has ${packedBias.length} values for ${m} output channels`, { blob: io.inputName(1) }, 'invalid');
      st.data = packedBias;
    } else {
      const b = io.input(2);
      if (b instanceof Int8Tensor) {
        checkInt8Bias(io, 2, b, inQ.scale, filterQ(0).scale, batch > 0);
        if (b.size < m) throw new Caffe2Error(`bias has ${b.size} values for ${m} output channels`, { blob: io.inputName(2) }, 'invalid');
        st.data = b.data as Int32Array;
      } else if (b instanceof Tensor) {
        if (b.dtype !== 'float32') throw typeMismatch(io, 2, 'float32', b.dtype);
        if (b.size < m) throw new Caffe2Error(`bias has ${b.size} values for ${m} output channels (Caffe2 writes past the end of its bias buffer)`, { blob: io.inputName(2) }, 'invalid');
        const numGroups = wts.qparams.length;
        st.own = quantizeFloatBias(b.data as Float32Array, m, inQ.scale, numGroups, (g) => filterQ(g).scale);
        st.data = st.own;
      } else {
        throw io.wrongTypeError(2, 'Tensor');
      }
    }
    st.oldScale = inQ.scale;
    st.oldZeroPoint = inQ.zeroPoint;
    fold();
  }
  if (!hasBias && foldable && inQ.zeroPoint !== 0 && !st.data) {
    // No bias: one is made from the column offsets alone.
    st.own = new Int32Array(m);
    st.data = st.own;
    fold();
  }
}

function dnnlowpConvSpec(type: string, relu: boolean): OperatorSpec {
  return {
    type,
    engine: 'DNNLOWP',
    summary: relu
      ? 'FBGEMM uint8 convolution (NHWC fast paths, NCHW reference) with float requantization; output qparams re-chosen over [0, Y_scale·(255 - Y_zero_point)], zero point 0'
      : 'FBGEMM uint8 convolution (NHWC depthwise / groupwise / GEMM, NCHW reference) with float requantization; packed, float or Int8 weights',
    schema: { minInputs: 2, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
    argKinds: { ...CONV_POOL_ARG_KINDS, ...FACTORY_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i', quantize_groupwise: 'i' },
    create({ def, args }) {
      const conv = parseConvPoolArgs(args, def.name ?? '');
      const factory = quantizationFactoryOf(args, type);
      const groupwise = args.getBool('quantize_groupwise', false);
      const setup: ConvSetup = { type, relu, conv, factory, groupwise, args };
      const state: { parsed?: DnnlowpOutputArgs; weights?: ConvWeights; bias: BiasState } = {
        bias: { data: null, own: null, oldScale: 0, oldZeroPoint: 0, columnOffsetsFilled: false },
      };
      return { run: (io) => runConv(setup, io, state) };
    },
  };
}

export const dnnlowpConvOps: OperatorSpec[] = [dnnlowpConvSpec('Int8Conv', false), dnnlowpConvSpec('Int8ConvRelu', true)];
