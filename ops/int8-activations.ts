// Int8Relu, Int8LeakyRelu, Int8Sigmoid and Int8Softmax, default engine: Caffe2's wrappers
// (caffe2/operators/quantized/int8_relu_op.h, int8_leaky_relu_op.h, int8_sigmoid_op.h,
// int8_softmax_op.h) around QNNPACK's clamp, leaky-relu and sigmoid lookup-table, and
// soft-argmax operators (src/clamp.c, src/leaky-relu.c, src/sigmoid.c, src/softargmax.c, with
// the x8lut, u8rmax and u8lut32norm kernels). Each QNNPACK operator is created on the first run
// and kept, so its zero points, scales, lookup table and (softmax) channel count stay frozen.
import type { ArgumentHelper } from '../src/arguments.js';
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec } from '../src/operator.js';
import { f32, formatScale, isNormalFloat32 } from '../src/quant/float32.js';
import { applyLut, leakyReluLut, sigmoidLut, softargmaxLut } from '../src/quant/lut.js';
import { Int8Tensor, checkAllocation, shapeString } from '../src/tensor.js';

const Q8_ARG_KINDS = { Y_scale: 'f', Y_zero_point: 'i' } as const;
/** 1/256, the only output scale QNNPACK's sigmoid and soft-argmax support. */
const INV_256 = 1 / 256;

function readY(args: ArgumentHelper): { yScale: number; yZeroPoint: number } {
  return { yZeroPoint: args.getInt('Y_zero_point', 0), yScale: f32(args.getFloat('Y_scale', 1)) };
}

/** qnnp_create_*: a scale must be positive and normal (invalid_parameter otherwise). */
function requireNormalScale(opName: string, what: string, s: number): void {
  if (!(s > 0) || !isNormalFloat32(s)) {
    throw new Caffe2Error(`failed to create QNNPACK ${opName} operator: ${what} scale ${formatScale(s)} must be finite, positive and normal`);
  }
}

// ---------------------------------------------------------------------------------------------
// Int8Relu: QNNPACK clamp to [X.zp, 255]. Ypass.

/** QNNPACK's u8clamp kernel: y = min(max(x, lo), hi). */
export function clampKernel(x: Uint8Array, lo: number, hi: number): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

const int8Relu: OperatorSpec = {
  type: 'Int8Relu',
  engine: '',
  summary: "uint8 relu: max(x, X.zero_point) (QNNPACK clamp); output keeps the input's scale and zero point, which Y_scale/Y_zero_point must repeat",
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1, allowInplace: [[0, 0]] },
  argKinds: Q8_ARG_KINDS,
  create({ args }) {
    // The clamp's lower bound, frozen from the first run.
    let lower: number | undefined;
    return {
      run(io) {
        const x = io.int8(0);
        const ctx = { blob: io.inputName(0) };
        // int8_relu_op.h: CHECK_GE/CHECK_LE on the input zero point, then CHECK_EQ of the args against it.
        if (x.zeroPoint < 0 || x.zeroPoint > 255) {
          throw new Caffe2Error(`Check failed: X.zero_point in [0, 255] (X.zero_point is ${x.zeroPoint})`, ctx, 'fatal');
        }
        const { yScale, yZeroPoint } = readY(args);
        if (yZeroPoint !== x.zeroPoint) {
          throw new Caffe2Error(`Check failed: Y_offset == X.zero_point (${yZeroPoint} vs. ${x.zeroPoint})`, ctx, 'fatal');
        }
        if (yScale !== x.scale) {
          throw new Caffe2Error(`Check failed: Y_scale == X.scale (${formatScale(yScale)} vs. ${formatScale(x.scale)})`, ctx, 'fatal');
        }
        // qnnp_create_clamp_nc_u8(min = X.zp, max = 255) cannot fail: min <= max always holds.
        if (lower === undefined) lower = x.zeroPoint;
        const data = io.int8(0, 'uint8').data as Uint8Array;
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        io.setOutput(0, new Int8Tensor(clampKernel(data, lower, 255), x.dims, x.scale, x.zeroPoint));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8LeakyRelu: QNNPACK lookup table. Yq.

const TWO_POW_M8 = 2 ** -8;

const int8LeakyRelu: OperatorSpec = {
  type: 'Int8LeakyRelu',
  engine: '',
  summary: 'uint8 leaky relu through a 256-entry table (QNNPACK): y = x >= 0 ? x : alpha*x, requantized from X to Y_scale/Y_zero_point',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1, allowInplace: [[0, 0]] },
  argKinds: { alpha: 'f', ...Q8_ARG_KINDS },
  create({ args }) {
    // Read in the constructor; the default 0.01 is a double literal stored in a float.
    const alpha = f32(args.getFloat('alpha', 0.01));
    if (!(alpha > 0)) throw new Caffe2Error(`alpha must be greater than 0 (alpha is ${formatScale(alpha)})`);
    if (!(alpha < 1)) throw new Caffe2Error(`alpha must be less than 1 (alpha is ${formatScale(alpha)})`);
    let lut: Uint8Array | undefined;
    return {
      run(io) {
        const x = io.int8(0);
        const { yScale, yZeroPoint } = readY(args);
        if (yZeroPoint < 0 || yZeroPoint > 255) {
          throw new Caffe2Error(`Check failed: Y_zero_point in [0, 255] (Y_zero_point is ${yZeroPoint})`, {}, 'fatal');
        }
        if (!lut) {
          // qnnp_create_leaky_relu_nc_q8's checks, in its order (limits are 0..255, so min < max).
          if (!isNormalFloat32(alpha)) {
            throw new Caffe2Error(`failed to create QNNPACK Leaky ReLU operator: negative slope ${formatScale(alpha)} must be finite, positive and normal`);
          }
          requireNormalScale('Leaky ReLU', 'input', x.scale);
          requireNormalScale('Leaky ReLU', 'output', yScale);
          const ratio = f32(x.scale / yScale);
          if (ratio < TWO_POW_M8 || ratio >= 256) {
            throw new Caffe2Error(
              `failed to create QNNPACK Leaky ReLU operator: input-to-output scale ratio ${formatScale(ratio)} must be in the range [2^-8, 2^8)`,
              { blob: io.inputName(0) },
            );
          }
          lut = leakyReluLut(x.scale, x.zeroPoint & 255, yScale, yZeroPoint, alpha);
        }
        const data = io.int8(0, 'uint8').data as Uint8Array;
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        const out = new Uint8Array(data.length);
        applyLut(lut, data, out);
        io.setOutput(0, new Int8Tensor(out, x.dims, yScale, yZeroPoint));
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Int8Sigmoid and Int8Softmax: output fixed at scale 1/256, zero point 0.

/** The wrappers' CHECK_EQs on the output arguments (fatal), in their order. */
function requireSigmoidOutput(yScale: number, yZeroPoint: number): void {
  if (yZeroPoint !== 0) throw new Caffe2Error(`Check failed: Y_zero_point == 0 (${yZeroPoint} vs. 0)`, {}, 'fatal');
  if (yScale !== INV_256) {
    throw new Caffe2Error(`Check failed: Y_scale == 1.0f / 256.0f (${formatScale(yScale)} vs. 0.00390625)`, {}, 'fatal');
  }
}

const int8Sigmoid: OperatorSpec = {
  type: 'Int8Sigmoid',
  engine: '',
  summary: 'uint8 sigmoid through a 256-entry table built with float32 expf (QNNPACK); Y_scale must be 1/256 and Y_zero_point 0',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  argKinds: Q8_ARG_KINDS,
  create({ args }) {
    let lut: Uint8Array | undefined;
    return {
      run(io) {
        const x = io.int8(0);
        const { yScale, yZeroPoint } = readY(args);
        requireSigmoidOutput(yScale, yZeroPoint);
        if (!lut) {
          // qnnp_create_sigmoid_nc_q8: the output scale and zero point were checked above.
          requireNormalScale('Sigmoid', 'input', x.scale);
          lut = sigmoidLut(x.scale, x.zeroPoint & 255);
        }
        const data = io.int8(0, 'uint8').data as Uint8Array;
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        const out = new Uint8Array(data.length);
        applyLut(lut, data, out);
        io.setOutput(0, new Int8Tensor(out, x.dims, yScale, yZeroPoint));
      },
    };
  },
};

/**
 * QNNPACK soft-argmax over `rows` rows of `channels` bytes (operator-run.c with the u8rmax and
 * u8lut32norm kernels): per row, t[v] = lut[v + 255 - max], S = Σ t[x_j] in uint32 (wrapping),
 * y_j = min(255, floor((t[x_j]·256 + floor(S/2)) / S)).
 */
export function softargmaxKernel(lut: Uint32Array, x: Uint8Array, rows: number, channels: number): Uint8Array {
  const out = new Uint8Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    const base = r * channels;
    let max = 0;
    for (let c = 0; c < channels; c++) if (x[base + c]! > max) max = x[base + c]!;
    const adjust = 255 - max;
    let sum = 0;
    for (let c = 0; c < channels; c++) sum = (sum + lut[x[base + c]! + adjust]!) >>> 0;
    if (sum === 0) {
      // Only reachable when the uint32 sum wraps to exactly 0 (e.g. 1024 equal values, each
      // 2^22): QNNPACK then divides by zero, which is undefined behaviour. We refuse.
      throw new Caffe2Error(`softmax row ${r}: the 32-bit sum of table entries wrapped to 0, so QNNPACK would divide by zero`, {}, 'invalid');
    }
    const rounding = Math.floor(sum / 2);
    for (let c = 0; c < channels; c++) {
      // (t << 8) + rounding stays below 2^32 (t < 2^23), so the quotient is exact in a double.
      const q = Math.floor((lut[x[base + c]! + adjust]! * 256 + rounding) / sum);
      out[base + c] = q > 255 ? 255 : q;
    }
  }
  return out;
}

interface SoftmaxPlan {
  channels: number;
  lut: Uint32Array;
}

const int8Softmax: OperatorSpec = {
  type: 'Int8Softmax',
  engine: '',
  summary: 'uint8 softmax over all elements after dim 0 (QNNPACK soft-argmax, double-precision exp table); Y_scale must be 1/256 and Y_zero_point 0',
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  // `axis` is in the schema but the op never reads it.
  argKinds: { ...Q8_ARG_KINDS, axis: 'i' },
  create({ args }) {
    let plan: SoftmaxPlan | undefined;
    return {
      run(io) {
        const x = io.int8(0);
        const ctx = { blob: io.inputName(0) };
        const { yScale, yZeroPoint } = readY(args);
        requireSigmoidOutput(yScale, yZeroPoint);
        if (x.ndim === 0) throw new Caffe2Error('softmax of a 0-dimensional tensor: dimension 0 does not exist', ctx);
        const rows = x.dims[0]!;
        // Caffe2 computes numel / size(0) in integers: a zero batch divides by zero (we refuse).
        if (rows === 0) {
          throw new Caffe2Error(`softmax input ${shapeString(x.dims)} has dimension 0 of size 0: Caffe2 divides by it (undefined behaviour)`, ctx, 'invalid');
        }
        const channels = x.size / rows;
        if (!plan) {
          // qnnp_create_softargmax_nc_q8, in its order; the channel count is frozen here.
          if (channels === 0) {
            throw new Caffe2Error(`failed to create QNNPACK SoftArgMax operator: input ${shapeString(x.dims)} has 0 channels (elements per row)`, ctx);
          }
          requireNormalScale('SoftArgMax', 'input', x.scale);
          plan = { channels, lut: softargmaxLut(x.scale, channels) };
        } else if (channels !== plan.channels) {
          // QNNPACK would keep processing plan.channels bytes per row at the new stride, reading
          // past the input or leaving output bytes unwritten. Caffe2 does not check; we refuse.
          throw new Caffe2Error(
            `softmax input ${shapeString(x.dims)} has ${channels} elements per row, but this op was created on its first run for ${plan.channels}`,
            ctx,
            'invalid',
          );
        }
        const data = io.int8(0, 'uint8').data as Uint8Array;
        checkAllocation('uint8', x.dims, io.options.maxTensorBytes);
        io.setOutput(0, new Int8Tensor(softargmaxKernel(plan.lut, data, rows, channels), x.dims, yScale, yZeroPoint));
      },
    };
  },
};

export const int8ActivationOps: OperatorSpec[] = [int8Relu, int8LeakyRelu, int8Sigmoid, int8Softmax];
