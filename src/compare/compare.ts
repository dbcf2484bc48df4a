// `compare`: runs an int8 net op by op and, beside every Int8 op, its float shadow (the same op
// in float on the dequantized inputs), a float run of the whole net (to see error accumulate),
// other engines' arithmetic on the same inputs and, optionally, the user's own float model.
// Everything it measures goes into a CompareReport; findings.ts turns that into advice.
import { ArgumentHelper } from '../arguments.js';
import { Caffe2Error } from '../errors.js';
import type { NetDef, OperatorDef } from '../proto/types.js';
import { f32, roundHalfEven } from '../quant/float32.js';
import { quantizeUint8 } from '../quant/quantize.js';
import { resolveOp } from '../registry.js';
import { Int8Tensor, Tensor, type BlobValue } from '../tensor.js';
import { Workspace, type WorkspaceOptions } from '../workspace.js';
import { deriveFindings } from './findings.js';
import { num } from './fmt.js';
import { biasAsFloat, dequantize, floatShadow, gatherMap, hasShadow, isMovementOp, type GatherMap, type ShadowOutcome } from './shadow.js';
import { codeHistogram, codesOnBins, collapseOf, diffCounts, errorStats, histogram, rangeOf, saturationOf } from './stats.js';
import { prepareRun, stepNet, type Feeds } from './step.js';
import type { BiasStats, BlobInfo, CompareReport, EngineComparison, FloatModelMatch, OpComparison, OutputHistogram, ShadowReport, WeightStats } from './types.js';

export interface FloatModel {
  init?: NetDef;
  net: NetDef;
  /** int8-net blob -> float-net blob, for blobs whose names differ. Same-named blobs match without it. */
  map?: Record<string, string>;
}

export interface CompareOptions {
  net: NetDef;
  init?: NetDef;
  inputs?: Feeds;
  /** Engines to compare, e.g. ['default', 'DNNLOWP']; 'default' (or '') is Caffe2's default engine. */
  engines?: readonly string[];
  floatModel?: FloatModel;
  workspace?: WorkspaceOptions;
  /** Histogram bins per op (default 48). */
  bins?: number;
}

/** Conv-like ops: X, W (Int8), bias (Int8 int32). */
export const WEIGHTED_OPS = new Set(['Int8Conv', 'Int8ConvRelu', 'Int8ConvTranspose', 'Int8FC', 'Int8FCRelu']);
const RELU_FUSED = new Set(['Int8ConvRelu', 'Int8FCRelu', 'Int8AddRelu', 'Int8SumRelu', 'Int8AveragePoolRelu', 'Int8MaxPoolRelu', 'Int8Relu']);
/** Float ops whose output value is a rearrangement of input 0: the input's LSB still applies. */
const LAYOUT_FLOAT_OPS = new Set(['NCHW2NHWC', 'NHWC2NCHW', 'Reshape', 'Flatten', 'Transpose', 'Copy', 'Slice']);

function isParamOp(type: string): boolean {
  return type.endsWith('Fill') || type.endsWith('PackWeight');
}

/** 'default' for the empty engine. */
export function engineLabel(engine: string): string {
  return engine === '' ? 'default' : engine;
}

function engineName(label: string): string {
  const t = label.trim();
  return t === 'default' || t === '' ? '' : t;
}

export function blobInfo(name: string, v: BlobValue): BlobInfo {
  if (v === undefined) return { blob: name, kind: 'missing' };
  if (v instanceof Int8Tensor) return { blob: name, kind: 'int8', dtype: v.dtype, dims: [...v.dims], scale: v.scale, zeroPoint: v.zeroPoint };
  if (v instanceof Tensor) return { blob: name, kind: 'tensor', dtype: v.dtype, dims: [...v.dims] };
  return { blob: name, kind: 'other' };
}

function asFloat32(v: BlobValue): Tensor<Float32Array> | undefined {
  if (v instanceof Int8Tensor) return v.dtype === 'uint8' ? dequantize(v) : undefined;
  if (v instanceof Tensor && v.dtype === 'float32') return v as Tensor<Float32Array>;
  return undefined;
}

function outputQparamsFromArgs(def: OperatorDef): { scale: number; zeroPoint: number } | undefined {
  try {
    const a = new ArgumentHelper(def.arg);
    return { scale: f32(a.getFloat('Y_scale', 1)), zeroPoint: a.getInt('Y_zero_point', 0) };
  } catch {
    return undefined;
  }
}

/** The engine the registry picks for an op, or the first one it names when none can run. */
function ownEngine(def: OperatorDef): string {
  try {
    return resolveOp(def.type ?? '', def.engine).engine;
  } catch {
    return (def.engine ?? '').split(',').map((e) => e.trim()).find((e) => e !== '') ?? '';
  }
}

/** A float blob of the user's model laid out like the int8 blob (NCHW float vs NHWC int8 is transposed). */
function alignFloat(int8Dims: readonly number[], f: Tensor<Float32Array>): { data: Float32Array; layout: string } | { skipped: string } {
  const fd = f.dims;
  const same = fd.length === int8Dims.length && fd.every((d, i) => d === int8Dims[i]);
  if (same) return { data: f.data, layout: 'same' };
  if (fd.length === 4 && int8Dims.length === 4) {
    const [n, c, h, w] = fd as [number, number, number, number];
    if (int8Dims[0] === n && int8Dims[1] === h && int8Dims[2] === w && int8Dims[3] === c) {
      const out = new Float32Array(f.size);
      for (let b = 0; b < n; b++)
        for (let ch = 0; ch < c; ch++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = f.data[((b * c + ch) * h + y) * w + x]!;
      return { data: out, layout: 'NCHW -> NHWC' };
    }
  }
  const size = int8Dims.reduce((p, d) => p * d, 1);
  if (size === f.size) return { data: f.data, layout: 'flat' };
  return { skipped: `shapes differ: int8 [${int8Dims.join(',')}], float [${fd.join(',')}]` };
}

interface FloatRun {
  values: Map<string, Tensor<Float32Array>>;
  failure?: string;
}

function runFloatModel(model: FloatModel, feeds: Feeds | undefined, options: WorkspaceOptions): FloatRun {
  const values = new Map<string, Tensor<Float32Array>>();
  let failure: string | undefined;
  try {
    const { ws } = prepareRun(model.net, model.init, feeds, options);
    for (const step of stepNet(ws, model.net)) {
      if (step.error) {
        failure = step.error.message;
        break;
      }
    }
    for (const name of ws.Blobs()) {
      const v = ws.getBlob(name);
      if (v instanceof Tensor && v.dtype === 'float32') values.set(name, v as Tensor<Float32Array>);
    }
  } catch (e) {
    failure = (e as Error).message;
  }
  return { values, failure };
}

/** Runs one op alone on the given input values in a scratch workspace; returns its outputs. */
function runAlone(def: OperatorDef, inputs: readonly BlobValue[], options: WorkspaceOptions): BlobValue[] {
  const ws = new Workspace(options);
  (def.input ?? []).forEach((n, i) => ws.setBlob(n, inputs[i]));
  ws.RunOperatorOnce(def);
  return (def.output ?? []).map((n) => ws.getBlob(n));
}

interface OpContext {
  def: OperatorDef;
  type: string;
  values: BlobValue[];
  options: WorkspaceOptions;
  gather?: GatherMap;
}

/** The quantized reading of a float value with an op's output qparams (for stand-ins). */
function quantizeTensor(t: Tensor<Float32Array>, scale: number, zeroPoint: number): Int8Tensor {
  const q = new Uint8Array(t.size);
  for (let i = 0; i < q.length; i++) q[i] = quantizeUint8(scale, zeroPoint, t.data[i]!);
  return new Int8Tensor(q, t.dims, scale, zeroPoint);
}

function biasMismatch(x: Int8Tensor | undefined, w: Int8Tensor | undefined, b: BlobValue): boolean {
  if (!x || !w || !(b instanceof Int8Tensor)) return false;
  const expected = f32(x.scale * w.scale);
  return Math.abs(b.scale - expected) > 1e-3 * expected || b.zeroPoint !== 0;
}

function compareEngine(
  ctx: OpContext,
  engine: string,
  primary: BlobValue,
  shadow: Tensor<Float32Array> | undefined,
  lsbHint: number | undefined,
): { report: EngineComparison; outputs?: BlobValue[] } {
  const label = engineLabel(engine);
  const def: OperatorDef = { ...ctx.def, engine };
  try {
    resolveOp(ctx.type, engine);
  } catch (e) {
    const reason = e instanceof Caffe2Error ? e.reason : (e as Error).message;
    return { report: { engine: label, status: 'not available', note: `engine not available: ${reason}` } };
  }
  let outputs: BlobValue[];
  let adjustedBias = false;
  let note: string | undefined;
  try {
    outputs = runAlone(def, ctx.values, ctx.options);
  } catch (e) {
    const reason = e instanceof Caffe2Error ? e.reason : (e as Error).message;
    const [x, w, b] = ctx.values;
    if (WEIGHTED_OPS.has(ctx.type) && x instanceof Int8Tensor && w instanceof Int8Tensor && biasMismatch(x, w, b)) {
      const bias = b as Int8Tensor;
      const fixed = new Int8Tensor(bias.data, bias.dims, f32(x.scale * w.scale), 0);
      try {
        outputs = runAlone(def, [x, w, fixed, ...ctx.values.slice(3)], ctx.options);
        adjustedBias = true;
        note = `${label} refuses the bias blob as it is (${reason}); shown with the bias blob's scale set to input scale × weight scale = ${num(f32(x.scale * w.scale), 8)} and zero point 0`;
      } catch (e2) {
        return { report: { engine: label, status: 'failed', note: e2 instanceof Caffe2Error ? e2.reason : (e2 as Error).message } };
      }
    } else {
      return { report: { engine: label, status: 'failed', note: reason } };
    }
  }
  const y = outputs[0];
  const report: EngineComparison = { engine: label, status: 'ok', ...(note ? { note } : {}), ...(adjustedBias ? { adjustedBias } : {}) };
  if (y instanceof Int8Tensor && y.dtype === 'uint8') {
    report.output = { scale: y.scale, zeroPoint: y.zeroPoint };
    if (shadow) report.error = errorStats(dequantize(y).data, shadow.data, y.scale);
    if (primary instanceof Int8Tensor && primary.dtype === 'uint8' && primary.size === y.size) {
      if (primary.scale === y.scale && primary.zeroPoint === y.zeroPoint) {
        report.diffHistogram = diffCounts(primary.data, y.data);
      } else {
        // Different output qparams (DNNLOWP rewrites them for fused Relu): compare real values in the net's LSBs.
        report.diffHistogram = diffCounts(dequantize(primary).data, dequantize(y).data, primary.scale);
        report.note = [report.note, `output qparams differ: ${label} gives scale ${y.scale}, zero point ${y.zeroPoint}; changes are counted in real value, in the net's output LSBs`].filter(Boolean).join('; ');
      }
    }
  } else if (y instanceof Tensor && y.dtype === 'float32' && primary instanceof Tensor && primary.size === y.size) {
    report.diffHistogram = diffCounts(primary.data as Float32Array, y.data as Float32Array, lsbHint ?? 1);
    let changed = 0;
    for (let i = 0; i < y.size; i++) if ((y.data as Float32Array)[i] !== (primary.data as Float32Array)[i]) changed++;
    report.changed = changed;
  }
  if (report.diffHistogram) {
    const entries = Object.entries(report.diffHistogram);
    if (report.changed === undefined) report.changed = entries.reduce((s, [, c]) => s + c, 0);
    report.maxDiffLsb = entries.reduce((m, [d]) => Math.max(m, Math.abs(Number(d))), 0);
    const size = (primary as Int8Tensor | Tensor).size;
    report.changedShare = size ? report.changed / size : 0;
  } else if (primary === undefined) {
    report.note = [report.note, "the net's own engine did not produce this output; this engine's result stands in"].filter(Boolean).join('; ');
  }
  return { report, outputs };
}

export function weightStats(w: Int8Tensor): WeightStats {
  const bytes = w.data as Uint8Array;
  const n = bytes.length;
  const hist = new Array<number>(16).fill(0);
  let min = 255;
  let max = 0;
  let low = 0;
  let high = 0;
  let su = 0;
  let su2 = 0;
  let ss = 0;
  let ss2 = 0;
  let smin = 127;
  let smax = -128;
  for (let i = 0; i < n; i++) {
    const v = bytes[i]!;
    hist[v >> 4]!++;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < 64) low++;
    if (v >= 192) high++;
    su += v;
    su2 += v * v;
    const sv = v < 128 ? v : v - 256;
    ss += sv;
    ss2 += sv * sv;
    if (sv < smin) smin = sv;
    if (sv > smax) smax = sv;
  }
  const std = (s: number, s2: number) => (n ? Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) : 0);
  return {
    count: n,
    scale: w.scale,
    zeroPoint: w.zeroPoint,
    min: n ? min : 0,
    max: n ? max : 0,
    byteHistogram: hist,
    shareLow: n ? low / n : 0,
    shareHigh: n ? high / n : 0,
    stdUnsigned: std(su, su2),
    stdSigned: std(ss, ss2),
    signedMin: n ? smin : 0,
    signedMax: n ? smax : 0,
  };
}

function biasStats(b: Int8Tensor): BiasStats {
  let min = Infinity;
  let max = -Infinity;
  let nonZero = 0;
  for (let i = 0; i < b.size; i++) {
    const v = b.data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v !== 0) nonZero++;
  }
  return { count: b.size, min: b.size ? min : 0, max: b.size ? max : 0, nonZero };
}

function outputHistogram(q: Uint8Array, scale: number, zeroPoint: number, clampMin: number, shadow: Float32Array | undefined, bins: number): OutputHistogram {
  const representable: [number, number] = [(clampMin - zeroPoint) * scale, (255 - zeroPoint) * scale];
  const sr = shadow ? rangeOf(shadow) : undefined;
  let lo = Math.min(representable[0], sr?.min ?? Infinity);
  let hi = Math.max(representable[1], sr?.max ?? -Infinity);
  if (!(hi > lo)) hi = lo + (scale || 1);
  const pad = (hi - lo) * 0.02;
  lo -= pad;
  hi += pad;
  const codes = codeHistogram(q);
  return {
    lo,
    hi,
    shadow: shadow ? histogram(shadow, lo, hi, bins).counts : undefined,
    int8: codesOnBins(codes, scale, zeroPoint, lo, hi, bins),
    representable,
  };
}

function floatHistogram(values: Float32Array, reference: Float32Array | undefined, bins: number): OutputHistogram {
  const r = rangeOf(values);
  const rr = reference ? rangeOf(reference) : r;
  let lo = Math.min(r.min, rr.min);
  let hi = Math.max(r.max, rr.max);
  if (!(hi > lo)) hi = lo + 1;
  return { lo, hi, int8: histogram(values, lo, hi, bins).counts, shadow: reference ? histogram(reference, lo, hi, bins).counts : undefined };
}

/** Runs the comparison and returns the full report (findings included). */
export function compareNet(options: CompareOptions): CompareReport {
  const { net, init } = options;
  const wsOptions = options.workspace ?? {};
  const bins = options.bins ?? 48;
  const engines = [...new Set((options.engines ?? ['default']).map(engineName))];
  const { ws, params, fed } = prepareRun(net, init, options.inputs, wsOptions);

  const floatRun = options.floatModel ? runFloatModel(options.floatModel, options.inputs, wsOptions) : undefined;
  const floatMap = new Map(Object.entries(options.floatModel?.map ?? {}));
  const floatBlobFor = (int8Blob: string): string | undefined => {
    if (!floatRun) return undefined;
    const mapped = floatMap.get(int8Blob);
    if (mapped !== undefined) return mapped;
    return floatRun.values.has(int8Blob) ? int8Blob : undefined;
  };
  let matched = 0;
  const compareFloat = (role: FloatModelMatch['role'], int8Blob: string, value: Float32Array, dims: readonly number[], lsb: number | undefined): FloatModelMatch | undefined => {
    const floatBlob = floatBlobFor(int8Blob);
    if (floatBlob === undefined || !floatRun) return undefined;
    const f = floatRun.values.get(floatBlob);
    if (!f) return { role, int8Blob, floatBlob, layout: '-', skipped: `the float model has no float blob "${floatBlob}"${floatRun.failure ? ' (it failed before making it)' : ''}` };
    const aligned = alignFloat(dims, f);
    if ('skipped' in aligned) return { role, int8Blob, floatBlob, layout: '-', skipped: aligned.skipped };
    matched++;
    return { role, int8Blob, floatBlob, layout: aligned.layout, range: rangeOf(aligned.data), error: errorStats(value, aligned.data, lsb) };
  };

  // A float run of the int8 net: each Int8 op replaced by its float shadow, fed the float values
  // the run carried to its inputs. Fed inputs and parameters start it.
  const carried = new Map<string, Tensor<Float32Array>>();
  const lsbOf = new Map<string, number>();
  for (const name of fed) {
    const v = ws.getBlob(name);
    if (v instanceof Tensor && v.dtype === 'float32') carried.set(name, v as Tensor<Float32Array>);
  }

  const ops: OpComparison[] = [];
  /** Blobs a failed op did not produce -> that op's index. */
  const lost = new Map<string, number>();
  for (const step of stepNet(ws, net)) {
    const def = step.def;
    const type = def.type ?? '';
    const inputs = def.input ?? [];
    const outputs = def.output ?? [];
    const category: OpComparison['category'] = isParamOp(type) ? 'param' : type.startsWith('Int8') ? 'int8' : 'float';
    const rec: OpComparison = {
      index: step.index,
      type,
      engine: def.engine ?? '',
      ...(def.name ? { name: def.name } : {}),
      inputs,
      outputs,
      category,
      status: step.error ? 'failed' : 'ok',
      ...(step.error ? { failure: step.error.message } : {}),
      blobs: { inputs: inputs.map((n, i) => blobInfo(n, step.inputs[i])), outputs: outputs.map((n, i) => blobInfo(n, step.error ? undefined : step.outputs[i])) },
      engines: [],
      floatModel: [],
      notes: [],
    };
    ops.push(rec);
    if (step.error) {
      const upstream = (def.input ?? []).find((n) => lost.has(n) && (!ws.HasBlob(n) || ws.getBlob(n) === undefined));
      if (upstream !== undefined) {
        rec.skippedBecause = lost.get(upstream);
        rec.failure = `not run: its input "${upstream}" was not produced, because op #${lost.get(upstream)} failed`;
      }
      for (const o of outputs) if (!ws.HasBlob(o) || ws.getBlob(o) === undefined) lost.set(o, rec.skippedBecause ?? step.index);
    }
    const values = step.inputs;
    const y = step.error ? undefined : step.outputs[0];

    if (category === 'param') {
      for (const o of outputs) params.add(o);
      continue;
    }

    if (category === 'float') {
      // Carry the float run through float ops: reuse the real outputs when every input is the real value.
      // Parameters and non-float tensors (shapes, indices) are the same in both runs.
      const carriedInputs = inputs.map((n, i): BlobValue | undefined => {
        const c = carried.get(n);
        if (c) return c;
        const v = values[i];
        return params.has(n) || (v instanceof Tensor && v.dtype !== 'float32') ? v : undefined;
      });
      const same = carriedInputs.every((c, i) => c !== undefined && c === values[i]);
      if (!step.error) {
        if (same) {
          outputs.forEach((o, i) => {
            const v = step.outputs[i];
            if (v instanceof Tensor && v.dtype === 'float32') carried.set(o, v as Tensor<Float32Array>);
          });
        } else if (carriedInputs.every((v) => v !== undefined)) {
          try {
            const outs = runAlone(def, carriedInputs, wsOptions);
            outputs.forEach((o, i) => {
              const v = outs[i];
              if (v instanceof Tensor && v.dtype === 'float32') carried.set(o, v as Tensor<Float32Array>);
            });
          } catch (e) {
            rec.notes.push(`the float run could not run this op: ${(e as Error).message}`);
          }
        }
      }
      const lsb = LAYOUT_FLOAT_OPS.has(type) && inputs[0] !== undefined ? lsbOf.get(inputs[0]) : undefined;
      if (lsb !== undefined) for (const o of outputs) lsbOf.set(o, lsb);
      if (y instanceof Tensor && y.dtype === 'float32' && outputs[0] !== undefined) {
        const data = y.data as Float32Array;
        const ref = carried.get(outputs[0]);
        rec.output = { blob: outputs[0], range: rangeOf(data), histogram: floatHistogram(data, ref && ref !== y ? ref.data : undefined, bins) };
        if (ref && ref !== y && ref.size === y.size) rec.drift = errorStats(data, ref.data, lsb);
        const fm = compareFloat('output', outputs[0], data, y.dims, lsb);
        if (fm) rec.floatModel.push(fm);
      }
      continue;
    }

    // ---- Int8 ops ----
    const x = values[0] instanceof Int8Tensor ? values[0] : undefined;
    const weighted = WEIGHTED_OPS.has(type);
    const w = weighted && values[1] instanceof Int8Tensor ? values[1] : undefined;
    const b = weighted ? values[2] : undefined;
    if (weighted) {
      rec.blobs.weight = blobInfo(inputs[1] ?? '', values[1]);
      if (inputs[2] !== undefined) rec.blobs.bias = blobInfo(inputs[2], values[2]);
      if (w && w.dtype === 'uint8') rec.weightStats = weightStats(w);
      if (b instanceof Int8Tensor && b.dtype === 'int32') rec.biasStats = biasStats(b);
    }
    const yq = y instanceof Int8Tensor ? { scale: y.scale, zeroPoint: y.zeroPoint } : type === 'Int8Dequantize' ? undefined : outputQparamsFromArgs(def);
    if (yq) rec.outputQparams = yq;
    if (weighted && x && w && yq) rec.requantScale = f32(f32(x.scale * w.scale) / yq.scale);

    const ctx: OpContext = { def, type, values, options: wsOptions };
    if (isMovementOp(type)) {
      try {
        ctx.gather = gatherMap(def, values, wsOptions.maxTensorBytes);
      } catch (e) {
        rec.notes.push(`could not follow the op's byte mapping: ${(e as Error).message}`);
      }
    }
    const localOf = (i: number) => asFloat32(values[i]);
    const carriedOf = (i: number) => {
      const n = inputs[i];
      if (n === undefined) return undefined;
      return carried.get(n) ?? (params.has(n) ? asFloat32(values[i]) : undefined);
    };
    let local: ShadowOutcome = { unavailable: `no float shadow for ${type}` };
    if (hasShadow(type)) local = floatShadow({ def, values, floatOf: localOf, maxTensorBytes: wsOptions.maxTensorBytes }, ctx.gather);
    const shadow = 'value' in local ? local.value : undefined;
    if ('unavailable' in local) rec.shadowUnavailable = local.unavailable;
    let carriedShadow: ShadowOutcome = { unavailable: 'no float run value' };
    if (hasShadow(type)) carriedShadow = floatShadow({ def, values, floatOf: carriedOf, maxTensorBytes: wsOptions.maxTensorBytes }, ctx.gather);
    const carriedValue = 'value' in carriedShadow ? carriedShadow.value : undefined;

    // Other engines, on the same inputs.
    const own = ownEngine(def);
    const inputLsb = x?.scale;
    let standIn: { outputs: BlobValue[]; how: string } | undefined;
    const others = engines.filter((e) => e !== own);
    for (const e of others) {
      const { report, outputs: outs } = compareEngine(ctx, e, y, shadow, type === 'Int8Dequantize' ? inputLsb : undefined);
      rec.engines.push(report);
      if (step.error && report.status === 'ok' && outs && !standIn) standIn = { outputs: outs, how: `the output of engine ${report.engine}` };
    }
    if (step.error && !standIn && shadow && yq && type !== 'Int8Dequantize') {
      standIn = { outputs: [quantizeTensor(shadow, yq.scale, yq.zeroPoint)], how: "the float shadow quantized with the op's Y_scale / Y_zero_point" };
    }
    if (step.error && standIn) {
      outputs.forEach((o, i) => {
        if (standIn!.outputs[i] !== undefined) ws.setBlob(o, standIn!.outputs[i]);
      });
      rec.standIn = standIn.how;
    }
    const out = step.error ? standIn?.outputs[0] : y;

    if (out instanceof Int8Tensor && out.dtype === 'uint8') {
      const s = out.scale;
      const zp = out.zeroPoint;
      const clampMin = RELU_FUSED.has(type) ? Math.min(Math.max(zp, 0), 255) : 0;
      const deq = dequantize(out);
      const q = out.data as Uint8Array;
      rec.output = { blob: outputs[0]!, range: rangeOf(deq.data), histogram: outputHistogram(q, s, zp, clampMin, shadow?.data, bins) };
      rec.saturation = { ...saturationOf(q, s, zp, clampMin, shadow?.data), ...(RELU_FUSED.has(type) ? { relu: true } : {}) };
      rec.collapse = collapseOf(codeHistogram(q), s, zp);
      lsbOf.set(outputs[0]!, s);
      if (shadow && shadow.size === out.size) {
        let off = 0;
        for (let i = 0; i < q.length; i++) {
          const ideal = Math.min(255, Math.max(clampMin, zp + roundHalfEven(shadow.data[i]! / s)));
          if (q[i] !== ideal) off++;
        }
        const report: ShadowReport = { method: (local as { method: string }).method, range: rangeOf(shadow.data), error: errorStats(deq.data, shadow.data, s), offIdeal: q.length ? off / q.length : 0 };
        if (weighted && x && w && b instanceof Int8Tensor && biasMismatch(x, w, b)) {
          const caffe2 = biasAsFloat(b, x.scale, w.scale, 'caffe2');
          const ownBias = biasAsFloat(b, x.scale, w.scale, 'own');
          const differs = caffe2.data.some((v, i) => v !== ownBias.data[i]);
          if (!differs) {
            report.biasAtOwnScale = { identical: true, reason: `all ${b.size} bias values are ${b.data[0] ?? 0}${b.zeroPoint ? ' at the zero point' : ''}, so both readings give the same float bias` };
          } else {
            const alt = floatShadow({ def, values, floatOf: localOf, bias: 'own', maxTensorBytes: wsOptions.maxTensorBytes });
            if ('value' in alt && alt.value.size === shadow.size) {
              let shift = 0;
              for (let i = 0; i < shadow.size; i++) shift = Math.max(shift, Math.abs(alt.value.data[i]! - shadow.data[i]!));
              report.biasAtOwnScale = { identical: false, error: errorStats(deq.data, alt.value.data, s), range: rangeOf(alt.value.data), maxShiftLsb: shift / s };
            }
          }
        }
        rec.shadow = report;
      }
      if (carriedValue && carriedValue.size === out.size) rec.drift = errorStats(deq.data, carriedValue.data, s);
      if (carriedValue) carried.set(outputs[0]!, carriedValue);
      const fm = compareFloat('output', outputs[0]!, deq.data, out.dims, s);
      if (fm) rec.floatModel.push(fm);
    } else if (out instanceof Tensor && out.dtype === 'float32') {
      // Int8Dequantize: exact by definition; what matters is how far the float run drifted.
      const data = out.data as Float32Array;
      const lsb = x?.scale;
      if (lsb !== undefined) lsbOf.set(outputs[0]!, lsb);
      const ref = carriedValue;
      rec.output = { blob: outputs[0]!, range: rangeOf(data), histogram: floatHistogram(data, ref?.data, bins) };
      if (ref && ref.size === out.size) rec.drift = errorStats(data, ref.data, lsb);
      if (ref) carried.set(outputs[0]!, ref);
      const fm = compareFloat('output', outputs[0]!, data, out.dims, lsb);
      if (fm) rec.floatModel.push(fm);
    }
    if (weighted && x && w) {
      const wm = compareFloat('weight', inputs[1]!, dequantize(w).data, w.dims, w.scale);
      if (wm) rec.floatModel.push(wm);
      if (b instanceof Int8Tensor && inputs[2] !== undefined) {
        const bm = compareFloat('bias', inputs[2], biasAsFloat(b, x.scale, w.scale, 'caffe2').data, b.dims, f32(x.scale * w.scale));
        if (bm) rec.floatModel.push(bm);
      }
    }
    if (!hasShadow(type) && !rec.shadowUnavailable) rec.shadowUnavailable = `no float shadow for ${type}`;
  }

  const report: CompareReport = {
    version: 1,
    net: net.name ?? '',
    engines: engines.map(engineLabel),
    inputs: fed.map((n) => blobInfo(n, ws.HasBlob(n) ? ws.getBlob(n) : undefined)),
    ...(options.floatModel ? { floatModel: { net: options.floatModel.net.name ?? '', ...(floatRun?.failure ? { failure: floatRun.failure } : {}), matched } } : {}),
    ops,
    findings: [],
  };
  report.findings = deriveFindings(report, net, { params: [...params] });
  return report;
}

