// Int8 workloads with seeded random weights, for benchmarks and for tests that run one net through
// two kernel implementations: single layers, MobileNetV2-1.0 and ResNet50 as Caffe2 NetDefs built
// with ModelHelper, plus the layer list they were built from (shapes, qparams, weights) so that
// another framework's model (the bench's ONNX builder) can be built with the same weights.
//
// Every net takes a uint8 NHWC input that the init net fills (Caffe2 has no Int8 feeder), so
// RunNetOnce(initNet) then RunNetOnce(predictNet) runs it. Activations are uint8; weights are
// uint8 with zero point 128 (int8 + 128); biases int32 at input scale x weight scale. Scales are
// chosen so that every requantization scale (input x weight / output) stays well below 1.
import { ModelHelper, type Argument, type NetDef } from '../src/index.js';
import { uniformGenerator } from './uniform-generator.js';

export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** A blob of the net: NHWC dims ([N, K] for a 2-D FC input or output) and its qparams. */
export interface TensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly q: QParams;
}

/** Int8Conv / Int8ConvRelu. Weights are (OC, KH, KW, IC/group) uint8; relu layers have zero point 0. */
export interface ConvLayer {
  readonly op: 'conv';
  readonly input: string;
  readonly output: string;
  readonly relu: boolean;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly group: number;
  readonly weights: Uint8Array;
  readonly weightDims: readonly [number, number, number, number];
  readonly weightQ: QParams;
  readonly bias: Int32Array;
}

/** Int8FC: Y(M, N) = X(M, K) W(N, K)^T + b, with K the product of X's dims after the first. */
export interface FcLayer {
  readonly op: 'fc';
  readonly input: string;
  readonly output: string;
  readonly weights: Uint8Array;
  readonly weightDims: readonly [number, number];
  readonly weightQ: QParams;
  readonly bias: Int32Array;
}

/** Int8Add / Int8AddRelu of two same-shape tensors. */
export interface AddLayer {
  readonly op: 'add';
  readonly inputs: readonly [string, string];
  readonly output: string;
  readonly relu: boolean;
}

/** Int8MaxPool: the output keeps the input's qparams. */
export interface MaxPoolLayer {
  readonly op: 'maxpool';
  readonly input: string;
  readonly output: string;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

/** Int8AveragePool over the whole H x W (global_pooling). */
export interface GlobalAvgPoolLayer {
  readonly op: 'globalavgpool';
  readonly input: string;
  readonly output: string;
}

export type Layer = ConvLayer | FcLayer | AddLayer | MaxPoolLayer | GlobalAvgPoolLayer;

export interface RandomNet {
  readonly name: string;
  readonly initNet: NetDef;
  readonly predictNet: NetDef;
  /** The uint8 input blob, filled by initNet with `input`. */
  readonly inputName: string;
  readonly inputDims: readonly number[];
  readonly input: Uint8Array;
  readonly inputQ: QParams;
  readonly outputName: string;
  readonly outputDims: readonly number[];
  /** Multiply-adds of one run, counted from the NetDefs by countMacs. */
  readonly macs: number;
  /** The layers in execution order, and every blob they read or write. */
  readonly layers: readonly Layer[];
  readonly tensors: ReadonlyMap<string, TensorInfo>;
}

/** Weights are 128 + uniform integers in [-WEIGHT_HALF_RANGE, WEIGHT_HALF_RANGE]. */
const WEIGHT_HALF_RANGE = 40;
const WEIGHT_STD = Math.sqrt(((2 * WEIGHT_HALF_RANGE + 1) ** 2 - 1) / 12);
/** Output scales aim at this RMS (in LSB) of the pre-activation output around its zero point. */
const TARGET_RMS = 40;
/** RMS around the zero point of a uniform 0..255 input with zero point 128. */
const UNIFORM_INPUT_RMS = 74;
/** MobileNetV2's ReLU6 as output qparams: codes 0..255 cover 0..6. */
export const RELU6_Q: QParams = { scale: Math.fround(6 / 255), zeroPoint: 0 };

export interface ConvOptions {
  outC: number;
  kernel: number;
  stride?: number;
  pad?: number;
  group?: number;
  relu?: boolean;
  /** Fixed output qparams (e.g. RELU6_Q); otherwise chosen from the estimated output RMS. */
  outQ?: QParams;
}

/** Collects layers with random weights and chosen qparams, then emits the Caffe2 nets. */
export class RandomNetBuilder {
  readonly layers: Layer[] = [];
  readonly tensors = new Map<string, TensorInfo>();
  /** Estimated RMS (in LSB) of each tensor around its zero point, to choose the next scales. */
  private readonly rms = new Map<string, number>();
  private readonly uniform: () => number;
  private inputInfo?: { name: string; data: Uint8Array };

  constructor(seed: number) {
    this.uniform = uniformGenerator(seed);
  }

  /** The net's uint8 input, uniform over 0..255 with zero point 128. */
  input(name: string, dims: readonly number[], scale = 1 / 64): string {
    const data = new Uint8Array(dims.reduce((p, d) => p * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(this.uniform() * 256);
    this.inputInfo = { name, data };
    this.define(name, dims, { scale: Math.fround(scale), zeroPoint: 128 }, UNIFORM_INPUT_RMS);
    return name;
  }

  conv(input: string, output: string, o: ConvOptions): string {
    const x = this.tensor(input);
    const [n, h, w, c] = x.dims as [number, number, number, number];
    const { kernel, stride = 1, pad = 0, group = 1, relu = false } = o;
    if (c % group !== 0 || o.outC % group !== 0) throw new Error(`${output}: channels ${c} -> ${o.outC} not divisible by group ${group}`);
    const icg = c / group;
    const k = kernel * kernel * icg;
    const { weightQ, outQ, bias } = this.quantization(output, x, k, relu, o.outQ, o.outC);
    const outH = Math.floor((h + 2 * pad - kernel) / stride) + 1;
    const outW = Math.floor((w + 2 * pad - kernel) / stride) + 1;
    const weights = this.randomWeights(o.outC * k);
    this.layers.push({ op: 'conv', input, output, relu, kernel, stride, pad, group, weights, weightDims: [o.outC, kernel, kernel, icg], weightQ, bias });
    this.define(output, [n, outH, outW, o.outC], outQ, relu ? TARGET_RMS / Math.SQRT2 : TARGET_RMS);
    return output;
  }

  fc(input: string, output: string, outF: number): string {
    const x = this.tensor(input);
    const k = x.dims.slice(1).reduce((p, d) => p * d, 1);
    const { weightQ, outQ, bias } = this.quantization(output, x, k, false, undefined, outF);
    this.layers.push({ op: 'fc', input, output, weights: this.randomWeights(outF * k), weightDims: [outF, k], weightQ, bias });
    this.define(output, [x.dims[0]!, outF], outQ, TARGET_RMS);
    return output;
  }

  add(a: string, b: string, output: string, relu = false): string {
    const ta = this.tensor(a);
    const tb = this.tensor(b);
    if (ta.dims.join() !== tb.dims.join()) throw new Error(`${output}: Int8Add of [${ta.dims}] and [${tb.dims}]`);
    const floatRms = Math.hypot(this.rms.get(a)! * ta.q.scale, this.rms.get(b)! * tb.q.scale);
    const q = { scale: Math.fround(floatRms / TARGET_RMS), zeroPoint: relu ? 0 : 128 };
    this.layers.push({ op: 'add', inputs: [a, b], output, relu });
    this.define(output, ta.dims, q, relu ? TARGET_RMS / Math.SQRT2 : TARGET_RMS);
    return output;
  }

  maxPool(input: string, output: string, kernel: number, stride: number, pad: number): string {
    const x = this.tensor(input);
    const [n, h, w, c] = x.dims as [number, number, number, number];
    const outH = Math.floor((h + 2 * pad - kernel) / stride) + 1;
    const outW = Math.floor((w + 2 * pad - kernel) / stride) + 1;
    this.layers.push({ op: 'maxpool', input, output, kernel, stride, pad });
    this.define(output, [n, outH, outW, c], x.q, this.rms.get(input)!);
    return output;
  }

  globalAvgPool(input: string, output: string): string {
    const x = this.tensor(input);
    this.layers.push({ op: 'globalavgpool', input, output });
    this.define(output, [x.dims[0]!, 1, 1, x.dims[3]!], x.q, this.rms.get(input)!);
    return output;
  }

  /** The Caffe2 nets for the layers so far, the last layer's output being the net's output. */
  finish(name: string): RandomNet {
    if (!this.inputInfo) throw new Error(`${name}: no input`);
    const last = this.layers[this.layers.length - 1]!;
    const outputName = last.output;
    const input = this.tensor(this.inputInfo.name);
    const { initNet, predictNet } = caffe2Nets(name, this.layers, this.tensors, input, this.inputInfo.data);
    return {
      name,
      initNet,
      predictNet,
      inputName: input.name,
      inputDims: input.dims,
      input: this.inputInfo.data,
      inputQ: input.q,
      outputName,
      outputDims: this.tensor(outputName).dims,
      macs: countMacs(initNet, predictNet),
      layers: this.layers,
      tensors: this.tensors,
    };
  }

  private tensor(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`unknown blob ${name}`);
    return t;
  }

  private define(name: string, dims: readonly number[], q: QParams, rms: number): void {
    if (this.tensors.has(name)) throw new Error(`blob ${name} defined twice`);
    this.tensors.set(name, { name, dims, q });
    this.rms.set(name, rms);
  }

  private randomWeights(count: number): Uint8Array {
    const span = 2 * WEIGHT_HALF_RANGE + 1;
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = 128 - WEIGHT_HALF_RANGE + Math.floor(this.uniform() * span);
    return out;
  }

  /**
   * Weight and output qparams and a random bias for a layer of reduction size k. The
   * requantization scale is TARGET_RMS / (estimated accumulator RMS), far below 1.
   */
  private quantization(output: string, x: TensorInfo, k: number, relu: boolean, fixedOutQ: QParams | undefined, outC: number) {
    const accRms = Math.sqrt(k) * this.rms.get(x.name)! * WEIGHT_STD;
    const requant = TARGET_RMS / accRms;
    let weightQ: QParams;
    let outQ: QParams;
    if (fixedOutQ) {
      outQ = fixedOutQ;
      weightQ = { scale: Math.fround((requant * outQ.scale) / x.q.scale), zeroPoint: 128 };
    } else {
      weightQ = { scale: Math.fround(1 / (WEIGHT_STD * Math.sqrt(k))), zeroPoint: 128 };
      outQ = { scale: Math.fround((x.q.scale * weightQ.scale) / requant), zeroPoint: relu ? 0 : 128 };
    }
    const actual = Math.fround(Math.fround(x.q.scale * weightQ.scale) / outQ.scale);
    if (!(actual < 1)) throw new Error(`${output}: requantization scale ${actual} >= 1`);
    const bias = new Int32Array(outC);
    for (let i = 0; i < outC; i++) bias[i] = Math.round((this.uniform() - 0.5) * (accRms / 4));
    return { weightQ, outQ, bias };
  }
}

/** Emits the init net (input and weight fills) and the predict net for a layer list. */
function caffe2Nets(name: string, layers: readonly Layer[], tensors: ReadonlyMap<string, TensorInfo>, input: TensorInfo, inputData: Uint8Array) {
  const model = new ModelHelper(name);
  const init = model.param_init_net;
  const net = model.net;
  const q = (blob: string) => tensors.get(blob)!.q;
  const yq = (blob: string) => ({ Y_scale: q(blob).scale, Y_zero_point: q(blob).zeroPoint });
  init.Int8GivenTensorFill([], input.name, { shape: [...input.dims], values: inputData, Y_scale: input.q.scale, Y_zero_point: input.q.zeroPoint });
  const fillWeights = (l: ConvLayer | FcLayer, inScale: number) => {
    init.Int8GivenTensorFill([], `${l.output}_w`, { shape: [...l.weightDims], values: l.weights, Y_scale: l.weightQ.scale, Y_zero_point: l.weightQ.zeroPoint });
    init.Int8GivenIntTensorFill([], `${l.output}_b`, { shape: [l.bias.length], values: l.bias, Y_scale: Math.fround(inScale * l.weightQ.scale), Y_zero_point: 0 });
    return [l.input, `${l.output}_w`, `${l.output}_b`];
  };
  for (const l of layers) {
    switch (l.op) {
      case 'conv': {
        const args = { kernel: l.kernel, stride: l.stride, pad: l.pad, group: l.group, order: 'NHWC', ...yq(l.output) };
        net[l.relu ? 'Int8ConvRelu' : 'Int8Conv'](fillWeights(l, q(l.input).scale), l.output, args);
        break;
      }
      case 'fc':
        net.Int8FC(fillWeights(l, q(l.input).scale), l.output, yq(l.output));
        break;
      case 'add':
        net[l.relu ? 'Int8AddRelu' : 'Int8Add']([...l.inputs], l.output, yq(l.output));
        break;
      case 'maxpool':
        net.Int8MaxPool(l.input, l.output, { kernel: l.kernel, stride: l.stride, pad: l.pad, order: 'NHWC', ...yq(l.output) });
        break;
      case 'globalavgpool':
        net.Int8AveragePool(l.input, l.output, { global_pooling: 1, order: 'NHWC', ...yq(l.output) });
        break;
    }
  }
  net.AddExternalOutput(layers[layers.length - 1]!.output);
  return { initNet: init.Proto(), predictNet: net.Proto() };
}

function intArg(args: readonly Argument[] | undefined, name: string, fallback: number): number {
  const a = args?.find((x) => x.name === name);
  return a?.i === undefined ? fallback : Number(a.i);
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/**
 * Multiply-adds of one run of predictNet, walking its ops with the blob shapes the init net's
 * fills declare: NHWC Int8Conv/Int8ConvRelu (N·OH·OW·OC·KH·KW·IC/group) and Int8FC (M·N·K).
 * Adds and pools count no multiply-adds but carry shapes; any other op is refused.
 */
export function countMacs(initNet: NetDef, predictNet: NetDef): number {
  const dims = new Map<string, number[]>();
  for (const op of initNet.op ?? []) {
    const shape = op.arg?.find((a) => a.name === 'shape');
    if (shape?.ints) dims.set(op.output![0]!, shape.ints.map(Number));
  }
  const shapeOf = (blob: string) => {
    const d = dims.get(blob);
    if (!d) throw new Error(`countMacs: no shape for blob ${blob}`);
    return d;
  };
  const window = (args: readonly Argument[] | undefined, h: number, w: number) => {
    const k = intArg(args, 'kernel', 0);
    const kh = intArg(args, 'kernel_h', k);
    const kw = intArg(args, 'kernel_w', k);
    const s = intArg(args, 'stride', 1);
    const p = intArg(args, 'pad', 0);
    const out = (size: number, kk: number) => Math.floor((size + 2 * p - kk) / s) + 1;
    return { kh, kw, outH: out(h, kh), outW: out(w, kw) };
  };
  let macs = 0;
  for (const op of predictNet.op ?? []) {
    const ins = op.input ?? [];
    const out = op.output![0]!;
    switch (op.type) {
      case 'Int8Conv':
      case 'Int8ConvRelu': {
        const [n, h, w] = shapeOf(ins[0]!) as [number, number, number, number];
        const [oc, kh, kw, icg] = shapeOf(ins[1]!) as [number, number, number, number];
        const win = window(op.arg, h, w);
        if (win.kh !== kh || win.kw !== kw) throw new Error(`countMacs: ${out}: kernel argument disagrees with the weights`);
        macs += n * win.outH * win.outW * oc * kh * kw * icg;
        dims.set(out, [n, win.outH, win.outW, oc]);
        break;
      }
      case 'Int8FC': {
        const x = shapeOf(ins[0]!);
        const [nOut, k] = shapeOf(ins[1]!) as [number, number];
        macs += x[0]! * nOut * k;
        dims.set(out, [x[0]!, nOut]);
        break;
      }
      case 'Int8Add':
      case 'Int8AddRelu':
        dims.set(out, shapeOf(ins[0]!));
        break;
      case 'Int8MaxPool':
      case 'Int8AveragePool': {
        const [n, h, w, c] = shapeOf(ins[0]!) as [number, number, number, number];
        if (intArg(op.arg, 'global_pooling', 0)) dims.set(out, [n, 1, 1, c]);
        else {
          const win = window(op.arg, h, w);
          dims.set(out, [n, win.outH, win.outW, c]);
        }
        break;
      }
      default:
        throw new Error(`countMacs: op ${op.type} is not counted`);
    }
  }
  return macs;
}

/** One-op nets: the layer shapes of the benchmark, each on a random uint8 NHWC input. */
export function singleLayerWorkloads(seed = 1): RandomNet[] {
  const conv = (name: string, dims: number[], o: ConvOptions) => {
    const b = new RandomNetBuilder(seed);
    b.conv(b.input('x', dims), 'y', o);
    return b.finish(name);
  };
  const fc = new RandomNetBuilder(seed);
  fc.fc(fc.input('x', [1, 2048]), 'y', 1000);
  return [
    conv('conv-seed-320x320x3-32-k5s2', [1, 320, 320, 3], { outC: 32, kernel: 5, stride: 2, pad: 1 }),
    conv('conv-56x56x64-64-k3', [1, 56, 56, 64], { outC: 64, kernel: 3, pad: 1 }),
    conv('conv-56x56x256-64-k1', [1, 56, 56, 256], { outC: 64, kernel: 1 }),
    conv('dwconv-112x112x32-k3', [1, 112, 112, 32], { outC: 32, kernel: 3, pad: 1, group: 32 }),
    conv('conv-112x112x32-16-k1', [1, 112, 112, 32], { outC: 16, kernel: 1 }),
    fc.finish('fc-2048-1000'),
  ];
}

export const MOBILENET_V2_NAME = 'mobilenetv2-1.0-224';
export const RESNET50_NAME = 'resnet50-v1-224';

/** MobileNetV2-1.0 at 224x224: inverted residual blocks, ReLU6 as output qparams 6/255, 0. */
export function mobileNetV2Int8(seed = 2): RandomNet {
  const b = new RandomNetBuilder(seed);
  let x = b.conv(b.input('data', [1, 224, 224, 3]), 'stem', { outC: 32, kernel: 3, stride: 2, pad: 1, relu: true, outQ: RELU6_Q });
  // (expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper.
  const stages: Array<[number, number, number, number]> = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  let c = 32;
  let block = 0;
  for (const [t, outC, n, s] of stages) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const p = `b${block++}`;
      let y = x;
      if (t !== 1) y = b.conv(y, `${p}_expand`, { outC: c * t, kernel: 1, relu: true, outQ: RELU6_Q });
      y = b.conv(y, `${p}_dw`, { outC: c * t, kernel: 3, stride, pad: 1, group: c * t, relu: true, outQ: RELU6_Q });
      y = b.conv(y, `${p}_project`, { outC, kernel: 1 });
      x = stride === 1 && c === outC ? b.add(x, y, `${p}_sum`) : y;
      c = outC;
    }
  }
  x = b.conv(x, 'last_conv', { outC: 1280, kernel: 1, relu: true, outQ: RELU6_Q });
  b.fc(b.globalAvgPool(x, 'pool'), 'logits', 1000);
  return b.finish(MOBILENET_V2_NAME);
}

/**
 * ResNet50 (v1, bottleneck blocks [3, 4, 6, 3]) at 224x224, with the stride on the 3x3 conv as
 * Caffe2's resnet.py and torchvision place it; ReLUs fused into Int8ConvRelu / Int8AddRelu.
 */
export function resNet50Int8(seed = 3): RandomNet {
  const b = new RandomNetBuilder(seed);
  let x = b.conv(b.input('data', [1, 224, 224, 3]), 'conv1', { outC: 64, kernel: 7, stride: 2, pad: 3, relu: true });
  x = b.maxPool(x, 'pool1', 3, 2, 1);
  const stages: Array<[number, number]> = [[64, 3], [128, 4], [256, 6], [512, 3]];
  stages.forEach(([width, blocks], stage) => {
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const p = `res${stage + 2}_${i}`;
      let y = b.conv(x, `${p}_branch2a`, { outC: width, kernel: 1, relu: true });
      y = b.conv(y, `${p}_branch2b`, { outC: width, kernel: 3, stride, pad: 1, relu: true });
      y = b.conv(y, `${p}_branch2c`, { outC: width * 4, kernel: 1 });
      const shortcut = i === 0 ? b.conv(x, `${p}_branch1`, { outC: width * 4, kernel: 1, stride }) : x;
      x = b.add(shortcut, y, `${p}_sum`, true);
    }
  });
  b.fc(b.globalAvgPool(x, 'pool5'), 'pred', 1000);
  return b.finish(RESNET50_NAME);
}
