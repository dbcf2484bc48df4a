// Int8Quantize and Int8Dequantize with engine DNNLOWP (caffe2/quantization/server/
// quantize_dnnlowp_op.cc, dequantize_dnnlowp_op.cc), and the wrapper logic every DNNLOWP op
// shares (caffe2_dnnlowp_utils.cc): the per-op QuantizationFactory arguments, input qparams
// (an Int8 tensor's own, or min/max of a float tensor) and static output qparams with the
// followed_by / fused-Relu rewrite.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error, enforce } from '../src/errors.js';
import type { ArgKind, OperatorSpec, OpIO } from '../src/operator.js';
import {
  chooseParamsForRange,
  dequantizeValue,
  findMinMax,
  quantizeValues,
  reluOutputQparams,
  type QuantizationFactory,
  type QuantParams,
} from '../src/quant/fbgemm.js';
import { f32 } from '../src/quant/float32.js';
import { blobTypeName, checkAllocation, Int8Tensor, Tensor } from '../src/tensor.js';

// ---------------------------------------------------------------------------------------------
// Shared DNNLOWP wrapper logic
// ---------------------------------------------------------------------------------------------

/** The QuantizationFactory arguments every DNNLOWP op reads in its constructor. */
export const FACTORY_ARG_KINDS: Readonly<Record<string, ArgKind>> = {
  activation_precision: 'i',
  weight_precision: 'i',
  requantization_multiplier_precision: 'i',
  eltwise_quantization_precision: 'i',
  preserve_activation_sparsity: 'i',
  preserve_weight_sparsity: 'i',
  force_scale_power_of_two: 'i',
  activation_quantization_kind: 's',
  weight_quantization_kind: 's',
  followed_by: 's',
  dequantize_output: 'i',
  measure_quantization_error: 'i',
};

/** A DNNLOWP op's quantization settings; weightKind decides how float weights get their range. */
export interface DnnlowpFactory extends QuantizationFactory {
  weightKind: string;
}

/** Histogram-based kinds (dnnlowp.cc StringToKind); anything else is min/max in a release build. */
const HISTOGRAM_KINDS = new Set(['l1', 'l2', 'l2_approx', 'kl', 'p99']);

/**
 * GetQuantizationFactoryOf (caffe2_dnnlowp_utils.cc): the flags' defaults overridden per op.
 * Only 8-bit activations and weights are emulated (the fbgemm fast paths this runtime models).
 */
export function quantizationFactoryOf(args: ArgumentHelper, opType: string, requireEightBit = true): DnnlowpFactory {
  const activationPrecision = args.getInt('activation_precision', 8);
  const weightPrecision = args.getInt('weight_precision', 8);
  args.getInt('requantization_multiplier_precision', 32); // only feeds the unused fixed-point multiplier
  args.getInt('eltwise_quantization_precision', 16);
  const factory: DnnlowpFactory = {
    activationPrecision,
    weightPrecision,
    preserveActivationSparsity: args.getBool('preserve_activation_sparsity', false),
    preserveWeightSparsity: args.getBool('preserve_weight_sparsity', false),
    forceScalePowerOfTwo: args.getBool('force_scale_power_of_two', false),
    weightKind: args.getString('weight_quantization_kind', 'min_max').toLowerCase(),
  };
  args.getString('activation_quantization_kind', 'min_max'); // the ops here use min/max of the tensor regardless
  if (requireEightBit && (activationPrecision !== 8 || weightPrecision !== 8)) {
    throw new Caffe2Error(
      `${opType} (DNNLOWP) with activation_precision ${activationPrecision} / weight_precision ${weightPrecision}: only 8-bit quantization is implemented`,
      {},
      'unsupported',
    );
  }
  return factory;
}

/** Refuses histogram-based weight quantization (used where float weights get quantized). */
export function requireMinMaxWeights(factory: DnnlowpFactory, blob: string): void {
  if (HISTOGRAM_KINDS.has(factory.weightKind)) {
    throw new Caffe2Error(
      `weight_quantization_kind "${factory.weightKind}" (a histogram-based range choice) is not implemented; only min_max is`,
      { blob },
      'unsupported',
    );
  }
}

/**
 * Refuses a float range fbgemm cannot turn into qparams: NaN or infinite values make
 * ChooseQuantizationParams convert NaN to an integer (undefined behaviour).
 */
export function requireFiniteRange(min: number, max: number, blob: string, what: string): void {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new Caffe2Error(
      `${what} has range [${min}, ${max}]; fbgemm's ChooseQuantizationParams would convert a NaN zero point to an integer (undefined behaviour)`,
      { blob },
      'invalid',
    );
  }
}

/** Qparams for a float tensor from its own min/max (GetInputTensorQuantizationParamsOf). */
export function dynamicQparams(factory: QuantizationFactory, data: Float32Array, blob: string, isWeight = false): QuantParams {
  const { min, max } = findMinMax(data, 0, data.length);
  requireFiniteRange(min, max, blob, isWeight ? 'weight tensor' : 'input tensor');
  return chooseParamsForRange(factory, min, max, isWeight);
}

/**
 * The qparams of an op's input: an Int8TensorCPU's own scale and zero point, or, for a float
 * tensor, ChooseQuantizationParams over its min/max. Any other blob fails the float ENFORCE.
 */
export function inputQparams(io: OpIO, i: number, factory: QuantizationFactory): { qparams: QuantParams; isInt8: boolean } {
  const v = io.input(i);
  if (v instanceof Int8Tensor) return { qparams: { scale: v.scale, zeroPoint: v.zeroPoint }, isInt8: true };
  if (v instanceof Tensor && v.dtype === 'float32') {
    return { qparams: dynamicQparams(factory, v.data as Float32Array, io.inputName(i)), isInt8: false };
  }
  throw new Caffe2Error(`Enforce failed: tensor->template IsType<float>() (the input is ${blobTypeName(v)}, neither an Int8TensorCPU nor a float tensor)`, {
    blob: io.inputName(i),
  });
}

/** The C++ element type names Caffe2 prints in a tensor type mismatch. */
const CPP_TYPE: Record<string, string> = { uint8: 'unsigned char', int32: 'int', float32: 'float', int8: 'signed char', int64: 'long', float64: 'double' };

/** X.data<uint8_t>() on an op's input (Int8TensorCPU.t or a plain tensor). */
export function uint8Data(io: OpIO, i: number): Uint8Array {
  const v = io.input(i);
  const dtype = v instanceof Int8Tensor || v instanceof Tensor ? v.dtype : undefined;
  if (dtype === 'uint8') return (v as Int8Tensor | Tensor).data as Uint8Array;
  throw new Caffe2Error(
    `Tensor type mismatch, caller expects elements to be unsigned char, while tensor contains ${dtype ? CPP_TYPE[dtype] ?? dtype : blobTypeName(v)}`,
    { blob: io.inputName(i) },
  );
}

/** Rejects elementwise type mismatch for typed reads (data<float>(), data<int32_t>()). */
export function typeMismatch(io: OpIO, i: number, expected: 'float32' | 'int32' | 'uint8', got: string): Caffe2Error {
  return new Caffe2Error(`Tensor type mismatch, caller expects elements to be ${CPP_TYPE[expected]}, while tensor contains ${CPP_TYPE[got] ?? got}`, {
    blob: io.inputName(i),
  });
}

/** What ParseDNNLowPOperatorArguments leaves behind on an op's first run. */
export interface DnnlowpOutputArgs {
  dequantizeOutput: boolean;
  /** Static output qparams after any Relu rewrite, or undefined for dynamic quantization. */
  output: QuantParams | undefined;
}

/**
 * ParseDNNLowPOperatorArguments plus the fused-Relu adjustment of the Relu ops: Y_scale (a float
 * argument) and Y_zero_point (default 0) give static output qparams; followed_by "Relu" and the
 * fused Relu each replace them with ChooseQuantizationParams(0, Max()) (twice if both apply).
 */
export function parseOutputArgs(args: ArgumentHelper, factory: QuantizationFactory, fusedRelu: boolean): DnnlowpOutputArgs {
  const dequantizeOutput = args.getBool('dequantize_output', false);
  args.getBool('measure_quantization_error', false);
  let output: QuantParams | undefined = args.hasSingle('Y_scale', 'f')
    ? { scale: f32(args.getFloat('Y_scale', 0)), zeroPoint: args.getInt('Y_zero_point', 0) }
    : undefined;
  if (args.hasSingle('followed_by', 's')) {
    const followedBy = args.getString('followed_by', '');
    if (followedBy === 'Relu') {
      if (output) output = reluOutputQparams(factory, output);
    } else if (followedBy === 'Sigmoid' || followedBy === 'Tanh') {
      throw new Caffe2Error(`followed_by "${followedBy}" (output qparams from DNNLOWP's ${followedBy} lookup table) is not implemented`, {}, 'unsupported');
    }
    // Any other value only logs a warning upstream.
  }
  if (fusedRelu && output) output = reluOutputQparams(factory, output);
  return { dequantizeOutput, output };
}

/** Refuses dynamic output quantization (no float Y_scale argument). */
export function requireStaticOutput(out: QuantParams | undefined, opType: string): QuantParams {
  if (out) return out;
  throw new Caffe2Error(
    `${opType} (DNNLOWP) without a float Y_scale argument quantizes its output dynamically: Caffe2 runs the fp32 ${opType.replace(/^Int8/, '').replace(/Relu$/, '')} operator on dequantized inputs and takes the min/max of its output, which depends on the BLAS summation order and cannot be reproduced bit for bit; give Y_scale (and Y_zero_point)`,
    {},
    'unsupported',
  );
}

// ---------------------------------------------------------------------------------------------
// Int8Quantize / Int8Dequantize
// ---------------------------------------------------------------------------------------------

function floatTensor(io: OpIO, i: number): Tensor {
  const v = io.input(i);
  if (!(v instanceof Tensor)) {
    throw new Caffe2Error(`wrong type for the Blob instance. Blob contains ${blobTypeName(v)} while caller expects Tensor`, { blob: io.inputName(i) });
  }
  return v;
}

const int8Quantize: OperatorSpec = {
  type: 'Int8Quantize',
  engine: 'DNNLOWP',
  summary:
    'float -> uint8 with fbgemm\'s FMA rounding clamp(rint(fmaf(x, 1/s, zp)), 0, 255); qparams from Y_scale/Y_zero_point, from inputs 1-2, or else from the tensor\'s min/max',
  schema: { minInputs: 1, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { ...FACTORY_ARG_KINDS, Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    const factory = quantizationFactoryOf(args, 'Int8Quantize');
    let parsed: DnnlowpOutputArgs | undefined;
    return {
      run(io) {
        parsed ??= parseOutputArgs(args, factory, false);
        enforce(io.numInputs === 1 || io.numInputs === 3, `Int8Quantize (DNNLOWP) takes 1 or 3 inputs (X, or X, scale, zero_point), got ${io.numInputs}`);
        const x = floatTensor(io, 0);
        enforce(x.dtype === 'float32', () => `Enforce failed: Input(0).template IsType<float>() (the input holds ${x.dtype})`, { blob: io.inputName(0) });
        let q: QuantParams;
        if (io.numInputs === 3) {
          const s = floatTensor(io, 1);
          enforce(s.dtype === 'float32', 'Enforce failed: Input(1).template IsType<float>()', { blob: io.inputName(1) });
          const z = floatTensor(io, 2);
          enforce(z.dtype === 'int32', 'Enforce failed: Input(2).template IsType<int>()', { blob: io.inputName(2) });
          enforce(s.size === 1, `Enforce failed: the scale input must hold 1 value, got ${s.size}`, { blob: io.inputName(1) });
          enforce(z.size === 1, `Enforce failed: the zero point input must hold 1 value, got ${z.size}`, { blob: io.inputName(2) });
          q = { scale: (s.data as Float32Array)[0]!, zeroPoint: (z.data as Int32Array)[0]! };
        } else if (parsed.output) {
          q = parsed.output;
        } else {
          q = dynamicQparams(factory, x.data as Float32Array, io.inputName(0));
        }
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        const out = new Uint8Array(x.size);
        quantizeValues(x.data as Float32Array, 0, out, 0, x.size, q, 0, 255);
        io.setOutput(0, new Int8Tensor(out, x.dims, q.scale, q.zeroPoint));
      },
    };
  },
};

const int8Dequantize: OperatorSpec = {
  type: 'Int8Dequantize',
  engine: 'DNNLOWP',
  summary: "uint8 -> float: float(scale · (q - zp)) with the input tensor's own scale and zero point",
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: { ...FACTORY_ARG_KINDS },
  create({ args }) {
    // Read (and type-checked) as upstream; Dequantize does not depend on the precisions.
    quantizationFactoryOf(args, 'Int8Dequantize', false);
    return {
      run(io) {
        const v = io.input(0);
        if (!(v instanceof Int8Tensor)) {
          // The float path of GetInputTensorQuantizationParamsOf succeeds, then IsType<uint8_t> fails.
          const what = v instanceof Tensor ? v.dtype : blobTypeName(v);
          throw new Caffe2Error(`Enforce failed: input.template IsType<T>() (Int8Dequantize needs an Int8TensorCPU of uint8, got ${what})`, {
            blob: io.inputName(0),
          });
        }
        enforce(v.dtype === 'uint8', 'Enforce failed: input.template IsType<T>() (the Int8 tensor holds int32, not uint8)', { blob: io.inputName(0) });
        checkAllocation('float32', v.dims, io.options.maxTensorBytes);
        const src = v.data as Uint8Array;
        const out = new Float32Array(src.length);
        for (let i = 0; i < src.length; i++) out[i] = dequantizeValue(src[i]!, v.scale, v.zeroPoint);
        io.setOutput(0, new Tensor('float32', v.dims, out));
      },
    };
  },
};

export const dnnlowpQuantizeOps: OperatorSpec[] = [int8Quantize, int8Dequantize];
