// Int8FC, default engine: Caffe2's wrapper (caffe2/operators/quantized/int8_fc_op.h, the final
// QNNPACK version) around QNNPACK's qnnp_create/setup/run_fully_connected_nc_q8
// (src/fully-connected.c, which runs the q8gemm micro-kernels).
import { Caffe2Error } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { q31Requantization } from '../src/quant/q31-requantize.js';
import { checkAllocation, Int8Tensor, shapeString } from '../src/tensor.js';
import { centeredWeights, dotQ8, q8OutputStage, requantizeToUint8, type Q8OutputStage } from './q8-gemm.js';
import { int8OutputQparams } from './int8-qparams.js';
import type { ConvPlan, ConvWindow } from './int8-conv.js';
import { conv2dNhwcQ8Wasm } from '../src/kernels/wasm-conv.js';

/** What qnnp_create_fully_connected_nc_q8 freezes on the op's first run. */
export interface FcPlan {
  /** K, the input channels. */
  inputChannels: number;
  /** N, the output channels. */
  outputChannels: number;
  /** (w - kernelZeroPoint) in [N][K] order. */
  weights: Int16Array;
  bias: Int32Array;
  inputZeroPoint: number;
  output: Q8OutputStage;
}

/**
 * Y[m,n] = clamp(requant(wrap32(bias[n] + Σ_k (X[m,k] - xzp)(W[n,k] - wzp))) + yzp, 0, 255),
 * the arithmetic of every q8gemm kernel path.
 */
export function fullyConnectedQ8(plan: FcPlan, x: Uint8Array, batch: number): Uint8Array {
  const { inputChannels: k, outputChannels: n, weights, bias, inputZeroPoint: xzp, output } = plan;
  const y = new Uint8Array(batch * n);
  for (let m = 0; m < batch; m++) {
    const xRow = m * k;
    const yRow = m * n;
    for (let j = 0; j < n; j++) {
      y[yRow + j] = requantizeToUint8(bias[j]! + dotQ8(x, xRow, xzp, weights, j * k, k), output);
    }
  }
  return y;
}

/** A fully connected layer is a 1x1 convolution whose pixels are the rows of X. */
function fcAsConvPlan(plan: FcPlan): ConvPlan {
  return {
    groups: 1,
    groupInputChannels: plan.inputChannels,
    groupOutputChannels: plan.outputChannels,
    kernelH: 1,
    kernelW: 1,
    weights: plan.weights,
    bias: plan.bias,
    inputZeroPoint: plan.inputZeroPoint,
    output: plan.output,
  };
}

const POINTWISE: ConvWindow = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 };

function createFcPlan(io: OpIO, x: Int8Tensor, w: Int8Tensor, b: Int8Tensor, k: number, n: number, yScale: number, yZeroPoint: number): FcPlan {
  // The wrapper reads W and B as uint8 / int32 only here, when it creates the QNNPACK operator.
  const wq = io.int8(1, 'uint8');
  const bq = io.int8(2, 'int32');
  // Not reachable through the FATAL checks unless W has extra trailing dims of size 0; QNNPACK
  // would read N·K bytes that are not there.
  if (wq.size < n * k) {
    throw new Caffe2Error(`weights ${shapeString(w.dims)} hold ${wq.size} values, fewer than N·K = ${n}·${k}`, { blob: io.inputName(1) }, 'invalid');
  }
  const requant = q31Requantization(x.scale, w.scale, yScale, 'fully connected');
  return {
    inputChannels: k,
    outputChannels: n,
    // QNNPACK packs the first N·K bytes row-major as (N, K), whatever W's trailing dims.
    weights: centeredWeights(wq.data as Uint8Array, n * k, w.zeroPoint & 255),
    bias: Int32Array.from(bq.data),
    // Zero points reach QNNPACK as uint8_t.
    inputZeroPoint: x.zeroPoint & 255,
    output: q8OutputStage(requant, yZeroPoint),
  };
}

const int8FcSpec: OperatorSpec = {
  type: 'Int8FC',
  engine: '',
  summary: 'uint8 fully connected layer, Y(M,N) = X(M,K)·W(N,K)ᵀ + b with K = X.size_from_dim(1), QNNPACK Q31 requantization',
  schema: { minInputs: 3, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    // Int8FC ignores `axis` and `axis_w`: K is always X.size_from_dim(1).
    let plan: FcPlan | undefined;
    // The same plan seen as a 1x1 convolution over M pixels, for the wasm kernels.
    let asConv: ConvPlan | undefined;
    return {
      run(io) {
        const x = io.int8(0);
        const w = io.int8(1);
        const b = io.int8(2);
        const { yScale, yZeroPoint } = int8OutputQparams(args);
        // K = size_from_dim(1): the product of dims[1:], 1 for a 0-D or 1-D X.
        const k = x.dims.slice(1).reduce((p, d) => p * d, 1);
        if (w.ndim < 2) {
          throw new Caffe2Error(`weights must be 2-D (N, K), got shape ${shapeString(w.dims)} (dimension out of range)`, { blob: io.inputName(1) });
        }
        const n = w.dims[0]!;
        if (k !== w.dims[1]) {
          throw new Caffe2Error(
            `Check failed: K == W.size(1) (${k} vs ${w.dims[1]}): input ${shapeString(x.dims)} flattens to K = ${k} columns, but the weights ${shapeString(w.dims)} have ${w.dims[1]}`,
            { blob: io.inputName(1) },
            'fatal',
          );
        }
        if (n !== b.size) {
          throw new Caffe2Error(`Check failed: N == B.numel() (${n} vs ${b.size}): the bias needs one value per output channel`, { blob: io.inputName(2) }, 'fatal');
        }
        if (k === 0) {
          throw new Caffe2Error(`input ${shapeString(x.dims)} has K = 0 columns; Caffe2 computes M = numel / K and divides by zero`, { blob: io.inputName(0) }, 'invalid');
        }
        const xq = io.int8(0, 'uint8');
        const m = x.size / k;
        const outDims = [m, n];
        checkAllocation('uint8', outDims, io.options.maxTensorBytes);
        checkOpWork(io.options, m * n * k, () => `a fully connected layer (M ${m}, N ${n}, K ${k})`);
        if (!plan) {
          plan = createFcPlan(io, x, w, b, k, n, yScale, yZeroPoint);
        } else if (plan.inputChannels !== k || plan.outputChannels !== n) {
          // QNNPACK keeps its first-run K and N and would use them with this run's strides.
          throw new Caffe2Error(
            `this op was created on its first run for K = ${plan.inputChannels}, N = ${plan.outputChannels}; now K = ${k}, N = ${n} (Caffe2 would reuse the stale QNNPACK operator)`,
            { blob: io.inputName(0) },
            'invalid',
          );
        }
        // M = 0: QNNPACK's setup accepts batch 0 and the run does nothing.
        const xData = xq.data as Uint8Array;
        let y: Uint8Array | undefined;
        if (io.options.kernels === 'wasm') {
          asConv ??= fcAsConvPlan(plan);
          y = conv2dNhwcQ8Wasm(asConv, POINTWISE, xData, m, 1, 1, 1, 1, io.options.threads);
        }
        y ??= fullyConnectedQ8(plan, xData, m);
        io.setOutput(0, new Int8Tensor(y, outDims, yScale, yZeroPoint));
      },
    };
  },
};

export const int8FcOps: OperatorSpec[] = [int8FcSpec];
