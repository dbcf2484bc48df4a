// Int8Quantize and Int8Dequantize, default engine (the scalar x86 code of
// caffe2/operators/quantized/int8_quantize_op.h and int8_dequantize_op.h).
import { Caffe2Error } from '../src/errors.js';
import { dequantizeWasm, quantizeWasm } from '../src/kernels/wasm-quantize.js';
import type { OperatorSpec } from '../src/operator.js';
import { dequantizeUint8, quantizeUint8 } from '../src/quant/quantize.js';
import { f32 } from '../src/quant/float32.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';

function quantizeJs(src: Float32Array, scale: number, zeroPoint: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = quantizeUint8(scale, zeroPoint, src[i]!);
  return out;
}

function dequantizeJs(src: Uint8Array, scale: number, zeroPoint: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = dequantizeUint8(scale, zeroPoint, src[i]!);
  return out;
}

export const int8Quantize: OperatorSpec = {
  type: 'Int8Quantize',
  engine: '',
  summary: 'float -> uint8: clamp(zp + round_half_even(x / Y_scale), 0, 255), division in float32',
  schema: { minInputs: 1, maxInputs: 3, minOutputs: 1, maxOutputs: 1 },
  argKinds: { Y_scale: 'f', Y_zero_point: 'i' },
  create({ args }) {
    return {
      run(io) {
        const x = io.tensor(0);
        if (x.dtype !== 'float32') {
          throw new Caffe2Error(`Tensor type mismatch, caller expects elements of float, while tensor contains ${x.dtype}`, {
            blob: io.inputName(0),
          });
        }
        // Read at run time, as the op reads them in RunOnDevice.
        const scale = f32(args.getFloat('Y_scale', 1));
        const zeroPoint = args.getInt('Y_zero_point', 0);
        // x / 0, x / NaN and x / inf give no quantization (Caffe2 does not check; the float -> int
        // conversion of the infinities and NaN it produces is undefined behaviour in C++).
        if (!(scale > 0 && scale < Infinity)) {
          throw new Caffe2Error(`Y_scale ${scale} must be finite and positive (Caffe2 does not check)`, {}, 'invalid');
        }
        const src = x.data as Float32Array;
        const out = (io.options.kernels === 'wasm' ? quantizeWasm(src, scale, zeroPoint, io.options.threads) : undefined) ?? quantizeJs(src, scale, zeroPoint);
        io.setOutput(0, new Int8Tensor(out, x.dims, scale, zeroPoint));
      },
    };
  },
};

export const int8Dequantize: OperatorSpec = {
  type: 'Int8Dequantize',
  engine: '',
  summary: "uint8 -> float: (q - zp) * scale with the input tensor's own scale and zero point (Y_scale/Y_zero_point args are ignored)",
  schema: { minInputs: 1, maxInputs: 1, minOutputs: 1, maxOutputs: 1 },
  create() {
    return {
      run(io) {
        const x = io.int8(0, 'uint8');
        const src = x.data as Uint8Array;
        const out = (io.options.kernels === 'wasm' ? dequantizeWasm(src, x.scale, x.zeroPoint, io.options.threads) : undefined) ?? dequantizeJs(src, x.scale, x.zeroPoint);
        io.setOutput(0, new Tensor('float32', x.dims, out));
      },
    };
  },
};

export const quantizeOps: OperatorSpec[] = [int8Quantize, int8Dequantize];
