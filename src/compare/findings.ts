// Findings: what the numbers of a compare report mean, in plain words, each naming the op, the
// evidence and what to change. The rules follow the semantics users trip over (README, and
// SEMANTICS.md §5-6): Caffe2 ignores the bias blob's scale and Int8Dequantize's Y_scale, its
// weights are unsigned, QNNPACK refuses requantization scales >= 1, and engines differ.
import { ArgumentHelper } from '../arguments.js';
import type { NetDef } from '../proto/types.js';
import { chooseQuantizationParams } from '../quant/observer.js';
import { f32 } from '../quant/float32.js';
import { count, num, opLabel, pct } from './fmt.js';
import type { CompareReport, Finding, OpComparison, Severity } from './types.js';

/** Engines Caffe2 registers the quantized server ops under (caffe2/quantization/server). */
const DNNLOWP_ENGINES = ['DNNLOWP', 'DNNLOWP_ACC16', 'DNNLOWP_16', 'DNNLOWP_ROWWISE', 'DNNLOWP_ROWWISE_16'];
/** Engines of Caffe2's float ops, so a known name on a float op is not reported as unknown. */
const FLOAT_ENGINES = ['CUDNN', 'NNPACK', 'EIGEN', 'MKLDNN', 'IDEEP', 'DEPTHWISE_3x3', 'SNPE', 'OPENGL', 'METAL', 'MPSCNN', 'HIP', 'MIOPEN', 'CUDA', 'QNNPACK', 'NEON', 'BLOCK', 'SIMD', 'TENSORRT'];

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function engineEntries(field: string | undefined): string[] {
  return (field ?? '').split(',').filter((e) => e !== '');
}

function isInt8Compute(op: OpComparison): boolean {
  return op.category === 'int8';
}

/**
 * Output qparams for a float range (min/max observer). For conv / FC, QNNPACK also needs the
 * output scale above input scale × weight scale; a range that wants a finer scale gets the
 * smallest scale QNNPACK accepts, and says so.
 */
function suggestQparams(range: { min: number; max: number }, op?: OpComparison): string {
  const q = chooseQuantizationParams(range.min, range.max);
  const x = op?.blobs.inputs[0]?.scale;
  const w = op?.blobs.weight?.scale;
  if (op?.requantScale !== undefined && x !== undefined && w !== undefined) {
    const floor = f32(x * w);
    if (!(q.scale > floor)) {
      const scale = f32(floor * (1 + 2 ** -20));
      const zp = Math.min(255, Math.max(0, Math.round(-Math.min(range.min, 0) / scale)));
      return `Y_scale = ${num(scale, 8)}, Y_zero_point = ${zp} (the range alone would want scale ${num(q.scale, 6)}, but QNNPACK needs more than input scale × weight scale = ${num(floor, 6)}; finer input or weight scales, or engine DNNLOWP, allow a finer output)`;
    }
  }
  return `Y_scale = ${num(q.scale, 8)}, Y_zero_point = ${q.zeroPoint}`;
}

const QNNPACK_OBJECT: Record<string, string> = {
  Int8Conv: 'convolution',
  Int8ConvRelu: 'convolution',
  Int8ConvTranspose: 'deconvolution',
  Int8FC: 'fully connected',
  Int8FCRelu: 'fully connected',
};

/** Findings for one report; `net` supplies the op arguments the report does not keep. */
export function deriveFindings(report: CompareReport, net: NetDef, _extra: { params: string[] }): Finding[] {
  const findings: Finding[] = [];
  const add = (op: OpComparison | undefined, f: Omit<Finding, 'opIndex' | 'opType'>) =>
    findings.push({ ...f, ...(op ? { opIndex: op.index, opType: op.type } : {}) });
  const defs = net.op ?? [];

  for (const op of report.ops) {
    const label = opLabel(op);
    const def = defs[op.index];

    // ---- requantization scale >= 1 ----
    if (op.requantScale !== undefined && op.requantScale >= 1) {
      const x = op.blobs.inputs[0];
      const w = op.blobs.weight;
      const y = op.blobs.outputs[0];
      const yScale = y?.scale ?? op.outputQparams?.scale;
      const dnn = op.engines.find((e) => e.engine.startsWith('DNNLOWP') && e.status === 'ok');
      const ranOwn = op.status === 'ok';
      const needed = x?.scale !== undefined && w?.scale !== undefined ? f32(x.scale * w.scale) : undefined;
      add(op, {
        severity: op.engine.startsWith('DNNLOWP') ? 'info' : 'error',
        code: 'requant-scale',
        blob: op.outputs[0],
        message: `${label}: the requantization scale input scale × weight scale / output scale is ${num(op.requantScale)}, not below 1. QNNPACK (Caffe2's default engine) refuses such an op ("failed to create QNNPACK ${QNNPACK_OBJECT[op.type] ?? 'convolution'} object"); DNNLOWP accepts it.`,
        evidence: `${num(x?.scale)} × ${num(w?.scale)} / ${num(yScale)} = ${num(op.requantScale)}${ranOwn ? '' : `; the op failed here: ${op.failure ?? ''}`}${dnn ? `; engine ${dnn.engine} runs it${op.standIn ? ' and its output stands in for the rest of this report' : ''}` : ''}`,
        fix: `Make the output scale larger than input scale × weight scale${needed !== undefined ? ` (Y_scale > ${num(needed)})` : ''}${op.shadow ? `, e.g. from the float range: ${suggestQparams(op.shadow.range, op)}` : ''}; or lower the weight scale; or run this op with engine DNNLOWP, which has no such limit.`,
      });
    }

    // ---- op failed (other causes) ----
    if (op.status === 'failed' && op.skippedBecause === undefined && !(op.requantScale !== undefined && op.requantScale >= 1)) {
      add(op, {
        severity: 'error',
        code: 'op-failed',
        blob: op.outputs[0],
        message: `${label} failed: ${op.failure ?? 'unknown error'}`,
        evidence: op.standIn
          ? `the rest of the report uses ${op.standIn} in its place`
          : (() => {
              const after = report.ops.filter((o) => o.skippedBecause === op.index).map((o) => `#${o.index} ${o.type}`);
              return after.length ? `no stand-in could be made, so ${after.join(', ')} could not run either` : 'no stand-in could be made for its output';
            })(),
        fix: /not implemented|not available/.test(op.failure ?? '')
          ? 'Run this comparison without that engine, or wait for caffe2-int8 to implement it; the engine columns show the other engines on the same inputs.'
          : 'Fix what the message names (arguments, shapes or quantization parameters of this op or the blobs it reads).',
      });
    }

    // ---- bias blob scale ----
    const bias = op.blobs.bias;
    const x = op.blobs.inputs[0];
    const w = op.blobs.weight;
    if (bias?.kind === 'int8' && x?.scale !== undefined && w?.scale !== undefined && bias.scale !== undefined) {
      const expected = f32(x.scale * w.scale);
      const scaleOff = Math.abs(bias.scale - expected) > 1e-3 * expected;
      if (scaleOff || bias.zeroPoint !== 0) {
        const own = op.shadow?.biasAtOwnScale;
        const bs = op.biasStats;
        const dnn = op.engines.find((e) => e.adjustedBias);
        const moves = own && !own.identical ? own.maxShiftLsb : 0;
        const ratio = bias.scale / expected;
        add(op, {
          severity: moves >= 0.5 ? 'error' : bs && bs.nonZero === 0 && bias.zeroPoint === 0 ? 'info' : 'warning',
          code: 'bias-scale',
          blob: bias.blob,
          message: `${label}: the bias blob ${bias.blob} has scale ${num(bias.scale)} and zero point ${bias.zeroPoint}, but Caffe2 ignores both and adds its int32 values at input scale × weight scale = ${num(x.scale)} × ${num(w.scale)} = ${num(expected)}.${
            moves >= 0.5 ? ` Read at the blob's own scale the bias would move outputs by up to ${num(moves, 3)} output LSBs, so this net does not compute what its bias blob says.` : ''
          }`,
          evidence: [
            bs ? `bias values ${bs.nonZero === 0 ? `are all 0 (${bs.count})` : `range ${bs.min}..${bs.max} (${bs.nonZero} of ${bs.count} non-zero)`}` : undefined,
            own?.identical ? own.reason : own ? `float bias as Caffe2 reads it: up to ${num(Math.max(Math.abs(bs?.min ?? 0), Math.abs(bs?.max ?? 0)) * expected)}; at the blob's own scale: up to ${num(Math.max(Math.abs((bs?.min ?? 0) - bias.zeroPoint!), Math.abs((bs?.max ?? 0) - bias.zeroPoint!)) * bias.scale)} (×${num(ratio, 4)})` : undefined,
            own && !own.identical ? `int8 output against the own-scale reading: max error ${num(own.error.maxAbsLsb, 3)} LSB` : undefined,
            `DNNLOWP enforces |bias scale − input scale × weight scale| ≤ 1e-4 and zero point 0${Math.abs(bias.scale - expected) > 1e-4 || bias.zeroPoint !== 0 ? ', so it refuses this blob' : ''}${dnn ? ' (its engine column ran with the scale corrected)' : ''}`,
          ]
            .filter(Boolean)
            .join('; '),
          fix: `Store the bias as int32 round(b_float / ${num(expected)}) and set the bias blob's Y_scale = ${num(expected, 8)} (input scale × weight scale), Y_zero_point = 0${
            bs && bs.nonZero > 0 && bias.zeroPoint !== undefined ? `; if the values were meant at the blob's scale, convert them: b_new = round((b − ${bias.zeroPoint}) × ${num(ratio, 6)})` : ''
          }.`,
        });
      }
    }

    // ---- weights: signed int8 stored without the +128 shift, or half the range ----
    const ws = op.weightStats;
    if (ws && ws.count > 0) {
      const farFromCentre = ws.zeroPoint < 64 || ws.zeroPoint >= 192;
      const bimodal = ws.shareLow >= 0.02 && ws.shareHigh >= 0.02 && ws.stdSigned < 0.6 * ws.stdUnsigned;
      if (farFromCentre && bimodal) {
        add(op, {
          severity: 'error',
          code: 'signed-weights',
          blob: w?.blob,
          message: `${label}: the weights ${w?.blob ?? ''} look like signed int8 values stored as uint8 without the +128 shift. With zero point ${ws.zeroPoint}, a small negative weight such as −1 (byte 255) is read as ${255 - ws.zeroPoint} × scale, a large positive one.`,
          evidence: `${pct(ws.shareLow)} of the ${count(ws.count)} bytes lie in 0..63 and ${pct(ws.shareHigh)} in 192..255, with zero point ${ws.zeroPoint}; read as two's-complement int8 they span ${ws.signedMin}..${ws.signedMax} with spread ${num(ws.stdSigned, 3)}, against ${num(ws.stdUnsigned, 3)} as uint8`,
          fix: `Caffe2's Int8Conv/Int8FC weights are unsigned: store each byte as int8 + 128 (byte XOR 0x80) and set Y_zero_point = ${ws.zeroPoint + 128 <= 255 ? ws.zeroPoint + 128 : 128} (the int8 zero point + 128), keeping the scale.`,
        });
      } else if (ws.zeroPoint === 0 && ws.max <= 127) {
        add(op, {
          severity: 'info',
          code: 'weights-half-range',
          blob: w?.blob,
          message: `${label}: the weights ${w?.blob ?? ''} use only codes ${ws.min}..${ws.max} of 0..255 with zero point 0: this is how PyTorch's signed qint8 int_repr() bytes look. They read correctly only because no weight is negative; a negative weight stored this way would be read as a large positive one.`,
          evidence: `${count(ws.count)} weight bytes in ${ws.min}..${ws.max}, zero point 0, scale ${num(ws.scale)} (so the largest weight is ${num(ws.max * ws.scale)})`,
          fix: 'For signed weights store int8 + 128 with zero point 128 (same scale); for non-negative weights an unsigned quantization over 0..255 gives twice the resolution.',
        });
      }
    }

    // ---- output range clips the float values ----
    const sat = op.saturation;
    const y = op.blobs.outputs[0];
    if (sat && op.shadow && y?.scale !== undefined && (sat.clippedHigh > 0 || sat.clippedLow > 0)) {
      const r = op.shadow.range;
      const repr = op.output?.histogram.representable;
      const clipped = sat.clippedHigh + sat.clippedLow;
      const over = Math.max(sat.overshootHighLsb, sat.overshootLowLsb);
      const parts: string[] = [];
      if (sat.clippedHigh > 0) parts.push(`${pct(sat.clippedHigh)} (${count(Math.round(sat.clippedHigh * sat.count))}) clipped at the top by up to ${num(sat.overshootHighLsb, 3)} LSB`);
      if (sat.clippedLow > 0) parts.push(`${pct(sat.clippedLow)} (${count(Math.round(sat.clippedLow * sat.count))}) at the bottom by up to ${num(sat.overshootLowLsb, 3)} LSB`);
      const what = op.type === 'Int8Quantize' ? 'input' : 'output';
      add(op, {
        severity: clipped >= 0.001 || over >= 4 ? 'warning' : 'info',
        code: 'output-clips',
        blob: y.blob,
        message: `${label}: its ${what} scale ${num(y.scale)} and zero point ${y.zeroPoint} cannot reach the float values: codes ${sat.clampMin}..255 represent ${num(repr?.[0])}..${num(repr?.[1])}, but ${op.type === 'Int8Quantize' ? 'the float input' : 'the float shadow'} spans ${num(r.min)}..${num(r.max)}.`,
        evidence: `of ${count(sat.count)} ${what}s, ${parts.join(' and ')}; max error ${num(op.shadow.error.maxAbsLsb, 3)} LSB against ${num(op.shadow.error.rmseLsb, 3)} LSB RMS`,
        fix: `Choose ${op.type === 'Int8Quantize' ? "Int8Quantize's" : "this op's"} Y_scale / Y_zero_point from the float range ${num(r.min)}..${num(r.max)} (a min/max observer gives ${suggestQparams(r, op)}); leave them if the clipping is deliberate (a histogram observer trades rare large values for resolution).`,
      });
    }

    // ---- collapse ----
    const col = op.collapse;
    if (col?.collapsed && y?.scale !== undefined) {
      const r = op.shadow?.range;
      const spanLsb = r ? (r.max - r.min) / y.scale : undefined;
      let fix: string;
      if (r && r.max === r.min) fix = "The float shadow is constant too: this layer's inputs or weights carry no signal. Check the weights (are they all at their zero point?) and the quantization of the layers above.";
      else if (sat && sat.clippedHigh + sat.clippedLow > 0.5) fix = `The outputs are clipped: choose Y_scale / Y_zero_point from the float range (${suggestQparams(r!, op)}).`;
      else if (r) fix = `The output scale is too coarse for this layer's values: choose Y_scale from the float range (${suggestQparams(r, op)}).`;
      else fix = 'Check the output scale and zero point against the values this layer produces.';
      add(op, {
        severity: col.share === 1 ? 'error' : 'warning',
        code: 'collapse',
        blob: y.blob,
        message: `${label}: ${col.share === 1 ? 'all' : pct(col.share)} of its outputs are the same code ${col.code} (= ${num(col.realValue)}): the layer passes on ${col.share === 1 ? 'no' : 'almost no'} information.`,
        evidence: `${col.distinct} distinct code${col.distinct === 1 ? '' : 's'}${r ? `; the float shadow spans ${num(r.min)}..${num(r.max)}, ${num(spanLsb, 3)} output LSBs` : ''}`,
        fix,
      });
    }

    // ---- Int8Dequantize arguments ----
    if (op.type === 'Int8Dequantize' && def) {
      const names = (def.arg ?? []).map((a) => a.name ?? '');
      if (names.includes('Y_scale') || names.includes('Y_zero_point')) {
        let given = '';
        let yScale: number | undefined;
        let yZp: number | undefined;
        try {
          const a = new ArgumentHelper(def.arg);
          if (names.includes('Y_scale')) yScale = f32(a.getFloat('Y_scale', 1));
          if (names.includes('Y_zero_point')) yZp = a.getInt('Y_zero_point', 0);
        } catch {
          /* reported by the op itself if it matters */
        }
        given = [yScale !== undefined ? `Y_scale ${num(yScale)}` : '', yZp !== undefined ? `Y_zero_point ${yZp}` : ''].filter(Boolean).join(' / ');
        const xin = op.blobs.inputs[0];
        const differs = (yScale !== undefined && yScale !== xin?.scale) || (yZp !== undefined && yZp !== xin?.zeroPoint);
        add(op, {
          severity: differs ? 'warning' : 'info',
          code: 'dequantize-args',
          blob: op.outputs[0],
          message: `${label} is given ${given}, which Caffe2 ignores: Int8Dequantize always uses its input tensor's own scale and zero point${xin?.scale !== undefined ? ` (${xin.blob}: ${num(xin.scale)}, ${xin.zeroPoint})` : ''}.`,
          evidence: `arguments ${given}${xin?.scale !== undefined ? ` vs ${xin.blob}'s scale ${num(xin.scale)} / zero point ${xin.zeroPoint}` : ''}${differs ? '; they differ, so the output is not what these arguments suggest' : ''}`,
          fix: 'Remove the Y_scale / Y_zero_point arguments from Int8Dequantize; to change the float output, change the quantization of the op that produces its input.',
        });
      }
    }

    // ---- engine names ----
    for (const e of engineEntries(op.engine)) {
      const upper = e.trim().toUpperCase();
      const knownInt8 = DNNLOWP_ENGINES.find((k) => k === upper);
      const isInt8 = op.type.startsWith('Int8');
      if (knownInt8 && e !== knownInt8) {
        add(op, {
          severity: 'warning',
          code: 'engine',
          message: `${label} names engine "${e}", probably meaning ${knownInt8}. Caffe2 matches engine names exactly and silently runs the default engine for a name it does not know.`,
          evidence: `engine field "${op.engine}"`,
          fix: `Write engine "${knownInt8}" to get DNNLOWP's arithmetic, or remove the engine to keep the default (QNNPACK).`,
        });
      } else if (isInt8 && !knownInt8) {
        add(op, {
          severity: 'warning',
          code: 'engine',
          message: `${label} names engine "${e}", which Caffe2 does not have for ${op.type}; it silently runs the default engine (QNNPACK arithmetic) instead.`,
          evidence: `engine field "${op.engine}"; Caffe2's int8 engines are the default one and ${DNNLOWP_ENGINES.join(', ')}`,
          fix: 'Remove the engine, or name DNNLOWP if that is the arithmetic you meant.',
        });
      } else if (!isInt8 && !knownInt8 && !FLOAT_ENGINES.includes(e)) {
        add(op, {
          severity: 'info',
          code: 'engine',
          message: `${label} names engine "${e}", which Caffe2 does not know for this op; it runs the default implementation.`,
          evidence: `engine field "${op.engine}"`,
          fix: 'Remove the engine if it is not needed.',
        });
      } else if (!isInt8 && knownInt8) {
        add(op, {
          severity: 'info',
          code: 'engine',
          message: `${label} is a float op with engine ${knownInt8}; Caffe2 runs its default float implementation (the DNNLOWP engines only exist for quantized ops).`,
          evidence: `engine field "${op.engine}"`,
          fix: 'Remove the engine from float ops.',
        });
      } else if (knownInt8 && knownInt8 !== 'DNNLOWP') {
        add(op, {
          severity: 'info',
          code: 'engine',
          message: `${label} runs engine ${knownInt8}, a variant with ${knownInt8.includes('ACC16') ? '16-bit accumulation and outlier handling' : knownInt8.includes('ROWWISE') ? 'row-wise weight quantization' : '16-bit activations'}; check that this was intended rather than DNNLOWP.`,
          evidence: `engine field "${op.engine}"`,
          fix: `Use engine "DNNLOWP" for 8-bit arithmetic with 32-bit accumulation.`,
        });
      }
      if (knownInt8?.startsWith('DNNLOWP') && /Relu$/.test(op.type) && (op.type.startsWith('Int8Conv') || op.type.startsWith('Int8FC'))) {
        add(op, {
          severity: 'info',
          code: 'engine',
          message: `${label} runs ${knownInt8} with a fused Relu: DNNLOWP replaces the given output qparams by (Y_scale × (255 − Y_zero_point) / 255, zero point 0), so its output tensor carries other qparams than the net states.`,
          evidence: `engine field "${op.engine}" on ${op.type}`,
          fix: 'Expect zero point 0 downstream, or use the default engine if the stated qparams must hold.',
        });
      }
    }
  }

  // ---- mixed engines across the int8 ops ----
  const compute = report.ops.filter(isInt8Compute);
  const dnn = compute.filter((o) => engineEntries(o.engine).some((e) => DNNLOWP_ENGINES.includes(e.trim())));
  const plain = compute.filter((o) => !engineEntries(o.engine).some((e) => DNNLOWP_ENGINES.includes(e.trim())));
  if (dnn.length && plain.length) {
    const list = (ops: OpComparison[]) => ops.slice(0, 4).map((o) => `${o.type} #${o.index}`).join(', ') + (ops.length > 4 ? `, … (${ops.length})` : '');
    add(undefined, {
      severity: 'warning',
      code: 'engine',
      message: `The net mixes engines: ${list(dnn)} run${dnn.length === 1 ? 's' : ''} DNNLOWP arithmetic while ${list(plain)} run${plain.length === 1 ? 's' : ''} the default (QNNPACK). That is rarely intended; results then match neither a pure QNNPACK nor a pure DNNLOWP build.`,
      evidence: compute.map((o) => `#${o.index} ${o.type}: ${o.engine || 'default'}`).join('; '),
      fix: 'Set the same engine on every Int8 op (engine "DNNLOWP" on all of them, or on none).',
    });
  }

  // ---- other engines change the bytes ----
  for (const op of report.ops) {
    for (const e of op.engines) {
      if (e.status !== 'ok' || !e.changed) continue;
      const hist = Object.entries(e.diffHistogram ?? {})
        .sort((a, b) => Number(a[0]) - Number(b[0]))
        .map(([d, c]) => `${Number(d) > 0 ? '+' : ''}${d} LSB: ${count(c)}`)
        .join(', ');
      add(op, {
        severity: 'info',
        code: 'engine-differs',
        blob: op.outputs[0],
        message: `${opLabel(op)}: engine ${e.engine} changes ${count(e.changed)} of its outputs (${pct(e.changedShare)}) against ${op.engine || 'the default engine'}, by up to ${num(e.maxDiffLsb)} LSB.`,
        evidence: `${hist}${e.error ? `; ${e.engine} against the float shadow: max ${num(e.error.maxAbsLsb, 3)} LSB, RMS ${num(e.error.rmseLsb, 3)} LSB${op.shadow ? ` (the net's own engine: max ${num(op.shadow.error.maxAbsLsb, 3)}, RMS ${num(op.shadow.error.rmseLsb, 3)})` : ''}` : ''}${e.adjustedBias ? `; ${e.engine} ran with the bias blob's scale corrected (it refuses the blob as it is; see the bias finding)` : e.note ? `; ${e.note}` : ''}`,
        fix: `Nothing to fix if ±${num(e.maxDiffLsb)} LSB is acceptable; to reproduce a Caffe2 build that ran ${e.engine}, set engine "${e.engine === 'default' ? '' : e.engine}" on this op.`,
      });
    }
  }

  // ---- the user's float model ----
  if (report.floatModel) {
    const fm = report.floatModel;
    if (fm.failure) {
      add(undefined, { severity: 'warning', code: 'float-model', message: `The float model failed to run: ${fm.failure}`, evidence: 'blobs it made before failing are still compared', fix: 'Fix the float model, or map only blobs made before the failing op.' });
    }
    if (fm.matched === 0) {
      add(undefined, {
        severity: 'warning',
        code: 'float-model',
        message: 'No blob of the int8 net matched a float blob of the float model, so nothing was compared against it.',
        evidence: `float net "${fm.net}"`,
        fix: 'Name the pairs with --map INT8BLOB=FLOATBLOB (library: floatModel.map).',
      });
    }
    for (const op of report.ops) {
      for (const m of op.floatModel) {
        if (m.role === 'weight' && m.error && m.error.maxAbsLsb !== null && m.error.maxAbsLsb > 0.5 + 1e-3) {
          add(op, {
            severity: m.error.maxAbsLsb > 2 ? 'error' : 'warning',
            code: 'float-model',
            blob: m.int8Blob,
            message: `${opLabel(op)}: the weights ${m.int8Blob} differ from the float model's ${m.floatBlob} by up to ${num(m.error.maxAbsLsb, 3)} weight LSBs, more than rounding (0.5 LSB) explains: the bytes, scale or zero point do not encode these weights.`,
            evidence: `largest difference at element ${m.error.worstIndex}: int8 reads ${num(m.error.worst.value)}, float model has ${num(m.error.worst.reference)}; layout ${m.layout}`,
            fix: 'Re-quantize the float weights: bytes = clamp(round(w / scale) + zero point, 0, 255), with signed int8 stored as int8 + 128 and zero point + 128.',
          });
        }
      }
    }
    const outs = report.ops.flatMap((op) => op.floatModel.filter((m) => m.role === 'output' && m.error?.rmseLsb != null).map((m) => ({ op, m })));
    if (outs.length) {
      const worst = outs.reduce((a, b) => (b.m.error!.rmseLsb! > a.m.error!.rmseLsb! ? b : a));
      const first = outs.find(({ m }) => m.error!.rmseLsb! > 2);
      add(worst.op, {
        severity: 'info',
        code: 'float-model',
        blob: worst.m.int8Blob,
        message: `Largest departure from the float model: ${opLabel(worst.op)}, RMS ${num(worst.m.error!.rmseLsb, 3)} LSB, max ${num(worst.m.error!.maxAbsLsb, 3)} LSB against ${worst.m.floatBlob}.${
          first && first.op !== worst.op ? ` It first exceeds 2 LSB RMS at ${opLabel(first.op)}.` : ''
        }`,
        evidence: outs.map(({ op, m }) => `#${op.index} ${m.int8Blob}: RMS ${num(m.error!.rmseLsb, 3)} LSB`).join('; '),
        fix: 'Look at the first op where the error jumps: its findings (weights, bias, output range) name the cause; error that only grows slowly is ordinary rounding.',
      });
    }
  }

  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || (a.f.opIndex ?? -1) - (b.f.opIndex ?? -1) || a.i - b.i)
    .map(({ f }) => f);
}
