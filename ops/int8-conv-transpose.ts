// Int8ConvTranspose, default engine: Caffe2's wrapper (caffe2/operators/quantized/
// int8_conv_transpose_op.h) around QNNPACK's qnnp_create/setup/run_deconvolution2d_nhwc_q8
// (src/deconvolution.c, qnnp_indirection_init_deconv2d in src/indirection.c, pack_q8deconv_w in
// src/qnnpack/pack.h), which runs the q8conv micro-kernels over an indirection buffer.
//
// Weights: Caffe2 hands W's bytes, laid out (IC, KH, KW, OC), to QNNPACK unchanged, and
// pack_q8deconv_w reads them as exactly that: the weight for output channel oc, tap (ky, kx) and
// input channel ic is k[((ic·KH·KW) + ky·KW + kx)·OC + oc]. We repack once, at creation, into
// [OC][KH][KW][IC] (what the packed kernel holds, minus the kernel zero point) so every output
// channel's taps are contiguous per input pixel.
//
// Taps: for output (oy, ox) and kernel tap (ky, kx), QNNPACK computes y = oy + pad_top - ky and
// uses input row y / stride_h only when the division is exact and the row is in range (the same
// for x); every other tap points at the zero buffer, filled with the input zero point, and adds
// nothing. That is the gather form of "each input pixel scatters W · x to oy = iy·s + ky - pad_top".
import { Caffe2Error } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { q31Requantization } from '../src/quant/q31-requantize.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';
import { CONV_POOL_ARG_KINDS, convTransposeGeometry, parseConvTransposeArgs, type ConvTransposeArgs } from './conv-pool-args.js';
import { dotQ8, q8OutputStage, requantizeToUint8, type Q8OutputStage } from './q8-gemm.js';
import { int8OutputQparams } from './int8-qparams.js';

/** What qnnp_create_deconvolution2d_nhwc_q8 freezes on the op's first run. */
export interface DeconvPlan {
  inputChannels: number;
  outputChannels: number;
  /** From W's dims, as QNNPACK takes them. */
  kernelH: number;
  kernelW: number;
  /** (w - kernelZeroPoint) in [OC][KH][KW][IC] order. */
  weights: Int16Array;
  bias: Int32Array;
  inputZeroPoint: number;
  output: Q8OutputStage;
}

export interface DeconvWindow {
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Reference NHWC uint8 transposed convolution with QNNPACK's arithmetic:
 * acc[n,oy,ox,oc] = wrap32(B[oc] + Σ_{ky,kx,ic} (X[n,iy,ix,ic] - xzp)(W[ic,ky,kx,oc] - wzp)) over the
 * taps with y = oy + pt - ky ≥ 0, y % sh == 0, iy = y / sh < H (same for x), then Q31
 * requantization and the 0..255 clamp.
 */
export function deconv2dNhwcQ8(
  plan: DeconvPlan,
  win: DeconvWindow,
  x: Uint8Array,
  n: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
): Uint8Array {
  const { inputChannels: ic, outputChannels: oc, kernelH, kernelW, weights, bias, inputZeroPoint: xzp, output } = plan;
  const { strideH, strideW, padTop, padLeft } = win;
  const taps = kernelH * kernelW;
  const y = new Uint8Array(n * outH * outW * oc);
  if (y.length === 0) return y;
  // The in-range taps of one output pixel: input pixel offsets and tap indices.
  const tapInput = new Int32Array(taps);
  const tapIndex = new Int32Array(taps);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let count = 0;
        for (let ky = 0; ky < kernelH; ky++) {
          const ty = oy + padTop - ky;
          if (ty < 0 || ty % strideH !== 0) continue;
          const iy = ty / strideH;
          if (iy >= h) continue;
          for (let kx = 0; kx < kernelW; kx++) {
            const tx = ox + padLeft - kx;
            if (tx < 0 || tx % strideW !== 0) continue;
            const ix = tx / strideW;
            if (ix >= w) continue;
            tapInput[count] = ((b * h + iy) * w + ix) * ic;
            tapIndex[count] = ky * kernelW + kx;
            count++;
          }
        }
        const yBase = ((b * outH + oy) * outW + ox) * oc;
        for (let o = 0; o < oc; o++) {
          const wBase = o * taps * ic;
          let acc = bias[o]!;
          for (let t = 0; t < count; t++) acc += dotQ8(x, tapInput[t]!, xzp, weights, wBase + tapIndex[t]! * ic, ic);
          y[yBase + o] = requantizeToUint8(acc, output);
        }
      }
    }
  }
  return y;
}

/** pack_q8deconv_w's reading of W (IC, KH, KW, OC), minus the kernel zero point, as [OC][KH][KW][IC]. */
function repackWeights(w: Uint8Array, ic: number, taps: number, oc: number, kernelZeroPoint: number): Int16Array {
  const out = new Int16Array(oc * taps * ic);
  // No weights at all (say OC = 0) may still come with a huge kernel: do not walk its taps.
  if (out.length === 0) return out;
  for (let c = 0; c < ic; c++) {
    for (let t = 0; t < taps; t++) {
      const src = (c * taps + t) * oc;
      for (let o = 0; o < oc; o++) out[(o * taps + t) * ic + c] = w[src + o]! - kernelZeroPoint;
    }
  }
  return out;
}

/** Builds the frozen plan: the checks Caffe2 leaves to undefined behaviour, then qnnp_create's. */
function createPlan(io: OpIO, conv: ConvTransposeArgs, x: Int8Tensor, w: Int8Tensor, yScale: number, yZeroPoint: number): DeconvPlan {
  const [ic, kh, kw, oc] = w.dims as [number, number, number, number];
  // QNNPACK takes the kernel size from W while Caffe2 sizes Y from the kernel arguments; with a
  // mismatch QNNPACK writes a differently sized output into Y's buffer. Caffe2 does not check.
  if (kh !== conv.kernel[0] || kw !== conv.kernel[1]) {
    throw new Caffe2Error(`weights ${shapeString(w.dims)} have a ${kh}x${kw} kernel but the kernel arguments say ${conv.kernel[0]}x${conv.kernel[1]}`, { blob: io.inputName(1) }, 'invalid');
  }
  const b = io.int8(2);
  // Caffe2 does not check the bias size; QNNPACK reads OC values.
  if (b.size !== oc) {
    throw new Caffe2Error(`bias has ${b.size} elements, expected ${oc} (one per output channel)`, { blob: io.inputName(2) }, 'invalid');
  }
  // The wrapper reads W and B as uint8 / int32 only here, when it creates the QNNPACK operator.
  const wq = io.int8(1, 'uint8');
  const bq = io.int8(2, 'int32');
  const taps = kh * kw;
  // Only W's leading IC·KH·KW·OC values are read (W may carry trailing dims of size 1).
  if (wq.size < ic * taps * oc) {
    throw new Caffe2Error(`weights ${shapeString(w.dims)} hold ${wq.size} values, fewer than IC·KH·KW·OC`, { blob: io.inputName(1) }, 'invalid');
  }
  const requant = q31Requantization(x.scale, w.scale, yScale, 'deconvolution');
  return {
    inputChannels: ic,
    outputChannels: oc,
    kernelH: kh,
    kernelW: kw,
    weights: repackWeights(wq.data as Uint8Array, ic, taps, oc, w.zeroPoint & 255),
    bias: Int32Array.from(bq.data),
    // Zero points reach QNNPACK as uint8_t.
    inputZeroPoint: x.zeroPoint & 255,
    // Caffe2 passes limits 0..255: there is no Int8ConvTransposeRelu.
    output: q8OutputStage(requant, yZeroPoint),
  };
}

function dimensionOutOfRange(io: OpIO, i: number, t: Int8Tensor, what: string): Caffe2Error {
  return new Caffe2Error(`${what} must be 4-D, got shape ${shapeString(t.dims)} (dimension out of range)`, { blob: io.inputName(i) });
}

const int8ConvTransposeSpec: OperatorSpec = {
  type: 'Int8ConvTranspose',
  engine: '',
  summary: 'NHWC uint8 transposed convolution, W laid out (IC,KH,KW,OC), with stride, pads and adj; QNNPACK Q31 requantization',
  // The schema allows 2 inputs; the op then refuses anything but 3 when it runs.
  schema: { minInputs: 2, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { ...CONV_POOL_ARG_KINDS, shared_buffer: 'i', Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    const conv = parseConvTransposeArgs(args);
    if (conv.order !== 'NHWC') throw new Caffe2Error('Int8ConvTransposeOp only supports NHWC order', {}, 'needs_feature');
    // `group` is read by the base class and ignored: the wrapper always creates QNNPACK's
    // deconvolution with 1 group. There are no dilation arguments (QNNPACK gets dilation 1).
    let plan: DeconvPlan | undefined;
    return {
      run(io) {
        if (io.numInputs !== 3) throw new Caffe2Error(`Int8ConvTranspose needs 3 inputs (X, W, bias), got ${io.numInputs}`);
        const x = io.int8(0);
        const w = io.int8(1);
        io.int8(2);
        const { yScale, yZeroPoint } = int8OutputQparams(args);
        if (x.ndim < 4) throw dimensionOutOfRange(io, 0, x, 'input X (N,H,W,C)');
        const [n, h, wd, ic] = x.dims as [number, number, number, number];
        if (w.ndim < 1) throw dimensionOutOfRange(io, 1, w, 'weights W (IC,KH,KW,OC)');
        if (ic !== w.dims[0]) {
          throw new Caffe2Error(
            `Check failed: IC == W.size(0) (${ic} vs ${w.dims[0]}): input has ${ic} channels but the weights ${shapeString(w.dims)} (IC,KH,KW,OC) expect ${w.dims[0]}`,
            { blob: io.inputName(1) },
            'fatal',
          );
        }
        if (w.ndim < 4) throw dimensionOutOfRange(io, 1, w, 'weights W (IC,KH,KW,OC)');
        const oc = w.dims[3]!;
        // ConvTransposeUnpoolBase::GetOutputSize: a 4-D, non-empty input (so an empty batch throws).
        if (x.ndim !== 4) throw new Caffe2Error(`input X must be 4-D (N,H,W,C), got shape ${shapeString(x.dims)}`, { blob: io.inputName(0) });
        const geo = convTransposeGeometry(conv, h, wd, { n, c: ic });
        const outDims = [n, geo.outH, geo.outW, oc];
        checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        if (!plan) {
          plan = createPlan(io, conv, x, w, yScale, yZeroPoint);
        } else if (plan.inputChannels !== ic || plan.outputChannels !== oc) {
          // QNNPACK keeps its first-run channel counts and would use them with this run's pixel strides.
          throw new Caffe2Error(
            `this op was created on its first run for ${plan.inputChannels} -> ${plan.outputChannels} channels; now ${ic} -> ${oc} (Caffe2 would reuse the stale QNNPACK operator)`,
            { blob: io.inputName(0) },
            'invalid',
          );
        }
        // Per output pixel: the KH·KW tap search, then OC·IC multiply-adds for each of at most
        // ceil(KH/SH)·ceil(KW/SW) taps that land on an input pixel. An empty output does nothing.
        const tapsHit = Math.ceil(plan.kernelH / geo.stride[0]) * Math.ceil(plan.kernelW / geo.stride[1]);
        const work = oc === 0 ? 0 : n * geo.outH * geo.outW * (plan.kernelH * plan.kernelW + oc * ic * tapsHit);
        checkOpWork(io.options, work, () => `a ${plan!.kernelH}x${plan!.kernelW} transposed convolution to ${shapeString(outDims)}`);
        const xq = io.int8(0, 'uint8');
        const win: DeconvWindow = { strideH: geo.stride[0], strideW: geo.stride[1], padTop: geo.pads[0], padLeft: geo.pads[1] };
        const y = deconv2dNhwcQ8(plan, win, xq.data as Uint8Array, n, h, wd, geo.outH, geo.outW);
        io.setOutput(0, new Int8Tensor(y, outDims, yScale, yZeroPoint));
      },
    };
  },
};

export const int8ConvTransposeOps: OperatorSpec[] = [int8ConvTransposeSpec];
