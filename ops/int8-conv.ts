// Int8Conv and Int8ConvRelu, default engine: Caffe2's wrapper (caffe2/operators/quantized/
// int8_conv_op.h) around QNNPACK's qnnp_create/setup/run_convolution2d_nhwc_q8. Every QNNPACK
// kernel path (GEMM, indirection conv, depthwise up8x9 / mp8x25) computes the same integers,
// so one reference kernel serves them all.
import { Caffe2Error } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { q31Requantization } from '../src/quant/q31-requantize.js';
import { reluLowerBound } from '../src/quant/quantize.js';
import { Int8Tensor, checkAllocation, shapeString } from '../src/tensor.js';
import { CONV_POOL_ARG_KINDS, convPoolGeometry, parseConvPoolArgs, type ConvPoolArgs } from './conv-pool-args.js';
import { centeredWeights, dotQ8, q8OutputStage, requantizeToUint8, type Q8OutputStage } from './q8-gemm.js';
import { int8OutputQparams } from './int8-qparams.js';
import { conv2dNhwcQ8Wasm } from '../src/kernels/wasm-conv.js';

/** What QNNPACK freezes when the operator is created on the first run. */
export interface ConvPlan {
  groups: number;
  groupInputChannels: number;
  groupOutputChannels: number;
  kernelH: number;
  kernelW: number;
  /** (w - kernelZeroPoint) in [M][KH][KW][C/G] order. */
  weights: Int16Array;
  bias: Int32Array;
  inputZeroPoint: number;
  output: Q8OutputStage;
}

export interface ConvWindow {
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Reference NHWC uint8 convolution with QNNPACK's arithmetic:
 * acc = wrap32(bias[m] + Σ (x - xzp)(w - wzp)) over the in-bounds taps (padding reads xzp and
 * adds nothing), then Q31 requantization and the activation clamp.
 */
export function conv2dNhwcQ8(
  plan: ConvPlan,
  win: ConvWindow,
  x: Uint8Array,
  n: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
): Uint8Array {
  const { groups, groupInputChannels: cg, groupOutputChannels: mg, kernelH, kernelW, weights, bias, inputZeroPoint: xzp, output } = plan;
  const c = cg * groups;
  const m = mg * groups;
  const k = kernelH * kernelW * cg;
  const out = new Uint8Array(n * outH * outW * m);
  // An empty output (batch 0, or no output channels) may come with any kernel size: the tap
  // tables below are sized by the kernel, so allocate nothing for it.
  if (out.length === 0) return out;
  // Input offsets (channel 0 of group 0) and weight offsets of the in-bounds taps of one pixel.
  const tapInput = new Int32Array(kernelH * kernelW);
  const tapWeight = new Int32Array(kernelH * kernelW);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let taps = 0;
        for (let ky = 0; ky < kernelH; ky++) {
          const iy = oy * win.strideH + ky * win.dilationH - win.padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kernelW; kx++) {
            const ix = ox * win.strideW + kx * win.dilationW - win.padLeft;
            if (ix < 0 || ix >= w) continue;
            tapInput[taps] = ((b * h + iy) * w + ix) * c;
            tapWeight[taps++] = (ky * kernelW + kx) * cg;
          }
        }
        const outBase = ((b * outH + oy) * outW + ox) * m;
        for (let oc = 0; oc < m; oc++) {
          const groupInput = Math.floor(oc / mg) * cg;
          const wBase = oc * k;
          let acc = bias[oc]!;
          for (let t = 0; t < taps; t++) acc += dotQ8(x, tapInput[t]! + groupInput, xzp, weights, wBase + tapWeight[t]!, cg);
          out[outBase + oc] = requantizeToUint8(acc, output);
        }
      }
    }
  }
  return out;
}

function requireDims(io: OpIO, i: number, t: Int8Tensor, rank: number, what: string): void {
  if (t.ndim !== rank) {
    throw new Caffe2Error(`${what} must be ${rank}-D, got shape [${t.dims.join(',')}]`, { blob: io.inputName(i) }, 'invalid');
  }
}

/** Builds the frozen plan; mirrors the checks of the wrapper and qnnp_create_convolution2d_nhwc_q8. */
function createPlan(io: OpIO, conv: ConvPoolArgs, relu: boolean, yScale: number, yZeroPoint: number, x: Int8Tensor, wt: Int8Tensor, b: Int8Tensor): ConvPlan {
  const [m, kh, kw, kc] = wt.dims as [number, number, number, number];
  const c = x.dims[3]!;
  const g = conv.group;
  // Caffe2 does not check: C % 0 traps, and a negative count reaches QNNPACK as a huge unsigned one.
  if (g <= 0) throw new Caffe2Error(`group ${g} must be positive (Caffe2 does not check)`, {}, 'invalid');
  if (c % g !== 0) throw new Caffe2Error('number of input channels must be divisible by groups count', { blob: io.inputName(0) });
  if (m % g !== 0) throw new Caffe2Error('number of output channels must be divisible by groups count', { blob: io.inputName(1) });
  // Caffe2 does not check these (a mismatch reads out of bounds); we refuse.
  if (kc !== c / g) {
    throw new Caffe2Error(`weights have ${kc} input channels per group, but the input has ${c} channels in ${g} groups (${c / g} per group)`, { blob: io.inputName(1) }, 'invalid');
  }
  if (kh !== conv.kernel[0] || kw !== conv.kernel[1]) {
    throw new Caffe2Error(`weights are ${kh}x${kw} but the kernel arguments say ${conv.kernel[0]}x${conv.kernel[1]}`, { blob: io.inputName(1) }, 'invalid');
  }
  if (b.size !== m) throw new Caffe2Error(`bias has ${b.size} elements, expected ${m} (one per output channel)`, { blob: io.inputName(2) }, 'invalid');
  const requant = q31Requantization(x.scale, wt.scale, yScale, 'convolution');
  return {
    groups: g,
    groupInputChannels: c / g,
    groupOutputChannels: m / g,
    kernelH: kh,
    kernelW: kw,
    // QNNPACK takes every zero point as uint8_t.
    weights: centeredWeights(wt.data as Uint8Array, wt.size, wt.zeroPoint & 255),
    bias: Int32Array.from(b.data),
    inputZeroPoint: x.zeroPoint & 255,
    output: q8OutputStage(requant, yZeroPoint, relu ? reluLowerBound(yScale, yZeroPoint) : 0),
  };
}

function int8ConvSpec(type: string, relu: boolean): OperatorSpec {
  return {
    type,
    engine: '',
    summary: relu
      ? 'NHWC uint8 convolution (groups, depthwise, dilation) with QNNPACK Q31 requantization, clamped below at the output zero point'
      : 'NHWC uint8 convolution (groups, depthwise, dilation) with QNNPACK Q31 requantization; the bias blob\'s own scale is ignored',
    schema: { minInputs: 2, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
    argKinds: { ...CONV_POOL_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i' },
    create({ def, args }) {
      const conv = parseConvPoolArgs(args, def.name ?? '');
      if (conv.order !== 'NHWC') throw new Caffe2Error(`${type} only supports NHWC order`, {}, 'needs_feature');
      let plan: ConvPlan | undefined;
      return {
        run(io) {
          if (io.numInputs !== 3) throw new Caffe2Error(`${type} needs 3 inputs (X, W, bias), got ${io.numInputs}`);
          const x = io.int8(0, 'uint8');
          const wt = io.int8(1, 'uint8');
          const b = io.int8(2, 'int32');
          requireDims(io, 0, x, 4, 'input X (N,H,W,C)');
          requireDims(io, 1, wt, 4, 'weights W (M,KH,KW,C/G)');
          const { yScale, yZeroPoint } = int8OutputQparams(args);
          const [n, h, w, c] = x.dims as [number, number, number, number];
          const geo = convPoolGeometry(conv, h, w, { n, c });
          const m = wt.dims[0]!;
          if (!plan) plan = createPlan(io, conv, relu, yScale, yZeroPoint, x, wt, b);
          else if (c !== plan.groupInputChannels * plan.groups) {
            throw new Caffe2Error(`input has ${c} channels, but this op was created on its first run for ${plan.groupInputChannels * plan.groups}`, { blob: io.inputName(0) }, 'invalid');
          }
          if (h === 0 || w === 0) throw new Caffe2Error('failed to setup QNNPACK convolution object: input height and width must be non-zero', { blob: io.inputName(0) });
          const outDims = [n, geo.outH, geo.outW, m];
          checkAllocation('uint8', outDims, io.options.maxTensorBytes);
          checkOpWork(io.options, n * geo.outH * geo.outW * m * plan.kernelH * plan.kernelW * plan.groupInputChannels, () => `a ${plan!.kernelH}x${plan!.kernelW} convolution to ${shapeString(outDims)}`);
          const win: ConvWindow = {
            strideH: geo.stride[0],
            strideW: geo.stride[1],
            dilationH: geo.dilation[0],
            dilationW: geo.dilation[1],
            padTop: geo.pads[0],
            padLeft: geo.pads[1],
          };
          const xData = x.data as Uint8Array;
          const y =
            (io.options.kernels === 'wasm' ? conv2dNhwcQ8Wasm(plan, win, xData, n, h, w, geo.outH, geo.outW, io.options.threads) : undefined) ??
            conv2dNhwcQ8(plan, win, xData, n, h, w, geo.outH, geo.outW);
          io.setOutput(0, new Int8Tensor(y, outDims, yScale, yZeroPoint));
        },
      };
    },
  };
}

export const int8ConvOps: OperatorSpec[] = [int8ConvSpec('Int8Conv', false), int8ConvSpec('Int8ConvRelu', true)];
