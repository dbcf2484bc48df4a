// Int8MaxPool(Relu) and Int8AveragePool(Relu), default engine: Caffe2's wrappers
// (caffe2/operators/quantized/int8_max_pool_op.h, int8_average_pool_op.h) around QNNPACK's
// max pooling (src/max-pooling.c, u8maxpool kernels), average pooling (src/average-pooling.c,
// q8avgpool kernels) and global average pooling (src/global-average-pooling.c, q8gavgpool kernels).
//
// Caffe2 sizes the output itself (ConvPoolOpBase::SetOutputSize, with the dilation arguments),
// while QNNPACK computes its own output size from the parameters it froze when the operator was
// created on the op's first run (always undilated: the wrappers pass dilation 1). Where the two
// sizes differ Caffe2 goes on into undefined behaviour (a partly written or overrun output); we
// refuse that case with kind 'invalid' and otherwise compute exactly what QNNPACK computes.
import { Caffe2Error } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import {
  avgPoolOutputByte,
  avgPoolRequantization,
  checkAvgPoolScales,
  scaleAvgPoolAccumulator,
  type AvgPoolRequantization,
} from '../src/quant/avgpool-requantize.js';
import { f32 } from '../src/quant/float32.js';
import { reluLowerBound } from '../src/quant/quantize.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';
import { checkPassThroughQparams } from './int8-qparams.js';
import { CONV_POOL_ARG_KINDS, checkConvPoolKernel, convPoolGeometry, parseConvPoolArgs, type Conv2dGeometry, type ConvPoolArgs } from './conv-pool-args.js';
import { maxPool2dNhwcU8Wasm } from '../src/kernels/wasm-pool.js';
import { averagePool2dNhwcQ8Wasm, globalAveragePoolNwcQ8Wasm } from '../src/kernels/wasm-avgpool.js';

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/** The 2-D window a QNNPACK pooling operator froze at creation. */
export interface PoolWindow {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** What qnnp_create_max_pooling2d_nhwc_u8 freezes. */
export interface MaxPoolPlan {
  window: PoolWindow;
  channels: number;
  outputMin: number;
  outputMax: number;
}

/** What qnnp_create_average_pooling2d_nhwc_q8 freezes. */
export interface AvgPoolPlan {
  window: PoolWindow;
  channels: number;
  /** Zero points as QNNPACK holds them (narrowed to uint8). */
  inputZeroPoint: number;
  outputZeroPoint: number;
  outputMin: number;
  outputMax: number;
  /** Derived from the divisor KH·KW, whatever part of the window lies in the padding. */
  requant: AvgPoolRequantization;
}

/** What qnnp_create_global_average_pooling_nwc_q8 freezes; the requantization is redone per run. */
export interface GlobalAvgPoolPlan {
  channels: number;
  inputScale: number;
  outputScale: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  outputMin: number;
  outputMax: number;
}

/**
 * The output size QNNPACK's setup computes, (pad_head + in + pad_tail - kernel) / stride + 1 on
 * size_t, or undefined where the padded input is smaller than the window (the subtraction wraps).
 */
function qnnpackOutputDim(inSize: number, head: number, tail: number, kernel: number, stride: number): number | undefined {
  const padded = head + inSize + tail;
  return padded >= kernel ? Math.floor((padded - kernel) / stride) + 1 : undefined;
}

/**
 * Max pooling as u8maxpool computes it: every tap coordinate is clamped into the image
 * (max-pooling.c builds its indirection buffer with doz() and min()), so padding never wins;
 * y = clamp(max over taps, outputMin, outputMax).
 */
export function maxPool2dNhwcU8(plan: MaxPoolPlan, x: Uint8Array, n: number, h: number, w: number, outH: number, outW: number): Uint8Array {
  const { kernelH, kernelW, strideH, strideW, padTop, padLeft } = plan.window;
  const c = plan.channels;
  const { outputMin: lo, outputMax: hi } = plan;
  const y = new Uint8Array(n * outH * outW * c);
  // An empty output (batch 0) may come with any channel count: allocate nothing more for it.
  if (y.length === 0) return y;
  const best = new Uint8Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        best.fill(0);
        for (let ky = 0; ky < kernelH; ky++) {
          const iy = Math.min(Math.max(oy * strideH + ky - padTop, 0), h - 1);
          for (let kx = 0; kx < kernelW; kx++) {
            const ix = Math.min(Math.max(ox * strideW + kx - padLeft, 0), w - 1);
            const src = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[src + ch]!;
              if (v > best[ch]!) best[ch] = v;
            }
          }
        }
        const dst = ((b * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const v = best[ch]!;
          y[dst + ch] = v < lo ? lo : v > hi ? hi : v;
        }
      }
    }
  }
  return y;
}

/**
 * Average pooling as q8avgpool computes it: acc = wrap32(Σ (x - xzp)) over the taps inside the
 * image (padded taps read xzp and add nothing), scaled by 1/(KH·KW) in QNNPACK's fixed point,
 * whatever part of the window lies in the padding (count_include_pad).
 */
export function averagePool2dNhwcQ8(plan: AvgPoolPlan, x: Uint8Array, n: number, h: number, w: number, outH: number, outW: number): Uint8Array {
  const { kernelH, kernelW, strideH, strideW, padTop, padLeft } = plan.window;
  const c = plan.channels;
  const { inputZeroPoint: xzp, outputZeroPoint: yzp, outputMin: lo, outputMax: hi } = plan;
  const { multiplier, shift } = plan.requant;
  const y = new Uint8Array(n * outH * outW * c);
  if (y.length === 0) return y;
  const sum = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        sum.fill(0);
        let taps = 0;
        for (let ky = 0; ky < kernelH; ky++) {
          const iy = oy * strideH + ky - padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kernelW; kx++) {
            const ix = ox * strideW + kx - padLeft;
            if (ix < 0 || ix >= w) continue;
            taps++;
            const src = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) sum[ch] += x[src + ch]!;
          }
        }
        const dst = ((b * outH + oy) * outW + ox) * c;
        const bias = taps * xzp;
        for (let ch = 0; ch < c; ch++) {
          const acc = (sum[ch]! - bias) | 0;
          y[dst + ch] = avgPoolOutputByte(scaleAvgPoolAccumulator(acc, multiplier, shift), yzp, lo, hi);
        }
      }
    }
  }
  return y;
}

/**
 * Global average pooling as q8gavgpool computes it, over `width` = H·W pixels per batch item:
 * acc = wrap32(Σ (x - xzp)), scaled by the per-run requantization for N = width.
 */
export function globalAveragePoolNwcQ8(plan: GlobalAvgPoolPlan, requant: AvgPoolRequantization, x: Uint8Array, n: number, width: number): Uint8Array {
  const c = plan.channels;
  const { inputZeroPoint: xzp, outputZeroPoint: yzp, outputMin: lo, outputMax: hi } = plan;
  const { multiplier, shift } = requant;
  const y = new Uint8Array(n * c);
  if (y.length === 0) return y;
  const sum = new Float64Array(c);
  const bias = width * xzp;
  for (let b = 0; b < n; b++) {
    sum.fill(0);
    for (let p = 0; p < width; p++) {
      const src = (b * width + p) * c;
      for (let ch = 0; ch < c; ch++) sum[ch] += x[src + ch]!;
    }
    for (let ch = 0; ch < c; ch++) {
      const acc = (sum[ch]! - bias) | 0;
      y[b * c + ch] = avgPoolOutputByte(scaleAvgPoolAccumulator(acc, multiplier, shift), yzp, lo, hi);
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Shared wrapper steps
// ---------------------------------------------------------------------------------------------

function windowOf(geo: Conv2dGeometry): PoolWindow {
  return {
    kernelH: geo.kernel[0],
    kernelW: geo.kernel[1],
    strideH: geo.stride[0],
    strideW: geo.stride[1],
    padTop: geo.pads[0],
    padLeft: geo.pads[1],
    padBottom: geo.pads[2],
    padRight: geo.pads[3],
  };
}

/** Up to SetOutputSize: the input, its rank (a FATAL CHECK upstream), then Caffe2's geometry. */
function poolGeometry(io: OpIO, conv: ConvPoolArgs, x: Int8Tensor): { n: number; h: number; w: number; c: number; geo: Conv2dGeometry } {
  if (x.ndim !== 4) {
    throw new Caffe2Error(`Check failed: X.t.dim() == 4 (${x.ndim} vs 4): the input must be NHWC, got shape ${shapeString(x.dims)}`, { blob: io.inputName(0) }, 'fatal');
  }
  const [n, h, w, c] = x.dims as [number, number, number, number];
  const geo = convPoolGeometry(conv, h, w, { c });
  checkAllocation('uint8', [n, geo.outH, geo.outW, c], io.options.maxTensorBytes);
  // Every output element visits its whole window (the global path visits each input element once).
  checkOpWork(io.options, n * geo.outH * geo.outW * c * geo.kernel[0] * geo.kernel[1], () => `a ${geo.kernel.join('x')} pooling to ${shapeString([n, geo.outH, geo.outW, c])}`);
  return { n, h, w, c, geo };
}

/**
 * The frozen QNNPACK operator's view of this run: its channel count must still be the input's
 * (Caffe2 passes this run's C only as the pixel stride), and its own output size must be the one
 * Caffe2 allocated. Either mismatch is undefined behaviour upstream.
 */
function checkFrozenWindow(io: OpIO, what: string, win: PoolWindow, channels: number, h: number, w: number, c: number, geo: Conv2dGeometry): void {
  if (c !== channels) {
    throw new Caffe2Error(
      `input has ${c} channels, but this op created its QNNPACK ${what} operator on its first run for ${channels} channels (Caffe2 would reuse it with mismatched strides)`,
      { blob: io.inputName(0) },
      'invalid',
    );
  }
  const oh = qnnpackOutputDim(h, win.padTop, win.padBottom, win.kernelH, win.strideH);
  const ow = qnnpackOutputDim(w, win.padLeft, win.padRight, win.kernelW, win.strideW);
  if (oh !== geo.outH || ow !== geo.outW) {
    const qs = oh === undefined || ow === undefined ? 'no valid size (the padded input is smaller than its window)' : `${oh}x${ow}`;
    throw new Caffe2Error(
      `Caffe2 sizes the output ${geo.outH}x${geo.outW} (kernel ${geo.kernel.join('x')}, stride ${geo.stride.join('x')}, dilation ${geo.dilation.join('x')}, ` +
        `pads ${geo.pads.join(',')}), but its QNNPACK ${what} operator, which pools undilated with the kernel ${win.kernelH}x${win.kernelW}, stride ${win.strideH}x${win.strideW} ` +
        `and pads ${win.padTop},${win.padLeft},${win.padBottom},${win.padRight} frozen on the first run, computes ${qs}; Caffe2 does not check this and leaves the output partly unwritten or overruns it`,
      { blob: io.inputName(0) },
      'invalid',
    );
  }
}

function createPoolOp(type: string, conv: ConvPoolArgs): void {
  if (conv.order !== 'NHWC') throw new Caffe2Error(`${type}: Int8 only supports NHWC order (order is ${conv.order})`, {}, 'needs_feature');
}

// ---------------------------------------------------------------------------------------------
// Int8MaxPool / Int8MaxPoolRelu
// ---------------------------------------------------------------------------------------------

function int8MaxPoolSpec(type: string, relu: boolean): OperatorSpec {
  return {
    type,
    engine: '',
    summary: relu
      ? 'NHWC uint8 max pooling (QNNPACK: padding never contributes), clamped below at the zero point; Y keeps X\'s scale and zero point'
      : 'NHWC uint8 max pooling (QNNPACK: padding never contributes); Y keeps X\'s scale and zero point',
    schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
    argKinds: { ...CONV_POOL_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i' },
    create({ def, args }) {
      const conv = parseConvPoolArgs(args, def.name ?? '');
      createPoolOp(type, conv);
      let plan: MaxPoolPlan | undefined;
      return {
        run(io) {
          checkConvPoolKernel(conv); // ConvPoolOpBase::RunOnDevice, before the op's own code
          const x = io.int8(0);
          checkPassThroughQparams(io, args, x);
          const { n, h, w, c, geo } = poolGeometry(io, conv, x);
          if (!plan) {
            if (geo.kernel[0] * geo.kernel[1] === 1) {
              throw new Caffe2Error(
                `failed to create QNNPACK Max Pooling operator: a 1x1 pooling window (kernel ${geo.kernel.join('x')}) is refused by QNNPACK (1x1 pooling is meaningless)`,
                { blob: io.inputName(0) },
              );
            }
            plan = {
              window: windowOf(geo),
              channels: c,
              // Y has X's qparams here; limits are frozen with the operator.
              outputMin: relu ? reluLowerBound(x.scale, x.zeroPoint) : 0,
              outputMax: 255,
            };
          }
          const xq = io.int8(0, 'uint8');
          checkFrozenWindow(io, 'Max Pooling', plan.window, plan.channels, h, w, c, geo);
          // Batch 0: QNNPACK's setup accepts it and the run writes nothing.
          const xData = xq.data as Uint8Array;
          const y =
            (io.options.kernels === 'wasm' ? maxPool2dNhwcU8Wasm(plan, xData, n, h, w, geo.outH, geo.outW, io.options.threads) : undefined) ??
            maxPool2dNhwcU8(plan, xData, n, h, w, geo.outH, geo.outW);
          io.setOutput(0, new Int8Tensor(y, [n, geo.outH, geo.outW, c], x.scale, x.zeroPoint));
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Int8AveragePool / Int8AveragePoolRelu
// ---------------------------------------------------------------------------------------------

/** 2^24: QNNPACK refuses average-pooling areas at or above this. */
const MAX_POOLING_AREA = 16777216;

function createAvgPoolPlan(io: OpIO, geo: Conv2dGeometry, c: number, x: Int8Tensor, yScale: number, yZeroPoint: number, relu: boolean): AvgPoolPlan {
  const what = 'Average Pooling';
  const area = geo.kernel[0] * geo.kernel[1];
  // qnnp_create_average_pooling2d_nhwc_q8, in its order (zero kernel, stride and channel counts
  // cannot reach it: Caffe2's own checks and SetOutputSize refuse them first).
  if (area === 1) {
    throw new Caffe2Error(
      `failed to create QNNPACK ${what} operator: a 1x1 pooling window (kernel ${geo.kernel.join('x')}) is refused by QNNPACK (1x1 pooling is meaningless) unless it covers the whole input`,
      { blob: io.inputName(0) },
    );
  }
  checkAvgPoolScales(x.scale, yScale, what);
  if (area >= MAX_POOLING_AREA) {
    throw new Caffe2Error(`failed to create QNNPACK ${what} operator: the pooling area ${geo.kernel.join('x')} = ${area} must be below 2^24`, { blob: io.inputName(0) });
  }
  return {
    window: windowOf(geo),
    channels: c,
    // QNNPACK takes every zero point as uint8_t.
    inputZeroPoint: x.zeroPoint & 255,
    outputZeroPoint: yZeroPoint & 255,
    outputMin: relu ? reluLowerBound(yScale, yZeroPoint) : 0,
    outputMax: 255,
    requant: avgPoolRequantization(x.scale, yScale, area),
  };
}

function createGlobalAvgPoolPlan(c: number, x: Int8Tensor, yScale: number, yZeroPoint: number, relu: boolean): GlobalAvgPoolPlan {
  checkAvgPoolScales(x.scale, yScale, 'Global Average Pooling');
  return {
    channels: c,
    inputScale: x.scale,
    outputScale: yScale,
    inputZeroPoint: x.zeroPoint & 255,
    outputZeroPoint: yZeroPoint & 255,
    outputMin: relu ? reluLowerBound(yScale, yZeroPoint) : 0,
    outputMax: 255,
  };
}

function int8AveragePoolSpec(type: string, relu: boolean): OperatorSpec {
  return {
    type,
    engine: '',
    summary: relu
      ? 'NHWC uint8 average pooling (QNNPACK: padding counts as the zero point, divisor KH·KW; global path when the window is the whole input), clamped below at the output zero point'
      : 'NHWC uint8 average pooling (QNNPACK: padding counts as the zero point, divisor KH·KW; global path when the window is the whole input)',
    schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
    argKinds: { ...CONV_POOL_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i' },
    create({ def, args }) {
      const conv = parseConvPoolArgs(args, def.name ?? '');
      createPoolOp(type, conv);
      // The wrapper keeps two QNNPACK operators, each created the first time its path runs.
      let plan: AvgPoolPlan | undefined;
      let globalPlan: GlobalAvgPoolPlan | undefined;
      return {
        run(io) {
          checkConvPoolKernel(conv); // ConvPoolOpBase::RunOnDevice, before the op's own code
          const x = io.int8(0);
          // Yq: read on every run.
          const yZeroPoint = args.getInt('Y_zero_point', 0);
          const yScale = f32(args.getFloat('Y_scale', 1));
          const { n, h, w, c, geo } = poolGeometry(io, conv, x);
          const [pt, pl, pb, pr] = geo.pads;
          const anyPadding = pt !== 0 || pl !== 0 || pb !== 0 || pr !== 0;
          const anyStride = geo.stride[0] > 1 || geo.stride[1] > 1;
          // int8_average_pool_op.h: no padding, no stride and a window equal to the input.
          const global = !anyPadding && !anyStride && geo.kernel[0] === h && geo.kernel[1] === w;
          let y: Uint8Array;
          if (global) {
            if (!globalPlan) globalPlan = createGlobalAvgPoolPlan(c, x, yScale, yZeroPoint, relu);
            const xq = io.int8(0, 'uint8');
            if (c !== globalPlan.channels) {
              throw new Caffe2Error(
                `input has ${c} channels, but this op created its QNNPACK Global Average Pooling operator on its first global run for ${globalPlan.channels} channels (Caffe2 would reuse it with mismatched strides)`,
                { blob: io.inputName(0) },
                'invalid',
              );
            }
            if (n === 0) {
              y = new Uint8Array(0); // setup accepts batch 0 before it computes any parameter
            } else {
              // qnnp_setup_global_average_pooling_nwc_q8 redoes the requantization for N = H·W.
              const requant = avgPoolRequantization(globalPlan.inputScale, globalPlan.outputScale, h * w);
              const xData = xq.data as Uint8Array;
              y =
                (io.options.kernels === 'wasm' ? globalAveragePoolNwcQ8Wasm(globalPlan, requant, xData, n, h * w, io.options.threads) : undefined) ??
                globalAveragePoolNwcQ8(globalPlan, requant, xData, n, h * w);
            }
          } else {
            if (!plan) plan = createAvgPoolPlan(io, geo, c, x, yScale, yZeroPoint, relu);
            const xq = io.int8(0, 'uint8');
            checkFrozenWindow(io, 'Average Pooling', plan.window, plan.channels, h, w, c, geo);
            const xData = xq.data as Uint8Array;
            y =
              (io.options.kernels === 'wasm' ? averagePool2dNhwcQ8Wasm(plan, xData, n, h, w, geo.outH, geo.outW, io.options.threads) : undefined) ??
              averagePool2dNhwcQ8(plan, xData, n, h, w, geo.outH, geo.outW);
          }
          io.setOutput(0, new Int8Tensor(y, [n, geo.outH, geo.outW, c], yScale, yZeroPoint));
        },
      };
    },
  };
}

export const int8PoolOps: OperatorSpec[] = [
  int8MaxPoolSpec('Int8MaxPool', false),
  int8MaxPoolSpec('Int8MaxPoolRelu', true),
  int8AveragePoolSpec('Int8AveragePool', false),
  int8AveragePoolSpec('Int8AveragePoolRelu', true),
];
