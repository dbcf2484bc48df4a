// The compare report as one self-contained HTML page: inline CSS, inline SVG charts and a little
// inline script, nothing fetched from anywhere. Overview charts (error, saturation, engines) show
// the bad layer at a glance; each layer then has its numbers, its findings and a histogram of its
// output against the float shadow and the representable range.
import { count, num, opLabel, pct } from './fmt.js';
import type { CompareReport, Finding, OpComparison, OutputHistogram, Severity } from './types.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = {
  max: '#f4a261',
  rms: '#e76f51',
  drift: '#2a9d8f',
  shadow: '#457b9d',
  int8: '#e76f51',
  atZero: '#8d99ae',
  reluFloor: '#d8dee9',
  at255: '#264653',
  clipped: '#d62828',
  engine: ['#6a4c93', '#1982c4', '#8ac926', '#ff924c'],
  repr: '#e9f5db',
  outside: '#fde2e4',
};

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function worstSeverity(findings: Finding[]): Severity | undefined {
  return findings.reduce<Severity | undefined>((w, f) => (w === undefined || SEVERITY_RANK[f.severity] < SEVERITY_RANK[w] ? f.severity : w), undefined);
}

interface Series {
  name: string;
  color: string;
  values: Array<number | null>;
  /** Text shown above each bar (defaults to the value). */
  labels?: Array<string | null>;
}

interface BarChartSpec {
  id: string;
  title: string;
  categories: Array<{ label: string; op: number; bad?: Severity }>;
  series: Series[];
  yLabel: string;
  /** Log10 axis from `logMin` up (values below are drawn at the floor). */
  log?: { min: number };
  stacked?: boolean;
  format?: (v: number) => string;
  /** Smallest top of a linear axis, so tiny values look tiny. */
  minMax?: number;
}

function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(6)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(6)));
  return ticks;
}

/** A grouped (or stacked) bar chart, one group per op. */
function barChart(spec: BarChartSpec): string {
  const n = spec.categories.length;
  const left = 58;
  const right = 12;
  const top = 30;
  const bottom = 64;
  const legendW = spec.series.reduce((w, s) => w + 24 + s.name.length * 6.5, 0);
  const minW = Math.max(legendW + left + 10, spec.title.length * 7 + left + 10, 340);
  const groupW = Math.max(36, Math.min(110, 720 / Math.max(1, n)), (minW - left - right) / Math.max(1, n));
  const width = Math.round(left + right + groupW * n);
  const height = 250;
  const plotH = height - top - bottom;
  const fmt = spec.format ?? ((v: number) => num(v, 3));
  const all = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const stackedMax = spec.stacked ? Math.max(0, ...spec.categories.map((_, i) => spec.series.reduce((s, se) => s + (se.values[i] ?? 0), 0))) : 0;
  const maxV = spec.stacked ? stackedMax : Math.max(0, ...all);
  let y: (v: number) => number;
  let ticks: number[];
  if (spec.log) {
    const lo = Math.log10(spec.log.min);
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(maxV, spec.log.min * 10))));
    y = (v) => top + plotH - ((Math.log10(Math.max(v, spec.log!.min)) - lo) / (hi - lo)) * plotH;
    ticks = [];
    for (let e = Math.ceil(lo); e <= hi; e++) ticks.push(10 ** e);
  } else {
    ticks = niceTicks(Math.max(maxV, spec.minMax ?? 0));
    const top2 = ticks[ticks.length - 1]!;
    y = (v) => top + plotH - (v / top2) * plotH;
  }
  const parts: string[] = [];
  parts.push(`<svg class="chart" data-chart="${esc(spec.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}">`);
  parts.push(`<text class="title" x="${left}" y="16">${esc(spec.title)}</text>`);
  for (const t of ticks) {
    const ty = y(t);
    parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${left - 4}" y="${(ty + 3).toFixed(1)}" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  parts.push(`<text class="axis" transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  const base = top + plotH;
  spec.categories.forEach((cat, i) => {
    const gx = left + i * groupW;
    if (cat.bad === 'error' || cat.bad === 'warning') parts.push(`<rect class="badband ${cat.bad}" x="${gx + 1}" y="${top}" width="${groupW - 2}" height="${plotH}"/>`);
    const inner = groupW - 10;
    const bw = spec.stacked ? inner : inner / Math.max(1, spec.series.length);
    let stackY = base;
    spec.series.forEach((s, k) => {
      const v = s.values[i];
      const x = spec.stacked ? gx + 5 : gx + 5 + k * bw;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        const note = s.labels?.[i];
        if (note && !spec.stacked) parts.push(`<text class="val na" x="${(x + bw / 2).toFixed(1)}" y="${(base - 4).toFixed(1)}" text-anchor="middle">${esc(note)}</text>`);
        return;
      }
      let y0: number;
      let y1: number;
      if (spec.stacked) {
        y1 = stackY;
        y0 = v > 0 ? Math.min(y1 - 1, y1 - (base - y(v))) : y1;
        stackY = y0;
      } else {
        y1 = base;
        y0 = Math.min(base - 1, y(v));
      }
      const label = s.labels?.[i] ?? fmt(v);
      parts.push(
        `<rect class="bar" data-op="${cat.op}" data-series="${esc(s.name)}" x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${Math.max(1, y1 - y0).toFixed(1)}" fill="${s.color}"><title>${esc(`${cat.label} — ${s.name}: ${label}`)}</title></rect>`,
      );
      if (!spec.stacked && n * spec.series.length <= 24) parts.push(`<text class="val" x="${(x + bw / 2).toFixed(1)}" y="${(y0 - 3).toFixed(1)}" text-anchor="middle">${esc(label)}</text>`);
    });
    parts.push(
      `<text class="cat" data-op="${cat.op}" x="${(gx + groupW / 2).toFixed(1)}" y="${base + 14}" text-anchor="middle">#${cat.op}</text><text class="cat2" x="${(gx + groupW / 2).toFixed(1)}" y="${base + 27}" text-anchor="middle">${esc(cat.label.length > 14 ? `${cat.label.slice(0, 13)}…` : cat.label)}</text>`,
    );
  });
  parts.push(`<line class="axisline" x1="${left}" x2="${width - right}" y1="${base}" y2="${base}"/>`);
  let lx = left;
  for (const s of spec.series) {
    parts.push(`<rect x="${lx}" y="${height - 16}" width="10" height="10" fill="${s.color}"/><text class="legend" x="${lx + 14}" y="${height - 7}">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  void bottom;
  return parts.join('');
}

/** Histogram of one op's output against its float shadow and representable range (log counts). */
function histogramChart(op: OpComparison, h: OutputHistogram): string {
  const width = 560;
  const height = 220;
  const left = 50;
  const right = 12;
  const top = 24;
  const bottom = 46;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const bins = h.int8.length;
  const x = (v: number) => left + ((v - h.lo) / (h.hi - h.lo)) * plotW;
  const maxC = Math.max(1, ...h.int8, ...(h.shadow ?? []));
  const y = (c: number) => top + plotH - (Math.log10(1 + c) / Math.log10(1 + maxC)) * plotH;
  const bw = plotW / bins;
  const isFloat = op.blobs.outputs[0]?.kind === 'tensor';
  const names = isFloat ? ['float run of the net', 'output'] : ['float shadow', 'int8 output'];
  const p: string[] = [];
  p.push(`<svg class="chart" data-chart="histogram" data-op="${op.index}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="histogram of ${esc(op.outputs[0] ?? '')}">`);
  p.push(`<text class="title" x="${left}" y="14">${esc(`${op.outputs[0] ?? ''}: values (log count)`)}</text>`);
  if (h.representable) {
    const [r0, r1] = h.representable;
    const a = Math.max(left, x(r0));
    const b = Math.min(left + plotW, x(r1));
    p.push(`<rect class="outside" x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="${COLORS.outside}"/>`);
    p.push(`<rect class="representable" x="${a.toFixed(1)}" y="${top}" width="${Math.max(1, b - a).toFixed(1)}" height="${plotH}" fill="${COLORS.repr}"><title>${esc(`representable: ${num(r0)} .. ${num(r1)}`)}</title></rect>`);
    for (const [v, t] of [
      [r0, `code ${op.saturation?.clampMin ?? 0}`],
      [r1, 'code 255'],
    ] as const) {
      const lx = x(v);
      p.push(`<line class="limit" x1="${lx.toFixed(1)}" x2="${lx.toFixed(1)}" y1="${top}" y2="${top + plotH}"/><text class="tick" x="${lx.toFixed(1)}" y="${top - 3}" text-anchor="middle">${esc(t)}</text>`);
    }
  }
  const drawBars = (counts: number[] | undefined, color: string, cls: string, inset: number) => {
    if (!counts) return;
    counts.forEach((c, i) => {
      if (!c) return;
      const y0 = y(c);
      p.push(`<rect class="bar ${cls}" x="${(left + i * bw + inset).toFixed(1)}" y="${y0.toFixed(1)}" width="${Math.max(1, bw - 2 * inset).toFixed(1)}" height="${Math.max(1, top + plotH - y0).toFixed(1)}" fill="${color}"><title>${esc(`${cls === 'shadow' ? names[0] : names[1]}: ${count(c)} in ${num(h.lo + i * ((h.hi - h.lo) / bins))} .. ${num(h.lo + (i + 1) * ((h.hi - h.lo) / bins))}`)}</title></rect>`);
    });
  };
  drawBars(h.shadow, COLORS.shadow, 'shadow', 0);
  drawBars(h.int8, COLORS.int8, 'int8', bw * 0.25);
  p.push(`<line class="axisline" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  const ticks = 5;
  for (let t = 0; t <= ticks; t++) {
    const v = h.lo + ((h.hi - h.lo) * t) / ticks;
    p.push(`<text class="tick" x="${x(v).toFixed(1)}" y="${top + plotH + 13}" text-anchor="middle">${esc(num(v, 3))}</text>`);
  }
  p.push(`<text class="tick" x="${left - 4}" y="${top + 8}" text-anchor="end">${esc(count(maxC))}</text><text class="tick" x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>`);
  let lx = left;
  const legend: Array<[string, string]> = [
    ...(h.shadow ? [[names[0]!, COLORS.shadow] as [string, string]] : []),
    [names[1]!, COLORS.int8],
    ...(h.representable ? [['representable range', '#b7e4c7'] as [string, string], ['outside', '#f4acb7'] as [string, string]] : []),
  ];
  for (const [name, color] of legend) {
    p.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${color}"/><text class="legend" x="${lx + 14}" y="${height - 5}">${esc(name)}</text>`);
    lx += 26 + name.length * 6.2;
  }
  p.push('</svg>');
  return p.join('');
}

function row(k: string, v: string): string {
  return `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
}

function qp(b: { scale?: number; zeroPoint?: number; dims?: number[]; blob: string; kind: string; dtype?: string } | undefined): string {
  if (!b) return '';
  if (b.kind === 'int8') return `${esc(b.blob)}: scale ${esc(num(b.scale, 8))}, zero point ${b.zeroPoint} <span class="dim">${esc(b.dtype ?? '')} [${(b.dims ?? []).join(',')}]</span>`;
  if (b.kind === 'tensor') return `${esc(b.blob)}: <span class="dim">${esc(b.dtype ?? '')} [${(b.dims ?? []).join(',')}]</span>`;
  return `${esc(b.blob)}: <span class="dim">${b.kind}</span>`;
}

function errCell(e: { maxAbs: number; rmse: number; maxAbsLsb: number | null; rmseLsb: number | null; cosine: number | null; meanError: number } | undefined): string {
  if (!e) return '';
  const lsb = e.maxAbsLsb !== null ? ` = ${esc(num(e.maxAbsLsb, 3))} / ${esc(num(e.rmseLsb, 3))} LSB` : '';
  return `max ${esc(num(e.maxAbs, 4))}, RMS ${esc(num(e.rmse, 4))}${lsb}; mean ${esc(num(e.meanError, 3))}; cosine ${e.cosine === null ? '-' : e.cosine.toFixed(6)}`;
}

function findingHtml(f: Finding): string {
  const link = f.opIndex !== undefined ? `<a href="#op-${f.opIndex}">#${f.opIndex} ${esc(f.opType ?? '')}</a> ` : '';
  return `<li class="finding ${f.severity}" data-code="${esc(f.code)}"><span class="sev ${f.severity}">${f.severity}</span> ${link}${esc(f.message)}<div class="ev"><b>evidence:</b> ${esc(f.evidence)}</div><div class="fix"><b>fix:</b> ${esc(f.fix)}</div></li>`;
}

function layerCard(op: OpComparison, findings: Finding[]): string {
  const sev = worstSeverity(findings);
  const bad = sev === 'error' || sev === 'warning';
  const rows: string[] = [];
  rows.push(row('engine', esc(op.engine || 'default') + (op.status === 'failed' ? ` <span class="sev error">failed</span> ${esc(op.failure ?? '')}` : '')));
  op.blobs.inputs.forEach((b, i) => {
    if (op.blobs.weight && i === 1) return;
    if (op.blobs.bias && i === 2) return;
    rows.push(row(`input ${i}`, qp(b)));
  });
  if (op.blobs.weight) rows.push(row('weight', qp(op.blobs.weight)));
  if (op.blobs.bias) rows.push(row('bias', qp(op.blobs.bias) + (op.biasStats ? ` <span class="dim">values ${op.biasStats.min}..${op.biasStats.max}</span>` : '')));
  if (op.blobs.outputs[0]) rows.push(row('output', qp(op.blobs.outputs[0])));
  if (op.requantScale !== undefined) rows.push(row('requantization scale', `${esc(num(op.requantScale, 8))}${op.requantScale >= 1 ? ' <span class="sev error">≥ 1</span>' : ''}`));
  if (op.standIn) rows.push(row('stand-in', esc(op.standIn)));
  if (op.shadow) {
    rows.push(row('shadow', esc(op.shadow.method)));
    rows.push(row('error vs shadow', errCell(op.shadow.error)));
    rows.push(row('≠ ideal rounding', esc(pct(op.shadow.offIdeal))));
    const b = op.shadow.biasAtOwnScale;
    if (b) rows.push(row('bias at its own scale', b.identical ? esc(b.reason) : `${errCell(b.error)}; moves outputs by up to ${esc(num(b.maxShiftLsb, 3))} LSB`));
  } else if (op.shadowUnavailable && op.category === 'int8' && op.type !== 'Int8Dequantize') rows.push(row('shadow', esc(op.shadowUnavailable)));
  if (op.drift) rows.push(row('drift (float run)', errCell(op.drift)));
  for (const m of op.floatModel) rows.push(row(`float model (${m.role})`, m.error ? `${esc(m.floatBlob)} [${esc(m.layout)}]: ${errCell(m.error)}` : esc(`${m.floatBlob}: ${m.skipped ?? ''}`)));
  if (op.saturation) {
    const s = op.saturation;
    rows.push(row('saturation', `at 0: ${esc(pct(s.atZero))}, at 255: ${esc(pct(s.at255))}${s.clampMin ? `, at the Relu clamp ${s.clampMin}: ${esc(pct(s.atClampMin))}` : ''}; clipped: ${esc(pct(s.clippedHigh))} high, ${esc(pct(s.clippedLow))} low`));
  }
  if (op.collapse) rows.push(row('most common code', `${op.collapse.code} (${esc(num(op.collapse.realValue))}): ${esc(pct(op.collapse.share))}; ${op.collapse.distinct} distinct codes${op.collapse.collapsed ? ' <span class="sev error">collapsed</span>' : ''}`));
  for (const e of op.engines) {
    const what = e.status !== 'ok' ? `<span class="dim">${esc(e.status)}</span>` : e.changed === undefined ? 'ran' : `changes ${esc(count(e.changed))} outputs (${esc(pct(e.changedShare))}), up to ${esc(num(e.maxDiffLsb))} LSB`;
    rows.push(row(`engine ${e.engine}`, `${what}${e.error ? `; vs shadow max ${esc(num(e.error.maxAbsLsb, 3))} / RMS ${esc(num(e.error.rmseLsb, 3))} LSB` : ''}${e.note ? ` <div class="dim">${esc(e.note)}</div>` : ''}`));
  }
  for (const n of op.notes) rows.push(row('note', esc(n)));
  const hist = op.output ? histogramChart(op, op.output.histogram) : '';
  return `<article class="layer${bad ? ` bad ${sev}` : ''}" id="op-${op.index}" data-op="${op.index}" data-findings="${findings.length}">
<h3>#${op.index} ${esc(op.type)} <span class="dim">${esc(op.inputs.join(', '))} → ${esc(op.outputs.join(', '))}</span>${sev ? ` <span class="sev ${sev}">${findings.length} finding${findings.length === 1 ? '' : 's'}</span>` : ''}</h3>
<div class="cols"><table class="kv">${rows.join('')}</table><div>${hist}</div></div>
${findings.length ? `<ul class="findings">${findings.map(findingHtml).join('')}</ul>` : ''}
</article>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#264653;color:#fff;padding:14px 22px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
main{padding:10px 22px 40px}h2{font-size:17px;margin:22px 0 8px}
.charts{display:flex;flex-wrap:wrap;gap:14px}.chart{background:#fff;border:1px solid #ddd;border-radius:6px}
.chart .title{font-weight:600;font-size:12px}.chart .tick,.chart .cat2,.chart .legend{font-size:10px;fill:#555}.chart .cat{font-size:11px;font-weight:600;cursor:pointer}
.chart .val{font-size:9px;fill:#333}.chart .axis{font-size:11px;fill:#444}.chart .grid{stroke:#eee}.chart .axisline{stroke:#888}
.chart .limit{stroke:#2d6a4f;stroke-dasharray:4 2}.chart .bar{cursor:pointer}.chart .bar.shadow{opacity:.55}.chart .bar.int8{opacity:.8}
.badband.error{fill:#ffe5e5}.badband.warning{fill:#fff4d6}
.sev{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;font-weight:600;color:#fff;text-transform:uppercase}
.sev.error{background:#d62828}.sev.warning{background:#e09f3e}.sev.info{background:#457b9d}
ul.findings{list-style:none;padding:0;margin:6px 0}.finding{background:#fff;border-left:4px solid #457b9d;margin:6px 0;padding:6px 10px}
.finding.error{border-color:#d62828}.finding.warning{border-color:#e09f3e}.finding .ev,.finding .fix{font-size:12.5px;color:#444;margin-top:2px}
.layer{background:#fff;border:1px solid #ddd;border-radius:6px;margin:12px 0;padding:8px 14px}
.layer.bad.error{border:2px solid #d62828}.layer.bad.warning{border:2px solid #e09f3e}.layer h3{margin:4px 0 8px;font-size:15px}
.layer.flash{box-shadow:0 0 0 4px #ffd166}
.cols{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.kv{border-collapse:collapse;font-size:12.5px;max-width:640px}
.kv th{text-align:left;font-weight:600;padding:2px 10px 2px 0;vertical-align:top;white-space:nowrap;color:#444}.kv td{padding:2px 0}
.dim{color:#777;font-size:12px}.controls{margin:8px 0}button{font:inherit;padding:3px 10px;border:1px solid #aaa;border-radius:4px;background:#fff;cursor:pointer}
body.only-bad .layer:not(.bad){display:none}
`;

const SCRIPT = `
(function(){
  function go(op){var el=document.getElementById('op-'+op);if(!el)return;el.scrollIntoView({behavior:'smooth',block:'start'});el.classList.add('flash');setTimeout(function(){el.classList.remove('flash')},1200);}
  document.querySelectorAll('[data-chart] [data-op]').forEach(function(n){n.addEventListener('click',function(){go(n.getAttribute('data-op'))});});
  var b=document.getElementById('only-bad');
  if(b)b.addEventListener('click',function(){var on=document.body.classList.toggle('only-bad');b.textContent=on?'show all layers':'show only layers with warnings or errors';});
  document.documentElement.setAttribute('data-ready','1');
})();
`;

/** The self-contained HTML page for a report. */
export function renderCompareHtml(r: CompareReport): string {
  const shown = r.ops.filter((o) => o.category !== 'param');
  const byOp = new Map<number, Finding[]>();
  for (const f of r.findings) if (f.opIndex !== undefined) byOp.set(f.opIndex, [...(byOp.get(f.opIndex) ?? []), f]);
  const netFindings = r.findings.filter((f) => f.opIndex === undefined);
  const int8 = shown.filter((o) => o.category === 'int8' && (o.shadow || o.saturation || o.drift));
  const cats = int8.map((o) => ({ label: o.type, op: o.index, bad: worstSeverity(byOp.get(o.index) ?? []) }));
  const charts: string[] = [];
  if (int8.length) {
    charts.push(
      barChart({
        id: 'error',
        title: 'Error per layer (output LSBs, log scale)',
        categories: cats,
        yLabel: 'LSB',
        log: { min: 0.01 },
        series: [
          { name: 'max vs shadow', color: COLORS.max, values: int8.map((o) => o.shadow?.error.maxAbsLsb ?? null) },
          { name: 'RMS vs shadow', color: COLORS.rms, values: int8.map((o) => o.shadow?.error.rmseLsb ?? null) },
          { name: 'RMS drift (float run)', color: COLORS.drift, values: int8.map((o) => o.drift?.rmseLsb ?? null) },
        ],
      }),
    );
    charts.push(
      barChart({
        id: 'saturation',
        title: 'Saturation per layer (% of outputs)',
        categories: cats,
        yLabel: '% of outputs',
        stacked: true,
        minMax: 1,
        format: (v) => `${num(v, 3)}%`,
        series: [
          { name: 'at code 0', color: COLORS.atZero, values: int8.map((o) => (o.saturation ? (o.saturation.relu && o.saturation.clampMin === 0 ? 0 : o.saturation.atZero) * 100 : null)) },
          { name: 'at the Relu floor', color: COLORS.reluFloor, values: int8.map((o) => (o.saturation?.relu ? o.saturation.atClampMin * 100 : null)) },
          { name: 'at code 255', color: COLORS.at255, values: int8.map((o) => (o.saturation ? o.saturation.at255 * 100 : null)) },
          { name: 'clipped (float value out of range)', color: COLORS.clipped, values: int8.map((o) => (o.saturation && o.shadow ? (o.saturation.clippedHigh + o.saturation.clippedLow) * 100 : null)) },
        ],
      }),
    );
    const engines = [...new Set(int8.flatMap((o) => o.engines.map((e) => e.engine)))];
    if (engines.length) {
      charts.push(
        barChart({
          id: 'engines',
          title: 'Outputs another engine changes (% of outputs, log scale)',
          categories: cats,
          yLabel: '% changed',
          log: { min: 0.0001 },
          format: (v) => `${num(v, 2)}%`,
          series: engines.map((name, k) => ({
            name,
            color: COLORS.engine[k % COLORS.engine.length]!,
            values: int8.map((o) => {
              const e = o.engines.find((x) => x.engine === name);
              return e?.changedShare !== undefined ? e.changedShare * 100 : null;
            }),
            labels: int8.map((o) => {
              const e = o.engines.find((x) => x.engine === name);
              if (!e) return null;
              if (e.status !== 'ok') return e.status === 'not available' ? 'n/a' : e.status;
              return e.changedShare !== undefined ? `${pct(e.changedShare, 2)}` : 'ran';
            }),
          })),
        }),
      );
    }
  }
  const counts = (['error', 'warning', 'info'] as const).map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>caffe2-int8 compare: ${esc(r.net)}</title><style>${CSS}</style></head>
<body>
<header><h1>caffe2-int8 compare — net “${esc(r.net)}”</h1>
<p>${shown.length} ops; inputs ${esc(r.inputs.map((i) => `${i.blob} [${(i.dims ?? []).join(',')}]`).join(', ') || '(none)')}; engines ${esc(r.engines.join(', '))}${r.floatModel ? `; float model “${esc(r.floatModel.net)}”, ${r.floatModel.matched} blobs matched` : ''}</p></header>
<main>
<h2>Findings <span class="dim">${counts.map(([s, c]) => `${c} ${s}`).join(', ')}</span></h2>
${r.findings.length ? `<ul class="findings" id="all-findings">${[...netFindings, ...r.findings.filter((f) => f.opIndex !== undefined)].map(findingHtml).join('')}</ul>` : '<p>None.</p>'}
<h2>Per layer</h2>
<p class="dim">Errors are the int8 output against its float shadow (the same op in float on the dequantized inputs, weights and bias); drift is against a float run of the whole net up to that op. Layers with warnings or errors are shaded; click a bar to jump to the layer.</p>
<div class="charts" id="overview">${charts.join('')}</div>
<div class="controls"><button id="only-bad" type="button">show only layers with warnings or errors</button></div>
<section id="layers">${shown.map((o) => layerCard(o, byOp.get(o.index) ?? [])).join('\n')}</section>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}

export { opLabel };
