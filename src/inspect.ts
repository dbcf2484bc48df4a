// A static description of a net for `caffe2-int8 inspect`: ops in order with the arguments
// that matter, the quantization parameters each Int8 blob will carry (followed through the net
// from the init net's blobs and the ops' Y_scale / Y_zero_point), the requantization scale of
// each conv / FC, and the op types this runtime cannot run.
import { ArgumentHelper } from './arguments.js';
import type { NetDef, OperatorDef, Argument } from './proto/types.js';
import { f32 } from './quant/float32.js';
import { canRun } from './registry.js';
import { Int8Tensor, Tensor } from './tensor.js';
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

/** Runs the init net in a scratch workspace to learn the parameter blobs' qparams and shapes. */
function initBlobs(init: NetDef | undefined): { blobs: Map<string, Int8Tensor | Tensor>; error?: string } {
  const blobs = new Map<string, Int8Tensor | Tensor>();
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
    if (v instanceof Int8Tensor || v instanceof Tensor) blobs.set(name, v);
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
    if (x && type.startsWith('Int8') && type !== 'Int8Quantize') report.input = x;
    if (hasYqOutput(type)) report.output = yqparams(op);
    else if (PASS_THROUGH.has(type) && x) report.output = x;
    if (report.output) for (const o of outputs.slice(0, 1)) qparams.set(o, report.output);

    if (WEIGHTED.has(type)) {
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
    if (op.bias) lines.push(`    bias:   ${q(op.bias)} shape=[${op.bias.dims.join(',')}]`);
    if (op.output) lines.push(`    output: ${q(op.output)}`);
    if (op.requantScale !== undefined) lines.push(`    requantization scale: ${formatNumber(op.requantScale)}`);
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
