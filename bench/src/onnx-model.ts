// The ONNX model equivalent to a random Caffe2 int8 net: walks the same layer list with the same
// weights and qparams, in ONNX's NCHW layout (ORT picks its own internal layout). Int8ConvRelu
// and Int8AddRelu have output zero point 0, where the uint8 clamp is the ReLU, so plain
// QLinearConv / QLinearAdd compute them.
import type { ConvLayer, FcLayer, Layer, RandomNet, TensorInfo } from '../../dist/examples/random-nets.js';
import { DataType, encodeModel, type OnnxNode, type OnnxTensor } from './onnx-encoder.js';

/** 'u8': uint8 weights with zero point 128, as in the Caffe2 net; 's8': the same values as int8, zero point 0. */
export type WeightType = 'u8' | 's8';

export interface OnnxWorkload {
  model: Uint8Array;
  inputName: string;
  /** NCHW (or [N, K] for an FC input). */
  inputDims: number[];
  input: Uint8Array;
  outputName: string;
  outputDims: number[];
}

/** NHWC -> NCHW dims; 2-D dims stay. */
export function nchwDims(dims: readonly number[]): number[] {
  return dims.length === 4 ? [dims[0]!, dims[3]!, dims[1]!, dims[2]!] : [...dims];
}

/** NHWC -> NCHW bytes; 2-D data stays. */
export function toNchw(data: Uint8Array, dims: readonly number[]): Uint8Array {
  if (dims.length !== 4) return data;
  const [n, h, w, c] = dims as [number, number, number, number];
  const out = new Uint8Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch]!;
  return out;
}

/** (OC, KH, KW, IC/g) -> (OC, IC/g, KH, KW), as uint8 or shifted to int8. */
function convWeights(l: ConvLayer, type: WeightType): Uint8Array | Int8Array {
  const [oc, kh, kw, icg] = l.weightDims;
  const out = type === 'u8' ? new Uint8Array(l.weights.length) : new Int8Array(l.weights.length);
  const shift = type === 'u8' ? 0 : l.weightQ.zeroPoint;
  for (let o = 0; o < oc; o++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < icg; i++) out[((o * icg + i) * kh + y) * kw + x] = l.weights[((o * kh + y) * kw + x) * icg + i]! - shift;
  return out;
}

function fcWeights(l: FcLayer, type: WeightType): Uint8Array | Int8Array {
  return type === 'u8' ? l.weights : Int8Array.from(l.weights, (v) => v - l.weightQ.zeroPoint);
}

export function onnxWorkload(net: RandomNet, weightType: WeightType): OnnxWorkload {
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const scalarsDone = new Set<string>();
  const tensor = (name: string): TensorInfo => net.tensors.get(name)!;
  const wType = weightType === 'u8' ? DataType.UINT8 : DataType.INT8;

  /** [scale, zero point] initializer names of an activation. */
  const qparams = (name: string): [string, string] => {
    const { q } = tensor(name);
    if (!scalarsDone.has(name)) {
      scalarsDone.add(name);
      inits.push({ name: `${name}_scale`, dataType: DataType.FLOAT, dims: [], data: Float32Array.of(q.scale) });
      inits.push({ name: `${name}_zp`, dataType: DataType.UINT8, dims: [], data: Uint8Array.of(q.zeroPoint) });
    }
    return [`${name}_scale`, `${name}_zp`];
  };
  /** Weight, its scale and zero point, and the bias, as initializers. */
  const weightInputs = (l: ConvLayer | FcLayer, dims: number[], data: Uint8Array | Int8Array): string[] => {
    const zp = weightType === 'u8' ? Uint8Array.of(l.weightQ.zeroPoint) : Int8Array.of(0);
    inits.push(
      { name: `${l.output}_w`, dataType: wType, dims, data },
      { name: `${l.output}_w_scale`, dataType: DataType.FLOAT, dims: [], data: Float32Array.of(l.weightQ.scale) },
      { name: `${l.output}_w_zp`, dataType: wType, dims: [], data: zp },
      { name: `${l.output}_b`, dataType: DataType.INT32, dims: [l.bias.length], data: l.bias },
    );
    return [`${l.output}_w`, `${l.output}_w_scale`, `${l.output}_w_zp`];
  };

  for (const l of net.layers as readonly Layer[]) {
    switch (l.op) {
      case 'conv': {
        const [oc, kh, kw, icg] = l.weightDims;
        const w = weightInputs(l, [oc, icg, kh, kw], convWeights(l, weightType));
        nodes.push({
          opType: 'QLinearConv',
          inputs: [l.input, ...qparams(l.input), ...w, ...qparams(l.output), `${l.output}_b`],
          outputs: [l.output],
          attributes: { kernel_shape: [l.kernel, l.kernel], strides: [l.stride, l.stride], pads: [l.pad, l.pad, l.pad, l.pad], group: l.group },
        });
        break;
      }
      case 'fc': {
        let a = l.input;
        if (tensor(l.input).dims.length !== 2) {
          a = `${l.input}_flat`;
          nodes.push({ opType: 'Flatten', inputs: [l.input], outputs: [a], attributes: { axis: 1 } });
        }
        const w = weightInputs(l, [...l.weightDims], fcWeights(l, weightType));
        nodes.push({
          opType: 'QGemm',
          domain: 'com.microsoft',
          inputs: [a, ...qparams(l.input), ...w, `${l.output}_b`, ...qparams(l.output)],
          outputs: [l.output],
          attributes: { transB: 1 },
        });
        break;
      }
      case 'add':
        nodes.push({
          opType: 'QLinearAdd',
          domain: 'com.microsoft',
          inputs: [l.inputs[0], ...qparams(l.inputs[0]), l.inputs[1], ...qparams(l.inputs[1]), ...qparams(l.output)],
          outputs: [l.output],
        });
        break;
      case 'maxpool':
        nodes.push({
          opType: 'MaxPool',
          inputs: [l.input],
          outputs: [l.output],
          attributes: { kernel_shape: [l.kernel, l.kernel], strides: [l.stride, l.stride], pads: [l.pad, l.pad, l.pad, l.pad] },
        });
        break;
      case 'globalavgpool':
        nodes.push({
          opType: 'QLinearGlobalAveragePool',
          domain: 'com.microsoft',
          inputs: [l.input, ...qparams(l.input), ...qparams(l.output)],
          outputs: [l.output],
          attributes: { channels_last: 0 },
        });
        break;
    }
  }
  const inputDims = nchwDims(net.inputDims);
  const outputDims = nchwDims(net.outputDims);
  const model = encodeModel({
    name: net.name,
    nodes,
    initializers: inits,
    inputs: [{ name: net.inputName, dataType: DataType.UINT8, dims: inputDims }],
    outputs: [{ name: net.outputName, dataType: DataType.UINT8, dims: outputDims }],
  });
  return { model, inputName: net.inputName, inputDims, input: toNchw(net.input, net.inputDims), outputName: net.outputName, outputDims };
}
