// A static description of a net for `caffe2-int8 inspect`: ops in order with the arguments
// that matter, the quantization parameters each Int8 blob will carry (followed through the net
// from the init net's blobs and the ops' Y_scale / Y_zero_point), the requantization scale of
// each conv / FC, and the op types this runtime cannot run.
import { dnnlowpWeightInfo, Int8ConvDNNLowPPackedWeightBlob, Int8FCDNNLowPPackedWeightBlob } from '../ops/dnnlowp-pack.js';
import { parseOutputArgs, quantizationFactoryOf } from '../ops/dnnlowp-quantize.js';
import { ArgumentHelper } from './arguments.js';
import type { NetDef, OperatorDef, Argument } from './proto/types.js';
import { requantizationMultiplier } from './quant/fbgemm.js';
import { f32 } from './quant/float32.js';
import { canRun } from './registry.js';
import { Int8Tensor, Tensor, type BlobValue } from './tensor.js';
import { Workspace } from './workspace.js';

export interface Qparams {
  scale: number;
  zeroPoint: number;
}

export interface OpReport {
  index: number;
  type: string;
  engine: string;
  inputs: string[];
  outputs: string[];
  args: string[];
  supported: boolean;
  output?: Qparams;
  weight?: Qparams & { dims: number[] };
  bias?: Qparams & { dims: number[] };
  input?: Qparams;
  requantScale?: number;
  /** DNNLOWP: the weight qparams of every quantization group (signed zero points), when more than one. */
  weightGroups?: Qparams[];
  /** DNNLOWP: the float requantization multiplier of each quantization group the op uses. */
  requantScales?: number[];
  notes: string[];
}

export interface NetReport {
  name: string;
  type: string;
  externalInputs: string[];
  externalOutputs: string[];
  ops: OpReport[];
  unsupported: Array<{ type: string; engine: string; count: number }>;
  initError?: string;
}

/** Ops whose output takes the input's scale and zero point. */
const PASS_THROUGH = new Set([
  'Int8Relu', 'Int8MaxPool', 'Int8MaxPoolRelu', 'Int8ChannelShuffle', 'Int8Concat', 'Int8ResizeNearest',
  'Int8Reshape', 'Int8Flatten', 'Int8Slice', 'Int8Transpose',
]);
/** Ops that multiply an input by Int8 weights (input 1) and add an int32 bias (input 2). */
const WEIGHTED = new Set(['Int8Conv', 'Int8ConvRelu', 'Int8ConvTranspose', 'Int8FC', 'Int8FCRelu']);
/** Ops whose Int8 output qparams come from Y_scale / Y_zero_point. */
function hasYqOutput(type: string): boolean {
  return type.startsWith('Int8') && type !== 'Int8Dequantize' && !PASS_THROUGH.has(type) && !type.endsWith('PackWeight');
}

const utf8 = new TextDecoder();

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
}

function formatArg(a: Argument): string {
  const name = a.name ?? '';
  if (a.f !== undefined) return `${name}=${formatNumber(a.f)}`;
  if (a.i !== undefined) return `${name}=${String(a.i)}`;
  if (a.s !== undefined) return a.s.length > 32 ? `${name}=<${a.s.length} bytes>` : `${name}=${JSON.stringify(utf8.decode(a.s))}`;
  if (a.floats) return a.floats.length > 8 ? `${name}=<${a.floats.length} floats>` : `${name}=[${a.floats.map(formatNumber).join(',')}]`;
  if (a.ints) return a.ints.length > 8 ? `${name}=<${a.ints.length} ints>` : `${name}=[${a.ints.join(',')}]`;
  if (a.strings) return `${name}=[${a.strings.map((s) => JSON.stringify(utf8.decode(s))).join(',')}]`;
  if (a.n) return `${name}=<net ${a.n.name ?? ''}, ${a.n.op?.length ?? 0} ops>`;
  if (a.nets) return `${name}=<${a.nets.length} nets>`;
  if (a.t) return `${name}=<tensor>`;
  return `${name}=<unset>`;
}

function yqparams(op: OperatorDef): Qparams | undefined {
  try {
    const args = new ArgumentHelper(op.arg);
    return { scale: f32(args.getFloat('Y_scale', 1)), zeroPoint: args.getInt('Y_zero_point', 0) };
  } catch {
    return undefined;
  }
}

type ParamBlob = Int8Tensor | Tensor | Int8ConvDNNLowPPackedWeightBlob | Int8FCDNNLowPPackedWeightBlob;

function isParamBlob(v: BlobValue): v is ParamBlob {
  return v instanceof Int8Tensor || v instanceof Tensor || v instanceof Int8ConvDNNLowPPackedWeightBlob || v instanceof Int8FCDNNLowPPackedWeightBlob;
}

/** Runs the init net in a scratch workspace to learn the parameter blobs' qparams and shapes. */
function initBlobs(init: NetDef | undefined): { blobs: Map<string, ParamBlob>; error?: string } {
  const blobs = new Map<string, ParamBlob>();
  if (!init) return { blobs };
  const ws = new Workspace();
  let error: string | undefined;
  try {
    ws.RunNetOnce(init);
  } catch (e) {
    error = (e as Error).message;
  }
  for (const name of ws.Blobs()) {
    const v = ws.getBlob(name);
    if (isParamBlob(v)) blobs.set(name, v);
  }
  return { blobs, error };
}

export function describeNet(net: NetDef, init?: NetDef): NetReport {
  const { blobs, error } = initBlobs(init);
  const qparams = new Map<string, Qparams>();
  for (const [name, v] of blobs) if (v instanceof Int8Tensor) qparams.set(name, { scale: v.scale, zeroPoint: v.zeroPoint });
  const unsupported = new Map<string, { type: string; engine: string; count: number }>();

  const ops = (net.op ?? []).map((op, index): OpReport => {
    const type = op.type ?? '';
    const engine = op.engine ?? '';
    const inputs = op.input ?? [];
    const outputs = op.output ?? [];
    const supported = canRun(type, engine);
    if (!supported) {
      const key = `${type}\u0000${engine}`;
      const u = unsupported.get(key) ?? { type, engine, count: 0 };
      u.count++;
      unsupported.set(key, u);
    }
    const report: OpReport = { index, type, engine, inputs, outputs, args: (op.arg ?? []).map(formatArg), supported, notes: [] };
    const x = inputs[0] !== undefined ? qparams.get(inputs[0]) : undefined;
    const dnnlowp = engine === 'DNNLOWP';
    if (x && type.startsWith('Int8') && type !== 'Int8Quantize') report.input = x;
    if (hasYqOutput(type)) report.output = dnnlowp ? dnnlowpOutput(op, report) : yqparams(op);
    else if (PASS_THROUGH.has(type) && x) report.output = x;
    if (report.output) for (const o of outputs.slice(0, 1)) qparams.set(o, report.output);

    if (WEIGHTED.has(type) && dnnlowp) {
      describeDnnlowpWeights(op, report, x, blobs);
    } else if (WEIGHTED.has(type)) {
      const w = blobs.get(inputs[1] ?? '');
      const b = blobs.get(inputs[2] ?? '');
      if (w instanceof Int8Tensor) report.weight = { scale: w.scale, zeroPoint: w.zeroPoint, dims: [...w.dims] };
      if (b instanceof Int8Tensor) report.bias = { scale: b.scale, zeroPoint: b.zeroPoint, dims: [...b.dims] };
      if (x && report.weight && report.output) {
        const s = f32(f32(x.scale * report.weight.scale) / report.output.scale);
        report.requantScale = s;
        if (s >= 1 && engine === '') report.notes.push('requantization scale >= 1: QNNPACK refuses to create this op');
      }
      if (x && report.weight && report.bias) {
        const expected = f32(x.scale * report.weight.scale);
        if (Math.abs(report.bias.scale - expected) > 1e-6 * Math.max(1, expected) || report.bias.zeroPoint !== 0) {
          report.notes.push(
            `bias blob has scale ${formatNumber(report.bias.scale)} / zero point ${report.bias.zeroPoint}; Caffe2 ignores them and treats the bias as int32 at input scale x weight scale = ${formatNumber(expected)}`,
          );
        }
      }
    }
    if (type === 'Int8Dequantize' && op.arg?.some((a) => a.name === 'Y_scale' || a.name === 'Y_zero_point')) {
      report.notes.push("Y_scale / Y_zero_point are ignored: Int8Dequantize uses the input tensor's own scale and zero point");
    }
    return report;
  });

  return {
    name: net.name ?? '',
    type: net.type || 'simple',
    externalInputs: net.external_input ?? [],
    externalOutputs: net.external_output ?? [],
    ops,
    unsupported: [...unsupported.values()],
    initError: error,
  };
}

/**
 * A DNNLOWP op's output qparams as it will carry them: Y_scale / Y_zero_point, re-chosen over
 * [0, max] by a fused or following Relu; none when they are chosen at run time.
 */
function dnnlowpOutput(op: OperatorDef, report: OpReport): Qparams | undefined {
  const type = op.type ?? '';
  if (type === 'Int8Quantize' && (op.input?.length ?? 0) === 3) {
    report.notes.push('output qparams come from inputs 1 (scale) and 2 (zero point) at run time');
    return undefined;
  }
  try {
    const args = new ArgumentHelper(op.arg);
    const relu = type === 'Int8ConvRelu' || type === 'Int8FCRelu';
    const { output } = parseOutputArgs(args, quantizationFactoryOf(args, type), relu);
    if (!output) {
      report.notes.push(
        type === 'Int8Quantize'
          ? 'no Y_scale: the output qparams are chosen at run time from the tensor\'s min/max'
          : 'no Y_scale: DNNLOWP would choose the output qparams from an fp32 run at run time (not supported)',
      );
      return undefined;
    }
    const given = yqparams(op);
    if (given && (given.scale !== output.scale || given.zeroPoint !== output.zeroPoint)) {
      report.notes.push(
        `Relu: DNNLOWP re-chooses the output qparams over [0, Y_scale·(255 - Y_zero_point)]: scale=${formatNumber(given.scale)} zp=${given.zeroPoint} -> scale=${formatNumber(output.scale)} zp=${output.zeroPoint}`,
      );
    }
    return output;
  } catch {
    return undefined;
  }
}

/** Weight qparams (from the pack op or as the op will quantize them) and the float multipliers. */
function describeDnnlowpWeights(op: OperatorDef, report: OpReport, x: Qparams | undefined, blobs: Map<string, ParamBlob>): void {
  const type = op.type ?? '';
  const inputs = op.input ?? [];
  let args: ArgumentHelper;
  try {
    args = new ArgumentHelper(op.arg);
  } catch {
    return;
  }
  const w = blobs.get(inputs[1] ?? '');
  const info = dnnlowpWeightInfo(type, args, w);
  const b = blobs.get(inputs[2] ?? '');
  if (b instanceof Int8Tensor) report.bias = { scale: b.scale, zeroPoint: b.zeroPoint, dims: [...b.dims] };
  if (!info) return;
  const q0 = info.qparams[0]!;
  report.weight = { scale: q0.scale, zeroPoint: q0.zeroPoint, dims: [...info.dims] };
  if (info.qparams.length > 1) report.weightGroups = info.qparams.map((q) => ({ scale: q.scale, zeroPoint: q.zeroPoint }));
  report.notes.push(
    `DNNLOWP weights are signed int8 (zero point = unsigned zero point - 128), ${info.packed ? `packed by the pack op in blob "${inputs[1]}"` : 'quantized by this op on its first run'}`,
  );
  let perGroup = false;
  try {
    perGroup = type.startsWith('Int8FC') ? args.getBool('quantize_channelwise', false) : args.getBool('quantize_groupwise', false);
  } catch {
    // a malformed argument: the op itself will say so
  }
  const used = perGroup ? info.qparams : [q0];
  if (x && report.output) {
    const out = report.output;
    report.requantScales = used.map((q) => requantizationMultiplier(x.scale, q.scale, out.scale));
    report.requantScale = report.requantScales[0];
  } else if (!x) {
    report.notes.push('the input qparams (a float input, or a dynamically quantized one) and so the requantization multiplier are only known at run time');
  }
  const packedBias = (w instanceof Int8ConvDNNLowPPackedWeightBlob || w instanceof Int8FCDNNLowPPackedWeightBlob) && w.bias !== null;
  if (packedBias && x && info.inScale !== null && info.inScale !== x.scale) {
    report.notes.push(
      `the packed bias was quantized with in_scale=${formatNumber(info.inScale)}, not this input's scale ${formatNumber(x.scale)}; Caffe2 uses it as it is`,
    );
  } else if (!packedBias && b instanceof Int8Tensor && x) {
    const expected = f32(x.scale * q0.scale);
    if (Math.abs(f32(b.scale - expected)) > 1e-4 || b.zeroPoint !== 0) {
      report.notes.push(
        `bias blob has scale ${formatNumber(b.scale)} / zero point ${b.zeroPoint}; DNNLOWP requires input scale x weight scale = ${formatNumber(expected)} (within 1e-4) and zero point 0, and refuses it`,
      );
    }
  }
}

/** Plain-text rendering of a NetReport. */
export function formatNetReport(r: NetReport): string {
  const lines: string[] = [];
  lines.push(`net "${r.name}" (type ${r.type}), ${r.ops.length} ops`);
  lines.push(`external inputs: ${r.externalInputs.join(', ') || '(none)'}`);
  lines.push(`external outputs: ${r.externalOutputs.join(', ') || '(none)'}`);
  if (r.initError) lines.push(`init net failed: ${r.initError}`);
  lines.push('');
  const q = (p: Qparams) => `scale=${formatNumber(p.scale)} zp=${p.zeroPoint}`;
  for (const op of r.ops) {
    const engine = op.engine ? ` [engine ${op.engine}]` : '';
    const mark = op.supported ? '' : '  (not supported yet)';
    lines.push(`#${op.index} ${op.type}${engine}: ${op.inputs.join(', ')} -> ${op.outputs.join(', ')}${mark}`);
    if (op.args.length) lines.push(`    args: ${op.args.join(' ')}`);
    if (op.input) lines.push(`    input:  ${q(op.input)}`);
    if (op.weight) lines.push(`    weight: ${q(op.weight)} shape=[${op.weight.dims.join(',')}]`);
    if (op.weightGroups) lines.push(`    weight per group: ${op.weightGroups.map(q).join('; ')}`);
    if (op.bias) lines.push(`    bias:   ${q(op.bias)} shape=[${op.bias.dims.join(',')}]`);
    if (op.output) lines.push(`    output: ${q(op.output)}`);
    if (op.requantScales && op.requantScales.length > 1) lines.push(`    requantization multipliers: ${op.requantScales.map(formatNumber).join(', ')}`);
    else if (op.requantScales) lines.push(`    requantization multiplier: ${formatNumber(op.requantScales[0]!)}`);
    else if (op.requantScale !== undefined) lines.push(`    requantization scale: ${formatNumber(op.requantScale)}`);
    for (const n of op.notes) lines.push(`    note: ${n}`);
  }
  lines.push('');
  if (r.unsupported.length === 0) lines.push('unsupported op types: none');
  else {
    lines.push('unsupported op types:');
    for (const u of r.unsupported) lines.push(`  ${u.type}${u.engine ? ` [engine ${u.engine}]` : ''} x${u.count}`);
  }
  return lines.join('\n');
}
