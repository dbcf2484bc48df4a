// The float shadow of an Int8 op: the same op computed in float from float inputs, with the
// op's weights and bias dequantized the way Caffe2 reads them. Given the dequantized int8 inputs
// the shadow isolates the error this one op adds (rounding, saturation); given the values a float
// run of the net carried to this point, it shows the error accumulated so far.
//
// The float ops registered in the op registry (Conv, FC, Add, AveragePool, MaxPool, Relu,
// Sigmoid, Softmax) do the arithmetic; Int8ConvTranspose and Int8LeakyRelu, which have no float
// op here, are computed below. Ops that only move bytes (reshape, slice, concat, ...) are
// followed by running the int8 op itself on index-carrying inputs, so the shadow gathers the
// float values from where each byte came from.
import { ArgumentHelper } from '../arguments.js';
import { Caffe2Error } from '../errors.js';
import type { Argument, OperatorDef } from '../proto/types.js';
import { f32 } from '../quant/float32.js';
import { findOp } from '../registry.js';
import { Int8Tensor, Tensor, type BlobValue } from '../tensor.js';
import { Workspace } from '../workspace.js';
import { convTransposeGeometry, parseConvTransposeArgs } from '../../ops/conv-pool-args.js';
import '../register-ops.js';

/** How the bias blob of a conv / FC is read. */
export type BiasReading =
  /** As Caffe2 does: the int32 values at input scale × weight scale, the blob's own qparams ignored. */
  | 'caffe2'
  /** As the blob's own scale and zero point say: (b - b.zero_point) × b.scale. */
  | 'own';

export interface ShadowRequest {
  def: OperatorDef;
  /** The op's input blobs as the int8 net holds them. */
  values: readonly BlobValue[];
  /** The float value of input i: the dequantized int8 blob, or the value a float run carried there. */
  floatOf(i: number): Tensor<Float32Array> | undefined;
  bias?: BiasReading;
  maxTensorBytes?: number;
}

export type ShadowOutcome = { value: Tensor<Float32Array>; method: string } | { unavailable: string };

/** Ops whose float counterpart is registered under another name, with what to add after. */
const REGISTERED: Record<string, { op: string; relu?: boolean; weighted?: boolean; extraArgs?: Argument[]; dropArgs?: boolean }> = {
  Int8Conv: { op: 'Conv', weighted: true },
  Int8ConvRelu: { op: 'ConvRelu', weighted: true },
  Int8FC: { op: 'FC', weighted: true, dropArgs: true },
  Int8FCRelu: { op: 'FC', weighted: true, relu: true, dropArgs: true },
  Int8Add: { op: 'Add', dropArgs: true },
  Int8AddRelu: { op: 'Add', relu: true, dropArgs: true },
  Int8Sum: { op: 'Add', dropArgs: true },
  Int8SumRelu: { op: 'Add', relu: true, dropArgs: true },
  // QNNPACK's average pooling counts the padding as zeros and always divides by KH·KW.
  Int8AveragePool: { op: 'AveragePool', extraArgs: [{ name: 'count_include_pad', i: 1 }] },
  Int8AveragePoolRelu: { op: 'AveragePool', relu: true, extraArgs: [{ name: 'count_include_pad', i: 1 }] },
  Int8MaxPool: { op: 'MaxPool' },
  Int8MaxPoolRelu: { op: 'MaxPool', relu: true },
  Int8Relu: { op: 'Relu', dropArgs: true },
  Int8Sigmoid: { op: 'Sigmoid', dropArgs: true },
  // Int8Softmax normalises over everything but dim 0, whatever `axis` says.
  Int8Softmax: { op: 'Softmax', dropArgs: true, extraArgs: [{ name: 'axis', i: 1 }] },
};

/** Ops that only move bytes: their shadow gathers float values through the op's own index mapping. */
const MOVEMENT = new Set(['Int8Reshape', 'Int8Flatten', 'Int8Slice', 'Int8Transpose', 'Int8ChannelShuffle', 'Int8ResizeNearest', 'Int8Concat']);

/** Ops whose output is the float input itself (in float): quantize, dequantize. */
const IDENTITY = new Set(['Int8Quantize', 'Int8Dequantize']);

/** Arguments that only concern the int8 output. */
const INT8_ONLY_ARGS = new Set(['Y_scale', 'Y_zero_point']);

/** Op types a shadow can be computed for. */
export function hasShadow(type: string): boolean {
  return type in REGISTERED || MOVEMENT.has(type) || IDENTITY.has(type) || type === 'Int8ConvTranspose' || type === 'Int8LeakyRelu';
}

/** True for ops that only move bytes around. */
export function isMovementOp(type: string): boolean {
  return MOVEMENT.has(type);
}

/** (q - zero_point) × scale of an Int8 tensor, as float32. */
export function dequantize(t: Int8Tensor): Tensor<Float32Array> {
  const out = new Float32Array(t.size);
  const s = t.scale;
  const z = t.zeroPoint;
  for (let i = 0; i < out.length; i++) out[i] = f32((t.data[i]! - z) * s);
  return new Tensor('float32', t.dims, out);
}

/** The bias as a float vector, read as Caffe2 does or at the blob's own qparams. */
export function biasAsFloat(bias: Int8Tensor, inputScale: number, weightScale: number, reading: BiasReading): Tensor<Float32Array> {
  const out = new Float32Array(bias.size);
  if (reading === 'caffe2') {
    const s = f32(inputScale * weightScale);
    for (let i = 0; i < out.length; i++) out[i] = f32(bias.data[i]! * s);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = f32((bias.data[i]! - bias.zeroPoint) * bias.scale);
  }
  return new Tensor('float32', [bias.size], out);
}

function scratch(maxTensorBytes?: number): Workspace {
  return new Workspace(maxTensorBytes ? { maxTensorBytes } : {});
}

/** Runs a registered op on the given tensors in a scratch workspace; returns output 0. */
export function runRegisteredOp(type: string, inputs: readonly BlobValue[], args: Argument[], maxTensorBytes?: number): BlobValue {
  const ws = scratch(maxTensorBytes);
  const names = inputs.map((_, i) => `shadow_in_${i}`);
  inputs.forEach((t, i) => ws.setBlob(names[i]!, t));
  ws.RunOperatorOnce({ type, input: names, output: ['shadow_out'], arg: args });
  return ws.getBlob('shadow_out');
}

function asFloat(v: BlobValue): Tensor<Float32Array> {
  if (v instanceof Tensor && v.dtype === 'float32') return v as Tensor<Float32Array>;
  throw new Caffe2Error('the float op did not produce a float32 tensor');
}

function int8Input(req: ShadowRequest, i: number, what: string): Int8Tensor {
  const v = req.values[i];
  if (!(v instanceof Int8Tensor)) throw new Caffe2Error(`${what} (input ${i}) is not an Int8 tensor`);
  return v;
}

function floatInput(req: ShadowRequest, i: number): Tensor<Float32Array> {
  const v = req.floatOf(i);
  if (!v) throw new Caffe2Error(`no float value for input ${i} (${req.def.input?.[i] ?? '?'})`);
  return v;
}

function relu(t: Tensor<Float32Array>): Tensor<Float32Array> {
  const out = new Float32Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = t.data[i]! > 0 ? t.data[i]! : 0;
  return new Tensor('float32', t.dims, out);
}

function registeredShadow(req: ShadowRequest, type: string): ShadowOutcome {
  const plan = REGISTERED[type]!;
  if (!findOp(plan.op, '')) return { unavailable: `the float op ${plan.op} is not registered` };
  const inputs: BlobValue[] = [];
  if (plan.weighted) {
    const x = int8Input(req, 0, 'X');
    const w = int8Input(req, 1, 'W');
    inputs.push(floatInput(req, 0), dequantize(w));
    if ((req.def.input?.length ?? 0) >= 3) inputs.push(biasAsFloat(int8Input(req, 2, 'bias'), x.scale, w.scale, req.bias ?? 'caffe2'));
  } else {
    const n = type.startsWith('Int8Add') || type.startsWith('Int8Sum') ? 2 : 1;
    for (let i = 0; i < n; i++) inputs.push(floatInput(req, i));
  }
  const args = [...(plan.dropArgs ? [] : (req.def.arg ?? []).filter((a) => !INT8_ONLY_ARGS.has(a.name ?? ''))), ...(plan.extraArgs ?? [])];
  const y = asFloat(runRegisteredOp(plan.op, inputs, args, req.maxTensorBytes));
  const method = `float ${plan.op}${plan.relu ? ' + Relu' : ''}${plan.weighted ? ` on dequantized weights, bias ${req.bias === 'own' ? "at the bias blob's own scale" : 'at input scale × weight scale'}` : ''}`;
  return { value: plan.relu ? relu(y) : y, method };
}

/** Float transposed convolution, NHWC, W laid out (IC, KH, KW, OC), as Int8ConvTranspose means it. */
function convTransposeShadow(req: ShadowRequest): ShadowOutcome {
  const x = int8Input(req, 0, 'X');
  const w = int8Input(req, 1, 'W');
  const b = int8Input(req, 2, 'bias');
  const xf = floatInput(req, 0);
  const wf = dequantize(w);
  const bf = biasAsFloat(b, x.scale, w.scale, req.bias ?? 'caffe2');
  const conv = parseConvTransposeArgs(new ArgumentHelper(req.def.arg));
  const [n, h, wd, ic] = xf.dims as [number, number, number, number];
  const [, kh, kw, oc] = w.dims as [number, number, number, number];
  const geo = convTransposeGeometry(conv, h, wd, { n, c: ic });
  const acc = new Float64Array(n * geo.outH * geo.outW * oc);
  for (let p = 0; p < n * geo.outH * geo.outW; p++) for (let o = 0; o < oc; o++) acc[p * oc + o] = bf.data[o]!;
  for (let bi = 0; bi < n; bi++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < wd; ix++) {
        const xBase = ((bi * h + iy) * wd + ix) * ic;
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy * geo.stride[0] - geo.pads[0] + ky;
          if (oy < 0 || oy >= geo.outH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = ix * geo.stride[1] - geo.pads[1] + kx;
            if (ox < 0 || ox >= geo.outW) continue;
            const yBase = ((bi * geo.outH + oy) * geo.outW + ox) * oc;
            for (let c = 0; c < ic; c++) {
              const xv = xf.data[xBase + c]!;
              if (xv === 0) continue;
              const wBase = ((c * kh + ky) * kw + kx) * oc;
              for (let o = 0; o < oc; o++) acc[yBase + o]! += xv * wf.data[wBase + o]!;
            }
          }
        }
      }
    }
  }
  return {
    value: new Tensor('float32', [n, geo.outH, geo.outW, oc], Float32Array.from(acc)),
    method: `float transposed convolution on dequantized weights, bias ${req.bias === 'own' ? "at the bias blob's own scale" : 'at input scale × weight scale'}`,
  };
}

function leakyReluShadow(req: ShadowRequest): ShadowOutcome {
  const alpha = f32(new ArgumentHelper(req.def.arg).getFloat('alpha', 0.01));
  const x = floatInput(req, 0);
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! < 0 ? f32(x.data[i]! * alpha) : x.data[i]!;
  return { value: new Tensor('float32', x.dims, out), method: `float leaky relu (alpha ${alpha})` };
}

/**
 * Where each output byte of a byte-moving op comes from: the op is run on copies of its inputs
 * whose bytes spell out their own element index (one base-256 digit per pass) and, with several
 * data inputs, on copies holding the input number.
 */
export interface GatherMap {
  dims: readonly number[];
  /** Data input (index into the op's inputs) each output element comes from. */
  source: Uint16Array;
  /** Element index within that input. */
  index: Float64Array;
}

export function gatherMap(def: OperatorDef, values: readonly BlobValue[], maxTensorBytes?: number): GatherMap {
  const type = def.type ?? '';
  const dataInputs = type === 'Int8Concat' ? values.map((_, i) => i) : [0];
  const tensors = dataInputs.map((i) => {
    const v = values[i];
    if (!(v instanceof Int8Tensor) || v.dtype !== 'uint8') throw new Caffe2Error(`input ${i} is not a uint8 Int8 tensor`);
    return v;
  });
  if (dataInputs.length > 255) throw new Caffe2Error('more than 255 inputs');
  const largest = Math.max(1, ...tensors.map((t) => t.size));
  const digits = Math.max(1, Math.ceil(Math.log2(largest) / 8));
  const run = (fill: (input: number, element: number) => number): Int8Tensor => {
    const ws = scratch(maxTensorBytes);
    const names = values.map((_, i) => `gather_in_${i}`);
    values.forEach((v, i) => {
      const k = dataInputs.indexOf(i);
      if (k < 0) {
        ws.setBlob(names[i]!, v);
        return;
      }
      const t = tensors[k]!;
      const bytes = new Uint8Array(t.size);
      for (let e = 0; e < bytes.length; e++) bytes[e] = fill(k, e);
      ws.setBlob(names[i]!, new Int8Tensor(bytes, t.dims, t.scale, t.zeroPoint));
    });
    const outs = (def.output ?? []).map((_, i) => `gather_out_${i}`);
    ws.RunOperatorOnce({ ...def, input: names, output: outs, engine: '' });
    const y = ws.getBlob(outs[0]!);
    if (!(y instanceof Int8Tensor)) throw new Caffe2Error('the op did not produce an Int8 tensor');
    return y;
  };
  let dims: readonly number[] = [];
  let source = new Uint16Array(0);
  if (dataInputs.length > 1) {
    const y = run((k) => k);
    dims = y.dims;
    source = Uint16Array.from(y.data, (b) => dataInputs[b]!);
  }
  let index = new Float64Array(0);
  for (let d = 0; d < digits; d++) {
    const y = run((_, e) => Math.floor(e / 256 ** d) % 256);
    if (d === 0) {
      dims = y.dims;
      index = new Float64Array(y.size);
      if (dataInputs.length === 1) source = new Uint16Array(y.size).fill(dataInputs[0]!);
    }
    for (let j = 0; j < y.size; j++) index[j]! += y.data[j]! * 256 ** d;
  }
  return { dims, source, index };
}

function movementShadow(req: ShadowRequest, map: GatherMap): ShadowOutcome {
  const floats = new Map<number, Tensor<Float32Array>>();
  const out = new Float32Array(map.index.length);
  for (let j = 0; j < out.length; j++) {
    const s = map.source[j]!;
    let f = floats.get(s);
    if (!f) {
      f = floatInput(req, s);
      floats.set(s, f);
    }
    out[j] = f.data[map.index[j]!]!;
  }
  return { value: new Tensor('float32', map.dims, out), method: `the op's own byte mapping applied to the float input${req.def.type === 'Int8Concat' ? 's, each at its own scale and zero point' : ''}` };
}

/**
 * The float shadow of one Int8 op's first output. `gather` may pass a precomputed GatherMap for
 * byte-moving ops (it does not depend on the float values).
 */
export function floatShadow(req: ShadowRequest, gather?: GatherMap): ShadowOutcome {
  const type = req.def.type ?? '';
  try {
    if (IDENTITY.has(type)) {
      const x = floatInput(req, 0);
      return { value: x, method: type === 'Int8Quantize' ? 'the float input itself' : 'the dequantized input itself' };
    }
    if (type in REGISTERED) return registeredShadow(req, type);
    if (type === 'Int8ConvTranspose') return convTransposeShadow(req);
    if (type === 'Int8LeakyRelu') return leakyReluShadow(req);
    if (MOVEMENT.has(type)) return movementShadow(req, gather ?? gatherMap(req.def, req.values, req.maxTensorBytes));
    return { unavailable: `no float shadow for ${type}` };
  } catch (e) {
    return { unavailable: `the float shadow failed: ${(e as Error).message}` };
  }
}
