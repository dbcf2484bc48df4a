// Int8FC and Int8FCRelu with engine DNNLOWP: Caffe2's FullyConnectedDNNLowPOp<uint8_t, Relu>
// (caffe2/quantization/server/fully_connected_dnnlowp_op.cc @cb3fcbc6) over FBGEMM's
// PackAWithRowOffset / PackAMatrix + PackBMatrix + ReQuantizeOutput.
//
// X may be an Int8TensorCPU or a float tensor (quantized with its own min/max qparams and
// fbgemm's FMA Quantize). W is an Int8FCDNNLowPPackedWeightBlob, or a float / Int8 tensor
// quantized on the first run. Y[i][j] = requantize(Σ_k x·w - w_zp·Σ_k x + b[j] - x_zp·col[j])
// with the same int16 pair saturation along K as the conv GEMM on CPUs without AVX512-VNNI.
// The requantization multipliers and output qparams are chosen once, on the first run.
import { Caffe2Error, enforce } from '../src/errors.js';
import { checkOpWork, type OperatorSpec, type OpIO } from '../src/operator.js';
import { maddubsPair, quantizeValues, requantizationMultiplier, requantizeAvx2, type QuantParams } from '../src/quant/fbgemm.js';
import { checkAllocation, Int8Tensor, Tensor } from '../src/tensor.js';
import {
  canonicalAxis,
  checkInt8Bias,
  computeColumnOffsets,
  Int8FCDNNLowPPackedWeightBlob,
  packedOrPlainWeight,
  quantizeFloatBias,
  quantizeWeight,
  weightInput,
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

/** What the FC kernel needs besides the quantized input rows. */
export interface DnnlowpFcKernel {
  /** Rows (M) and columns (K) of X, output columns (N). */
  rows: number;
  k: number;
  n: number;
  /** Signed weights, [N][K]. */
  weights: Int8Array;
  /** Per output column: the weight zero point multiplied by the row sum. */
  rowZeroPoint: Int32Array;
  /** Per output column: bias - x_zp·column_offsets when not folded (int32). */
  addend: Int32Array;
  multiplier: Float32Array;
  outputZeroPoint: number;
  relu: boolean;
  /** vpmaddubsw: (k even, k+1) products summed in int16 with saturation. */
  pairSaturation: boolean;
}

/** fbgemmPacked + ReQuantizeOutput for one uint8 X (rows x K). */
export function fullyConnectedDnnlowp(x: Uint8Array, p: DnnlowpFcKernel): Uint8Array {
  const { rows, k, n, weights } = p;
  const y = new Uint8Array(rows * n);
  // An empty output (no rows, or no output columns) may come with a huge other dim: loop over nothing.
  if (y.length === 0) return y;
  for (let i = 0; i < rows; i++) {
    const xo = i * k;
    let rowSum = 0;
    for (let kk = 0; kk < k; kk++) rowSum += x[xo + kk]!;
    for (let j = 0; j < n; j++) {
      const wo = j * k;
      let acc = 0;
      if (p.pairSaturation) {
        let kk = 0;
        for (; kk + 1 < k; kk += 2) acc += maddubsPair(x[xo + kk]!, weights[wo + kk]!, x[xo + kk + 1]!, weights[wo + kk + 1]!);
        if (kk < k) acc += x[xo + kk]! * weights[wo + kk]!;
      } else {
        for (let kk = 0; kk < k; kk++) acc += x[xo + kk]! * weights[wo + kk]!;
      }
      const raw = (acc - p.rowZeroPoint[j]! * rowSum + p.addend[j]!) | 0;
      y[i * n + j] = requantizeAvx2(raw, p.multiplier[j]!, p.outputZeroPoint, p.relu);
    }
  }
  return y;
}

interface FcWeights {
  packed: Int8FCDNNLowPPackedWeightBlob | null;
  qparams: readonly QuantParams[];
  weights: Int8Array;
  /** For unpacked weights, computed when needed (as ComputeColumnOffsets on W_quantized_). */
  columnOffsets: Int32Array;
  k: number;
  n: number;
}

interface FcState {
  parsed?: DnnlowpOutputArgs;
  weights?: FcWeights;
  /** b_quantized_data_ / b_quantized_ / the input qparams the bias was made for. */
  biasData: Int32Array | null;
  biasOwn: Int32Array | null;
  oldScale: number;
  oldZeroPoint: number;
  /** column_offsets_ non-empty: computed on the first run when X was float (not folded). */
  columnOffsetsFilled: boolean;
  /** Chosen on the first run only (requantization_param_selected_). */
  output?: QuantParams;
  multipliers?: Float32Array;
}

function dnnlowpFcSpec(type: string, relu: boolean): OperatorSpec {
  return {
    type,
    engine: 'DNNLOWP',
    summary: relu
      ? 'FBGEMM uint8 fully connected layer with float requantization; output qparams re-chosen over [0, Y_scale·(255 - Y_zero_point)], zero point 0'
      : 'FBGEMM uint8 fully connected layer (X Int8 or float, W packed / float / Int8) with float requantization chosen on the first run',
    schema: { minInputs: 3, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
    argKinds: { ...FACTORY_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i', axis: 'i', axis_w: 'i', quantize_channelwise: 'i', constant_weight: 'i' },
    create({ args }) {
      const axisArg = args.getInt('axis', 1);
      const axisWArg = args.getInt('axis_w', 1);
      const channelwise = args.getBool('quantize_channelwise', false);
      const constantWeight = args.getBool('constant_weight', true);
      const factory: DnnlowpFactory = quantizationFactoryOf(args, type);
      if (!constantWeight) {
        throw new Caffe2Error(`${type} (DNNLOWP) with constant_weight=0 (weights re-quantized on every run) is not implemented`, {}, 'unsupported');
      }
      const st: FcState = { biasData: null, biasOwn: null, oldScale: 0, oldZeroPoint: 0, columnOffsetsFilled: false };
      return {
        run(io) {
          st.parsed ??= parseOutputArgs(args, factory, relu);
          if (st.parsed.dequantizeOutput) {
            throw new Caffe2Error(`${type} (DNNLOWP) with dequantize_output=1 (a float output) is not implemented`, {}, 'unsupported');
          }
          const { qparams: inQ, isInt8 } = inputQparams(io, 0, factory);
          const xv = io.input(0) as Int8Tensor | Tensor;

          const { packed, dims: wDims } = packedOrPlainWeight(io, Int8FCDNNLowPPackedWeightBlob, 'a conv packed weight blob cannot feed an FC');
          const axis = canonicalAxis(axisArg, xv.ndim, io.inputName(0));
          const k = xv.dims.slice(axis).reduce((p, d) => p * d, 1);
          const rows = xv.dims.slice(0, axis).reduce((p, d) => p * d, 1);
          const axisW = canonicalAxis(axisWArg, wDims.length, io.inputName(1));
          const n = wDims.slice(0, axisW).reduce((p, d) => p * d, 1);
          const wk = wDims.slice(axisW).reduce((p, d) => p * d, 1);
          if (wk !== k) {
            // Caffe2's DNNLOWP FC does not compare them and reads the weights with X's K.
            throw new Caffe2Error(
              `input [${xv.dims.join(',')}] flattens to K = ${k} columns at axis ${axis}, but the weights [${wDims.join(',')}] have ${wk} (Caffe2 does not check and reads out of bounds)`,
              { blob: io.inputName(1) },
              'invalid',
            );
          }

          if (!st.weights) {
            if (packed) {
              enforce(packed.qparams.length === (channelwise ? n : 1), () => `Check failed: filter_qparams_.size() == ${channelwise ? 'N' : '1'} (${packed!.qparams.length} vs ${channelwise ? n : 1})`, {
                blob: io.inputName(1),
              });
              st.weights = { packed, qparams: packed.qparams, weights: packed.weights, columnOffsets: packed.columnOffsets, k, n };
            } else {
              const w = weightInput(io, 1);
              const q = quantizeWeight(io, 1, w, k, n, channelwise ? n : 1, factory, 'quantize_channelwise');
              st.weights = { packed: null, qparams: q.qparams, weights: q.weights, columnOffsets: computeColumnOffsets(k, n, q.weights, q.qparams, io.options.maxTensorBytes), k, n };
            }
          } else if (st.weights.k !== k || st.weights.n !== n) {
            throw new Caffe2Error(`this op quantized its weights on its first run for K = ${st.weights.k}, N = ${st.weights.n}; now K = ${k}, N = ${n}`, { blob: io.inputName(0) }, 'invalid');
          }
          const wts = st.weights;

          // Column offsets are used (not folded into the bias) when the first run had a float X.
          const firstBiasRun = st.biasData === null;
          if (firstBiasRun && !isInt8) st.columnOffsetsFilled = true;

          updateFcBias(io, st, wts, inQ, n);

          if (!st.output) {
            st.output = requireStaticOutput(st.parsed.output, type);
            st.multipliers = Float32Array.from(wts.qparams, (q) => requantizationMultiplier(inQ.scale, q.scale, st.output!.scale));
          }
          const out = st.output;
          const mult = st.multipliers!;

          // QuantizeInputIfNeeded: Int8 data as is, a float X through fbgemm::Quantize.
          let x: Uint8Array;
          if (isInt8) {
            x = uint8Data(io, 0);
          } else {
            checkAllocation('uint8', xv.dims, io.options.maxTensorBytes);
            x = new Uint8Array(xv.size);
            quantizeValues(xv.data as Float32Array, 0, x, 0, xv.size, inQ, 0, 255);
          }

          const rowZeroPoint = new Int32Array(n);
          const multiplier = new Float32Array(n);
          const addend = new Int32Array(n);
          for (let j = 0; j < n; j++) {
            const qi = channelwise ? j : 0;
            rowZeroPoint[j] = wts.qparams[qi]!.zeroPoint;
            multiplier[j] = mult[qi]!;
            let v = st.biasData![j]!;
            if (st.columnOffsetsFilled) v -= inQ.zeroPoint * wts.columnOffsets[j]!;
            addend[j] = v | 0;
          }
          const outDims = [...xv.dims.slice(0, axis), n];
          checkAllocation('uint8', outDims, io.options.maxTensorBytes);
          checkOpWork(io.options, rows * n * k, () => `a fully connected layer (M ${rows}, N ${n}, K ${k})`);
          const y = fullyConnectedDnnlowp(x, {
            rows, k, n, weights: wts.weights, rowZeroPoint, addend, multiplier,
            outputZeroPoint: out.zeroPoint, relu, pairSaturation: io.options.isa === 'avx2',
          });
          io.setOutput(0, new Int8Tensor(y, outDims, out.scale, out.zeroPoint));
        },
      };
    },
  };
}

/**
 * The bias part of GetQuantizationParameters_: re-derived when the input qparams change; a
 * packed bias wins over input 2; a float bias uses x_scale · w_scale[0] for every column; an
 * Int8 X folds -x_zp·column_offsets into the op's own copy (with upstream's stale-pointer
 * behaviour when a packed or Int8 bias is re-derived after a fold).
 */
function updateFcBias(io: OpIO, st: FcState, wts: FcWeights, inQ: QuantParams, n: number): void {
  if (st.biasData && inQ.scale === st.oldScale && inQ.zeroPoint === st.oldZeroPoint) return;
  const packedBias = wts.packed?.bias ?? null;
  if (packedBias) {
    if (packedBias.length < n) throw new Caffe2Error(`the packed bias has ${packedBias.length} values for ${n} outputs`, { blob: io.inputName(1) }, 'invalid');
    st.biasData = packedBias;
  } else {
    const b = io.input(2);
    if (b instanceof Int8Tensor) {
      checkInt8Bias(io, 2, b, inQ.scale, wts.qparams[0]!.scale);
      if (b.size < n) throw new Caffe2Error(`bias has ${b.size} values for ${n} outputs`, { blob: io.inputName(2) }, 'invalid');
      st.biasData = b.data as Int32Array;
    } else if (b instanceof Tensor) {
      if (b.dtype !== 'float32') throw typeMismatch(io, 2, 'float32', b.dtype);
      if (b.size < n) throw new Caffe2Error(`bias has ${b.size} values for ${n} outputs (Caffe2 reads past its end)`, { blob: io.inputName(2) }, 'invalid');
      // b_quantized_->resize(N), every column with the first weight scale
      st.biasOwn = quantizeFloatBias((b.data as Float32Array).subarray(0, n), n, inQ.scale, 1, () => wts.qparams[0]!.scale);
      st.biasData = st.biasOwn;
    } else {
      throw io.wrongTypeError(2, 'Tensor');
    }
  }
  st.oldScale = inQ.scale;
  st.oldZeroPoint = inQ.zeroPoint;
  if (inQ.zeroPoint !== 0 && !st.columnOffsetsFilled) {
    if (!st.biasOwn || st.biasOwn.length === 0) {
      st.biasOwn = Int32Array.from(st.biasData.subarray(0, n));
      st.biasData = st.biasOwn;
    }
    for (let j = 0; j < n; j++) st.biasOwn[j] = (st.biasOwn[j]! - inQ.zeroPoint * wts.columnOffsets[j]!) | 0;
  }
}

export const dnnlowpFcOps: OperatorSpec[] = [dnnlowpFcSpec('Int8FC', false), dnnlowpFcSpec('Int8FCRelu', true)];
