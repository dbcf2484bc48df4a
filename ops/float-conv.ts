// Float Conv and ConvRelu (caffe2/operators/conv_op.h, conv_op_impl.h, conv_relu_op.cc): 2-D
// convolution in NCHW (the default) or NHWC, with groups, dilation, padding (explicit or
// legacy_pad) and an optional bias. Arguments and output sizes come from ConvPoolOpBase
// (./conv-pool-args.ts). Each output is accumulated in double and rounded once to float;
// Caffe2's im2col + BLAS accumulates in float, so results agree to a few ulps, not bit for bit.
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { checkAllocation, shapeString, type Tensor } from '../src/tensor.js';
import { CONV_POOL_ARG_KINDS, checkConvPoolKernel, convPoolGeometry, parseConvPoolArgs, type Conv2dGeometry, type ConvPoolArgs } from './conv-pool-args.js';
import { dimAt, newFloatOutput, requireDtype } from './float-shape.js';

/** Element strides of a 4-D activation: batch, channel, row, column. */
export interface Strides4 {
  n: number;
  c: number;
  h: number;
  w: number;
}

/** Strides of an [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC) tensor. */
export function activationStrides(order: 'NCHW' | 'NHWC', c: number, h: number, w: number): Strides4 {
  return order === 'NCHW' ? { n: c * h * w, c: h * w, h: w, w: 1 } : { n: h * w * c, c: 1, h: w * c, w: c };
}

export interface FloatConvProblem {
  x: Float32Array;
  xs: Strides4;
  inH: number;
  inW: number;
  /** Filter: [M, C/G, KH, KW] (NCHW) or [M, KH, KW, C/G] (NHWC), as strides over (m, ci, ky, kx). */
  w: Float32Array;
  ws: Strides4;
  bias: Float32Array | undefined;
  y: Float32Array;
  ys: Strides4;
  batch: number;
  groups: number;
  /** Input and output channels per group. */
  cg: number;
  mg: number;
  geo: Conv2dGeometry;
  relu: boolean;
}

/** The direct convolution: taps in the padding add nothing. */
export function conv2dFloat(p: FloatConvProblem): void {
  const { x, xs, w, ws, y, ys, geo, cg, mg } = p;
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  const [pt, pl] = geo.pads;
  for (let b = 0; b < p.batch; b++) {
    for (let g = 0; g < p.groups; g++) {
      for (let mi = 0; mi < mg; mi++) {
        const m = g * mg + mi;
        const bias = p.bias ? p.bias[m]! : 0;
        for (let oy = 0; oy < geo.outH; oy++) {
          for (let ox = 0; ox < geo.outW; ox++) {
            let acc = 0;
            for (let ci = 0; ci < cg; ci++) {
              const xc = b * xs.n + (g * cg + ci) * xs.c;
              const wc = m * ws.n + ci * ws.c;
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * sh - pt + ky * dh;
                if (iy < 0 || iy >= p.inH) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * sw - pl + kx * dw;
                  if (ix < 0 || ix >= p.inW) continue;
                  acc += x[xc + iy * xs.h + ix * xs.w]! * w[wc + ky * ws.h + kx * ws.w]!;
                }
              }
            }
            const v = Math.fround(acc + bias);
            // ConvReluOp: std::max(0, v), so NaN (and -0) become +0.
            y[b * ys.n + m * ys.c + oy * ys.h + ox * ys.w] = p.relu ? (v > 0 ? v : 0) : v;
          }
        }
      }
    }
  }
}

/** ConvOp's filter checks (RunOnDeviceWithOrderNCHW / NHWC), in upstream order. */
function checkFilter(io: OpIO, conv: ConvPoolArgs, x: Tensor, w: Tensor): { n: number; c: number; m: number } {
  const g = conv.group;
  const k = conv.kernel.length;
  const nchw = conv.order === 'NCHW';
  if (!nchw) enforce(k <= 3, `Only 1-3d convolution is supported for NHWC storage type (${k} vs 3)`);
  const n = dimAt(io, 0, x, 0);
  const c = dimAt(io, 0, x, nchw ? 1 : x.ndim - 1);
  enforce(x.ndim === w.ndim, `${x.ndim} vs ${w.ndim}: the input and the filter must have the same rank`, { blob: io.inputName(1) });
  const m = dimAt(io, 1, w, 0);
  const kc = dimAt(io, 1, w, nchw ? 1 : w.ndim - 1);
  enforce(c === kc * g, `Convolution op: input channels does not match: # of input channels ${c} is not equal to kernel channels * group: ${kc}*${g}`, {
    blob: io.inputName(1),
  });
  enforce(m % g === 0, `The number of output channels is not divisible by group. (${m} vs ${g} groups)`, { blob: io.inputName(1) });
  for (let d = 0; d < k; d++) {
    const fd = dimAt(io, 1, w, d + (nchw ? 2 : 1));
    enforce(fd === conv.kernel[d], `filter dim ${d + (nchw ? 2 : 1)} is ${fd}, but kernel_[${d}] is ${conv.kernel[d]}`, { blob: io.inputName(1) });
  }
  return { n, c, m };
}

function floatConvSpec(type: 'Conv' | 'ConvRelu'): OperatorSpec {
  const relu = type === 'ConvRelu';
  return {
    type,
    engine: '',
    summary: relu
      ? 'float 2-D convolution (NCHW or NHWC, groups, dilation, optional bias) followed by max(0, y)'
      : 'float 2-D convolution (NCHW or NHWC, groups, dilation, optional bias)',
    schema: { minInputs: 2, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
    argKinds: CONV_POOL_ARG_KINDS,
    create({ def, args }) {
      // ConvOp's own constructor check (group with NHWC) always passes on CPU.
      const conv = parseConvPoolArgs(args, def.name ?? '');
      return {
        run(io) {
          checkConvPoolKernel(conv);
          if (conv.order === 'UNKNOWN') throw new Caffe2Error('Unknown Storage order: the order argument must be NCHW or NHWC');
          const order = conv.order;
          const x = io.tensor(0);
          const w = io.tensor(1);
          const { n, c, m } = checkFilter(io, conv, x, w);
          if (conv.kernel.length !== 2) {
            throw new Caffe2Error(`only 2-D convolution is implemented; this op has ${conv.kernel.length} kernel dims`, {}, 'unsupported');
          }
          if (x.ndim > 4) throw new Caffe2Error(`a 2-D convolution needs a 4-D input, got ${x.ndim}-D (std::out_of_range in ConvPoolOpBase::InferOutputSize)`, { blob: io.inputName(0) });
          if (x.ndim < 4) throw new Caffe2Error(`a 2-D convolution needs a 4-D input, got ${x.ndim}-D (Caffe2 reads past the input dims)`, { blob: io.inputName(0) }, 'invalid');
          const [inH, inW] = order === 'NCHW' ? [x.dims[2]!, x.dims[3]!] : [x.dims[1]!, x.dims[2]!];
          const geo = convPoolGeometry(conv, inH, inW, { c });
          if (geo.kernel[0] !== conv.kernel[0] || geo.kernel[1] !== conv.kernel[1]) {
            throw new Caffe2Error(`global_pooling makes the window ${geo.kernel[0]}x${geo.kernel[1]}, but the filter is ${conv.kernel[0]}x${conv.kernel[1]} (Caffe2 reads past the filter)`, {}, 'invalid');
          }
          let bias: Tensor | undefined;
          if (io.numInputs === 3) {
            bias = io.tensor(2);
            enforce(bias.ndim === 1, `bias must be 1-D (${bias.ndim} vs 1)`, { blob: io.inputName(2) });
            enforce(bias.dims[0] === m, `bias has ${bias.dims[0]} elements, expected one per output channel (${m})`, { blob: io.inputName(2) });
          }
          // ConvOp computes per-image sizes as numel / (N·C) and numel / (N·M): zero divides.
          if (n === 0 || m === 0) {
            throw new Caffe2Error(`convolution with ${n === 0 ? 'an empty batch (N = 0)' : 'no output channels (M = 0)'}: Caffe2 divides by zero`, { blob: io.inputName(n === 0 ? 0 : 1) }, 'invalid');
          }
          requireDtype(io, 0, x, 'float32');
          requireDtype(io, 1, w, 'float32');
          if (bias) requireDtype(io, 2, bias, 'float32');
          const outDims = order === 'NCHW' ? [n, m, geo.outH, geo.outW] : [n, geo.outH, geo.outW, m];
          const g = conv.group;
          const [kh, kw] = geo.kernel;
          const cg = c / g;
          checkAllocation('float32', outDims, io.options.maxTensorBytes);
          checkOpWork(io.options, n * geo.outH * geo.outW * m * kh * kw * cg, () => `a ${kh}x${kw} convolution to ${shapeString(outDims)}`);
          const y = newFloatOutput(io, outDims);
          conv2dFloat({
            x: x.data as Float32Array,
            xs: activationStrides(order, c, inH, inW),
            inH,
            inW,
            w: w.data as Float32Array,
            ws: order === 'NCHW' ? { n: cg * kh * kw, c: kh * kw, h: kw, w: 1 } : { n: kh * kw * cg, c: 1, h: kw * cg, w: cg },
            bias: bias?.data as Float32Array | undefined,
            y: y.data,
            ys: activationStrides(order, m, geo.outH, geo.outW),
            batch: n,
            groups: g,
            cg,
            mg: m / g,
            geo,
            relu,
          });
          io.setOutput(0, y);
        },
      };
    },
  };
}

export const floatConvOps: OperatorSpec[] = [floatConvSpec('Conv'), floatConvSpec('ConvRelu')];
