// The compare report as a terminal table followed by the findings.
import { count, num, opLabel, pct } from './fmt.js';
import type { CompareReport, EngineComparison, OpComparison } from './types.js';

function engineCell(e: EngineComparison | undefined): string {
  if (!e) return '';
  if (e.status === 'not available') return 'n/a';
  if (e.status === 'failed') return 'failed';
  if (e.changed === undefined) return e.adjustedBias ? 'ran*' : 'ran';
  if (e.changed === 0) return `same${e.adjustedBias ? '*' : ''}`;
  return `${count(e.changed)} (${pct(e.changedShare, 2)}) ±${num(e.maxDiffLsb)}${e.adjustedBias ? '*' : ''}`;
}

function lsbPair(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined) return '';
  return `${num(a, 3)} / ${num(b, 3)}`;
}

function qparamsCell(op: OpComparison): string {
  const y = op.blobs.outputs[0];
  if (y?.kind === 'int8') return `${num(y.scale)} / ${y.zeroPoint}`;
  if (y?.kind === 'tensor') return y.dtype ?? 'tensor';
  if (op.outputQparams) return `${num(op.outputQparams.scale)} / ${op.outputQparams.zeroPoint}`;
  return '';
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join('\n');
}

/** Plain-text rendering: a header, one row per op, notes, then the findings. */
export function formatCompareReport(r: CompareReport, width = 100): string {
  const out: string[] = [];
  out.push(`net "${r.net}": ${r.ops.length} ops; inputs ${r.inputs.map((i) => `${i.blob} ${i.dtype ?? ''} [${(i.dims ?? []).join(',')}]`).join(', ') || '(none)'}`);
  out.push(`engines compared: ${r.engines.join(', ')}${r.floatModel ? `; float model "${r.floatModel.net}" (${r.floatModel.matched} blobs matched)` : ''}`);
  out.push(
    wrap(
      'err: int8 output against its float shadow (the same op in float on the dequantized inputs, weights and bias), max / RMS in output LSBs; drift: against a float run of the whole net up to this op; at 0 / at 255: share of outputs at each clamp; clipped: share whose float value lies outside the output range',
      width,
      '',
    ),
  );
  out.push('');
  const otherEngines = [...new Set(r.ops.flatMap((o) => o.engines.map((e) => e.engine)))];
  const hasFloat = !!r.floatModel;
  const header = ['#', 'op', 'engine', 'output', 'scale / zp', 'requant', 'err max / RMS', 'cos', 'at 0', 'at 255', 'clipped', 'drift max / RMS', ...(hasFloat ? ['float model max / RMS'] : []), ...otherEngines.map((e) => `${e} Δ`)];
  const rows: string[][] = [header];
  for (const op of r.ops) {
    if (op.category === 'param') continue;
    const sat = op.saturation;
    const fm = op.floatModel.find((m) => m.role === 'output' && m.error);
    rows.push([
      String(op.index),
      op.type + (op.status === 'failed' ? ' ✗' : ''),
      op.engine || '-',
      truncate(op.outputs[0] ?? '', 22),
      qparamsCell(op),
      op.requantScale !== undefined ? num(op.requantScale, 4) : '',
      op.shadow ? lsbPair(op.shadow.error.maxAbsLsb, op.shadow.error.rmseLsb) : '',
      op.shadow?.error.cosine != null ? op.shadow.error.cosine.toFixed(6) : '',
      sat ? `${pct(sat.atZero, 2)}${sat.relu && sat.clampMin === 0 ? ' (Relu)' : ''}` : '',
      sat ? pct(sat.at255, 2) : '',
      sat && op.shadow ? pct(sat.clippedHigh + sat.clippedLow, 2) : '',
      op.drift ? (op.drift.maxAbsLsb !== null ? lsbPair(op.drift.maxAbsLsb, op.drift.rmseLsb) : `${num(op.drift.maxAbs, 3)} / ${num(op.drift.rmse, 3)} (float)`) : '',
      ...(hasFloat ? [fm?.error ? (fm.error.maxAbsLsb !== null ? lsbPair(fm.error.maxAbsLsb, fm.error.rmseLsb) : `${num(fm.error.maxAbs, 3)} / ${num(fm.error.rmse, 3)}`) : ''] : []),
      ...otherEngines.map((e) => engineCell(op.engines.find((x) => x.engine === e))),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const [i, row] of rows.entries()) {
    out.push(row.map((cell, c) => (c === 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
    if (i === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }

  const notes: string[] = [];
  // "engine not available" once per engine, listing the ops.
  const unavailable = new Map<string, string[]>();
  for (const op of r.ops) for (const e of op.engines) if (e.status === 'not available') unavailable.set(e.engine, [...(unavailable.get(e.engine) ?? []), `${op.type} #${op.index}`]);
  for (const [engine, list] of unavailable) notes.push(`engine ${engine} not available in caffe2-int8 for ${list.join(', ')}: not compared`);
  for (const op of r.ops) {
    if (op.category === 'param') continue;
    const label = opLabel(op);
    if (op.failure) notes.push(`${label}: failed: ${op.failure}${op.standIn ? ` (standing in: ${op.standIn})` : ''}`);
    if (op.category === 'int8' && op.shadowUnavailable && op.type !== 'Int8Dequantize') notes.push(`${label}: ${op.shadowUnavailable}`);
    for (const e of op.engines) {
      if (e.status === 'failed' && e.note) notes.push(`${label}: ${e.engine} failed: ${e.note}`);
      else if (e.adjustedBias && e.note) notes.push(`${label}: * ${e.note}`);
    }
    for (const m of op.floatModel) {
      if (m.skipped) notes.push(`${label}: ${m.role} ${m.int8Blob} not compared with the float model's ${m.floatBlob}: ${m.skipped}`);
      else if (m.error && m.range) {
        const own = m.role === 'output' ? op.output?.range : undefined;
        const lsb = m.error.maxAbsLsb !== null ? `, max ${num(m.error.maxAbsLsb, 3)} / RMS ${num(m.error.rmseLsb, 3)} ${m.role === 'weight' ? 'weight' : m.role === 'bias' ? 'bias' : 'output'} LSB` : '';
        notes.push(`${label}: ${m.role} ${m.int8Blob} against the float model's ${m.floatBlob} (${m.layout}): float ${num(m.range.min)}..${num(m.range.max)}${own ? `, int8 ${num(own.min)}..${num(own.max)}` : ''}${lsb}`);
      }
    }
    for (const n of op.notes) notes.push(`${label}: ${n}`);
  }
  if (notes.length) {
    out.push('');
    out.push('notes:');
    for (const n of notes) out.push(`  ${wrap(n, width - 2, '    ')}`);
  }

  out.push('');
  if (r.findings.length === 0) out.push('findings: none');
  else {
    out.push(`findings (${r.findings.length}):`);
    r.findings.forEach((f, i) => {
      const head = `${i + 1}. [${f.severity}] `;
      out.push(head + wrap(f.message, width - head.length, ' '.repeat(head.length)));
      const pad = ' '.repeat(head.length);
      out.push(pad + wrap(`evidence: ${f.evidence}`, width - head.length, pad + '  '));
      out.push(pad + wrap(`fix: ${f.fix}`, width - head.length, pad + '  '));
    });
  }
  return out.join('\n');
}
