// Float AveragePool and MaxPool (caffe2/operators/pool_op.h, pool_op.cc: PoolOp with
// AveragePoolFunctor / MaxPoolFunctor) in NCHW (the default) or NHWC. Windows are clipped to the
// input; AveragePool divides by the number of input taps in the clipped window unless
// count_include_pad is set (default false), then by kernel_h·kernel_w. Global pooling averages
// or maxes all of H·W.
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec } from '../src/operator.js';
import { checkAllocation, shapeString } from '../src/tensor.js';
import { CONV_POOL_ARG_KINDS, checkConvPoolKernel, convPoolGeometry, parseConvPoolArgs } from './conv-pool-args.js';
import { activationStrides } from './float-conv.js';
import { dimAt, newFloatOutput, requireDtype } from './float-shape.js';

const LOWEST_FLOAT = -3.4028234663852886e38;

function poolSpec(type: 'AveragePool' | 'MaxPool'): OperatorSpec {
  const avg = type === 'AveragePool';
  return {
    type,
    engine: '',
    summary: avg
      ? 'float 2-D average pooling (NCHW or NHWC); count_include_pad (default 0) picks the divisor'
      : 'float 2-D max pooling (NCHW or NHWC)',
    schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
    argKinds: avg ? { ...CONV_POOL_ARG_KINDS, count_include_pad: 'i' } : CONV_POOL_ARG_KINDS,
    create({ def, args }) {
      const conv = parseConvPoolArgs(args, def.name ?? '');
      const countIncludePad = avg ? args.getBool('count_include_pad', false) : false;
      // PoolOp constructor.
      const k = conv.kernel.length;
      for (let d = 0; d < k; d++) enforce(conv.dilation[d] === 1, `Pooling op does not support dilation right now. (dilation ${conv.dilation[d]} vs 1)`);
      if (!conv.globalPooling) {
        for (let d = 0; d < k; d++) {
          enforce(conv.pads[d]! < conv.kernel[d]! && conv.pads[d + k]! < conv.kernel[d]!, `Pad should be smaller than kernel. (pads ${conv.pads[d]}, ${conv.pads[d + k]} vs kernel ${conv.kernel[d]})`);
        }
      }
      return {
        run(io) {
          checkConvPoolKernel(conv);
          if (conv.order === 'UNKNOWN') throw new Caffe2Error('Unknown Storage order: the order argument must be NCHW or NHWC');
          const order = conv.order;
          const x = io.tensor(0);
          const n = dimAt(io, 0, x, 0);
          const c = dimAt(io, 0, x, order === 'NCHW' ? 1 : x.ndim - 1);
          if (x.ndim !== 4) throw new Caffe2Error(`only 2-D pooling (a 4-D input) is implemented, got a ${x.ndim}-D input`, { blob: io.inputName(0) }, 'unsupported');
          const [inH, inW] = order === 'NCHW' ? [x.dims[2]!, x.dims[3]!] : [x.dims[1]!, x.dims[2]!];
          const geo = convPoolGeometry(conv, inH, inW, { c });
          requireDtype(io, 0, x, 'float32');
          const outDims = order === 'NCHW' ? [n, c, geo.outH, geo.outW] : [n, geo.outH, geo.outW, c];
          checkAllocation('float32', outDims, io.options.maxTensorBytes);
          checkOpWork(io.options, n * c * geo.outH * geo.outW * geo.kernel[0] * geo.kernel[1], () => `a ${geo.kernel.join('x')} pooling to ${shapeString(outDims)}`);
          const y = newFloatOutput(io, outDims);
          // An empty output may come with a huge batch or channel count next to its zero: loop over nothing.
          if (y.size === 0) {
            io.setOutput(0, y);
            return;
          }
          const src = x.data as Float32Array;
          const dst = y.data;
          const xs = activationStrides(order, c, inH, inW);
          const ys = activationStrides(order, c, geo.outH, geo.outW);
          const [kh, kw] = geo.kernel;
          const [sh, sw] = geo.stride;
          const [pt, pl] = geo.pads;
          for (let b = 0; b < n; b++) {
            for (let ch = 0; ch < c; ch++) {
              const xBase = b * xs.n + ch * xs.c;
              for (let oy = 0; oy < geo.outH; oy++) {
                // RunAveragePool2D / RunMaxPool2D: the window clipped to the input.
                const top = Math.max(oy * sh - pt, 0);
                const bottom = Math.min(oy * sh - pt + kh, inH);
                for (let ox = 0; ox < geo.outW; ox++) {
                  const left = Math.max(ox * sw - pl, 0);
                  const right = Math.min(ox * sw - pl + kw, inW);
                  if (bottom <= top || right <= left) {
                    throw new Caffe2Error(`pooling window at output (${oy}, ${ox}) lies entirely in the padding (Caffe2 reduces an empty window)`, { blob: io.inputName(0) }, 'invalid');
                  }
                  let v: number;
                  if (avg) {
                    let sum = 0;
                    for (let iy = top; iy < bottom; iy++) for (let ix = left; ix < right; ix++) sum += src[xBase + iy * xs.h + ix * xs.w]!;
                    v = sum / (countIncludePad ? kh * kw : (bottom - top) * (right - left));
                  } else {
                    // NHWC starts each window from the lowest finite float (Eigen max against
                    // setConstant(lowest)); NCHW takes maxCoeff of the window. They differ only
                    // for windows of -inf.
                    v = order === 'NHWC' ? LOWEST_FLOAT : -Infinity;
                    for (let iy = top; iy < bottom; iy++) {
                      for (let ix = left; ix < right; ix++) {
                        const e = src[xBase + iy * xs.h + ix * xs.w]!;
                        if (e > v) v = e;
                      }
                    }
                  }
                  dst[b * ys.n + ch * ys.c + oy * ys.h + ox * ys.w] = v;
                }
              }
            }
          }
          io.setOutput(0, y);
        },
      };
    },
  };
}

export const floatPoolOps: OperatorSpec[] = [poolSpec('AveragePool'), poolSpec('MaxPool')];
