// Int8Add, Int8AddRelu and their aliases Int8Sum, Int8SumRelu, default engine: the QNNPACK-based
// Caffe2 wrapper (caffe2/operators/quantized/int8_add_op.h, the version that calls
// qnnp_create_add_nc_q8 with channels = 1 and batch = numel; not the older TFLite-style kernel)
// around QNNPACK's add operator (src/add.c, src/q8vadd/sse2.c). Arithmetic: SEMANTICS.md §3.3.
import { Caffe2Error } from '../src/errors.js';
import type { OperatorSpec, OpIO } from '../src/operator.js';
import { addQuantization, addVectors, type AddQuantization } from '../src/quant/add-requantize.js';
import { f32 } from '../src/quant/float32.js';
import { reluLowerBound } from '../src/quant/quantize.js';
import { Int8Tensor, checkAllocation, shapeString } from '../src/tensor.js';
import { addVectorsWasm } from '../src/kernels/wasm-add.js';

/** Reference kernel: QNNPACK's q8vadd over the flattened tensors. Kept separate so a faster one can replace it. */
export function int8AddKernel(q: AddQuantization, a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  addVectors(q, a, b, out);
  return out;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function int8AddSpec(type: string, relu: boolean, alias: boolean): OperatorSpec {
  return {
    type,
    engine: '',
    summary: relu
      ? `${alias ? 'alias of Int8AddRelu: ' : ''}elementwise uint8 A + B (same shapes, no broadcast) with QNNPACK's 22-bit multipliers, clamped below at the output zero point`
      : `${alias ? 'alias of Int8Add: ' : ''}elementwise uint8 A + B (same shapes, no broadcast) with QNNPACK's 22-bit multipliers and a rounding shift`,
    // Int8Add/AddRelu: exactly 2 inputs. The Sum schemas accept 1 or more inputs, but the op
    // itself still requires exactly 2 when it runs.
    schema: { minInputs: alias ? 1 : 2, maxInputs: alias ? Infinity : 2, minOutputs: 1, maxOutputs: 1, allowInplace: [[0, 0], [1, 0]] },
    argKinds: { Y_scale: 'f', Y_zero_point: 'i' },
    create({ args }) {
      // QNNPACK's add operator, created on the first successful run and kept (SEMANTICS.md §2).
      let plan: AddQuantization | undefined;
      return {
        run(io: OpIO) {
          if (io.numInputs !== 2) throw new Caffe2Error(`${type} takes exactly 2 inputs when it runs, got ${io.numInputs}`);
          const a = io.int8(0);
          const b = io.int8(1);
          if (!sameDims(a.dims, b.dims)) {
            throw new Caffe2Error(
              `inputs must have the same shape (broadcast semantics is not supported): A is ${shapeString(a.dims)}, B is ${shapeString(b.dims)}`,
              { blob: io.inputName(1) },
            );
          }
          // Read on every run, after the inputs (RunOnDevice order); Y_zero_point stays unnarrowed on the tensor.
          const yZeroPoint = args.getInt('Y_zero_point', 0);
          const yScale = f32(args.getFloat('Y_scale', 1));
          if (!plan) {
            plan = addQuantization({
              // QNNPACK takes every zero point as uint8_t.
              aZeroPoint: a.zeroPoint & 255,
              aScale: a.scale,
              bZeroPoint: b.zeroPoint & 255,
              bScale: b.scale,
              yZeroPoint: yZeroPoint & 255,
              yScale,
              yMin: relu ? reluLowerBound(yScale, yZeroPoint) : 0,
              yMax: 255,
            });
          }
          // The uint8 data is only requested when QNNPACK is set up, after creation.
          const aData = io.int8(0, 'uint8').data as Uint8Array;
          const bData = io.int8(1, 'uint8').data as Uint8Array;
          checkAllocation('uint8', a.dims, io.options.maxTensorBytes);
          const y = (io.options.kernels === 'wasm' ? addVectorsWasm(plan, aData, bData, io.options.threads) : undefined) ?? int8AddKernel(plan, aData, bData);
          io.setOutput(0, new Int8Tensor(y, a.dims, yScale, yZeroPoint));
        },
      };
    },
  };
}

export const int8AddOps: OperatorSpec[] = [
  int8AddSpec('Int8Add', false, false),
  int8AddSpec('Int8AddRelu', true, false),
  int8AddSpec('Int8Sum', false, true),
  int8AddSpec('Int8SumRelu', true, true),
];
