// The human-readable report: one table per thread count (median ms, GMAC/s, our time against
// each peer's), thread scaling of the whole nets, setup times, output agreement, process memory,
// and whether the machine was busy.
import type { ChildReport } from './child.js';
import { BUSY_THRESHOLD } from './machine.js';
import { median } from './timing.js';
import { okResult, PEERS, type BenchResult } from './results.js';
import { RUNTIMES, type RuntimeId } from './runtimes.js';

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function ms(v: number): string {
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}

/** "3.2x slower" when our time is longer than the peer's, else "1.5x faster". */
export function ratioText(ratio: number): string {
  return ratio >= 1 ? `${ratio.toFixed(ratio < 10 ? 2 : 1)}x slower` : `${(1 / ratio).toFixed(1 / ratio < 10 ? 2 : 1)}x faster`;
}

function cell(processes: readonly ChildReport[], runtime: RuntimeId, threads: number, workload: string, macs: number): string {
  const p = processes.find((x) => x.runtime === runtime && x.threads === threads);
  if (!p) return '-';
  if (p.error) return 'n/a';
  const r = p.results.find((x) => x.workload === workload);
  if (!r) return '-';
  if (r.status !== 'ok') return r.status === 'skipped' ? 'skipped' : 'n/a';
  return `${ms(r.medianMs)} (${(macs / r.medianMs / 1e6).toFixed(2)})`;
}

function problems(processes: readonly ChildReport[]): string[] {
  const out: string[] = [];
  const skipped = new Map<string, string[]>();
  for (const p of processes) {
    if (p.error) out.push(`${p.runtime} x${p.threads}: n/a: ${p.error}`);
    for (const r of p.results) {
      if (r.status === 'error') out.push(`${p.runtime} x${p.threads} ${r.workload}: n/a: ${r.reason}`);
      if (r.status === 'skipped') skipped.set(r.reason, [...(skipped.get(r.reason) ?? []), `${p.runtime} x${p.threads} ${r.workload}`]);
    }
  }
  for (const [reason, list] of skipped) out.push(`skipped (${reason}): ${list.join(', ')}`);
  return out;
}

export function formatReport(res: BenchResult): string {
  const { processes, options } = res;
  const runtimes = RUNTIMES.filter((id) => processes.some((p) => p.runtime === id));
  const out: string[] = [];
  const versions = processes.find((p) => p.versions)?.versions;
  out.push(`caffe2-int8 bench, ${res.date}: ${res.machine.cpu}, ${res.machine.cores} cores, Node ${res.machine.node}${versions ? `, onnxruntime ${Object.values(versions)[0]}` : ''}`);
  out.push(`per workload: warm-up ${options.warmupSeconds} s, then the median of at least ${options.minRuns} runs and ${options.seconds} s; ${res.inputs}`);
  out.push('cells: median ms (GMAC/s); ratio: our time / peer time, ours = ours-wasm (ours-js where wasm has no number)');

  for (const t of options.threads) {
    out.push('', `threads ${t}`);
    const rows = res.workloads.map((w) => {
      const c = res.comparisons.find((x) => x.workload === w.name && x.threads === t);
      const ratios = PEERS.map((peer) => (c?.ratio[peer] === undefined ? '-' : ratioText(c.ratio[peer]!)));
      return [w.name, (w.macs / 1e6).toFixed(1), ...runtimes.map((id) => cell(processes, id, t, w.name, w.macs)), ...ratios];
    });
    out.push(table(['workload', 'MMAC', ...runtimes, ...PEERS.map((p) => `ours vs ${p}`)], rows));
  }

  if (res.scaling.length) {
    const base = res.scaling[0]!.baseThreads;
    out.push('', `thread scaling of the whole nets (throughput / throughput at ${base} thread${base > 1 ? 's' : ''})`);
    const threads = [...new Set(res.scaling.map((s) => s.threads))];
    const nets = res.workloads.filter((w) => w.kind === 'net');
    const rows = nets.flatMap((w) =>
      runtimes
        .filter((id) => res.scaling.some((s) => s.workload === w.name && s.runtime === id))
        .map((id) => [w.name, id, ...threads.map((t) => res.scaling.find((s) => s.workload === w.name && s.runtime === id && s.threads === t)?.speedup.toFixed(2) ?? '-')]),
    );
    out.push(table(['workload', 'runtime', ...threads.map((t) => `x${t}`)], rows));
  }

  const t0 = options.threads[0]!;
  out.push('', `setup at ${t0} thread${t0 > 1 ? 's' : ''}: create net/session ms / first run ms (weights packed) / max |output - ours| in LSB`);
  out.push(
    table(
      ['workload', ...runtimes],
      res.workloads.map((w) => [
        w.name,
        ...runtimes.map((id) => {
          const r = okResult(processes, id, t0, w.name);
          const a = res.agreement.find((x) => x.workload === w.name && x.runtime === id && x.threads === t0);
          return r ? `${ms(r.createMs)} / ${ms(r.firstRunMs)} / ${a ? a.maxAbsDiff : '-'}` : '-';
        }),
      ]),
    ),
  );

  const mc = res.machineCheck;
  const others = (name: string) => mc.otherCpu.find((o) => o.process === name);
  out.push(
    '',
    'processes: peak RSS (MiB); OS threads at exit; CPU time / wall time over the timed runs (median over workloads; ~N when N threads work);',
    'CPU used by other processes meanwhile (% of one core)',
  );
  out.push(
    table(
      ['runtime', 'threads', 'peak RSS', 'OS threads', 'cpu/wall', 'others'],
      processes.map((p) => {
        const util = p.results.flatMap((r) => (r.status === 'ok' ? [r.cpuPerWall] : [])).sort((a, b) => a - b);
        const o = others(`${p.runtime} x${p.threads}`);
        return [p.runtime, String(p.threads), p.maxRssMiB.toFixed(0), String(p.osThreads), util.length ? util[util.length >> 1]!.toFixed(2) : '-', o ? `${(o.cores * 100).toFixed(1)}%` : '-'];
      }),
    ),
  );
  const m = res.memoryCheck;
  if (m) {
    out.push(
      m.error
        ? `fresh process, ${m.workload} only, ${m.runtime}: n/a: ${m.error}`
        : `fresh process, ${m.workload} only, ${m.runtime} (new Workspace() defaults): peak RSS ${m.maxRssMiB.toFixed(0)} MiB, target < ${m.targetMiB} MiB: ${m.ok ? 'ok' : 'OVER'}`,
    );
  }

  out.push(
    '',
    `machine: calibration loop on all cores ${mc.calibrationMs.map((c) => c.ms.toFixed(1)).join(', ')} ms (before the runs and after each process), slowest ${(mc.slowdown * 100).toFixed(1)}% over the median; load average ${mc.loadavgBefore[0]!.toFixed(2)} before, ${mc.loadavgAfter[0]!.toFixed(2)} after`,
  );
  if (mc.busy) {
    const middle = median(mc.calibrationMs.map((c) => c.ms));
    const slow = mc.calibrationMs.filter((c) => c.ms > middle * (1 + BUSY_THRESHOLD)).map((c) => `calibration after ${c.after}`);
    const shared = mc.otherCpu.filter((o) => o.cores > BUSY_THRESHOLD).map((o) => `${o.process} (others used ${(o.cores * 100).toFixed(0)}% of a core)`);
    out.push(`MACHINE BUSY (after ${options.busyRetries} re-runs): other processes took CPU (more than ${BUSY_THRESHOLD * 100}% of a core, or a calibration ${BUSY_THRESHOLD * 100}% slower than the median): ${[...shared, ...slow].join('; ')}. Those numbers are not reliable.`);
  }
  if (mc.rerun.length) out.push(`run again because other processes took CPU meanwhile: ${mc.rerun.map((r) => `${r.process} (${(r.cores * 100).toFixed(0)}% of a core)`).join(', ')}`);
  const notes = problems(processes);
  if (notes.length) out.push('', 'notes:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}
