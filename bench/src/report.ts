// The human-readable report: one table per thread count (median ms, GMAC/s, our time against
// each peer's per round), thread scaling of the whole nets, the round-to-round spread of each
// configuration, setup times, output agreement, process memory and idleness, and whether the
// machine was busy or the host noisy.
import { BUSY_THRESHOLD, NOISE_THRESHOLD } from './machine.js';
import { roundsFor } from './options.js';
import { okResult, PEERS, type BenchResult, type ProcessReport } from './results.js';
import { RUNTIMES, type RuntimeId } from './runtimes.js';
import { median, spreadOf, type Spread } from './timing.js';

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

function cell(processes: readonly ProcessReport[], runtime: RuntimeId, threads: number, workload: string, macs: number): string {
  const p = processes.find((x) => x.runtime === runtime && x.threads === threads);
  if (!p) return '-';
  if (p.error) return 'n/a';
  const r = p.results.find((x) => x.workload === workload);
  if (!r) return '-';
  if (r.status !== 'ok') return r.status === 'skipped' ? 'skipped' : 'n/a';
  return `${ms(r.medianMs)} (${(macs / r.medianMs / 1e6).toFixed(2)})`;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

/** A per-round figure: its median, then the interquartile range / median. */
function spreadText(text: string, s: Spread): string {
  return `${text} (${pct(s.spread)})`;
}

function problems(processes: readonly ProcessReport[]): string[] {
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
  const batch = `a batch of whole runs lasting about ${options.batchMs} ms (at least one)`;
  const rounds =
    options.rounds !== undefined
      ? `${options.rounds} rounds`
      : `each process takes part in the first ${roundsFor(options, Infinity)} to ${roundsFor(options, 0)} rounds, enough to be timed for ${options.seconds} s`;
  out.push(`caffe2-int8 bench, ${res.date}: ${res.machine.cpu}, ${res.machine.cores} cores, Node ${res.machine.node}${versions ? `, onnxruntime ${Object.values(versions)[0]}` : ''}`);
  out.push(
    res.mode === 'interleaved'
      ? `interleaved: all ${processes.length} runtime processes alive at once; per workload each opens it and warms up ${options.warmupSeconds} s, one after another, then rounds: in each, every process in turn (the first one rotating) times ${batch} while the others wait idle; ${rounds}`
      : `sequential (--sequential): one runtime process after another; per workload a warm-up of ${options.warmupSeconds} s, then batches of whole runs lasting about ${options.batchMs} ms (at least one), ${rounds}; ratios pair the batches by number, which ran at different times, so host noise does not cancel`,
  );
  out.push(res.inputs);
  out.push(
    'cells: median ms over all timed runs (GMAC/s); ours vs peer: our time / the peer\'s in the same round, median over rounds (interquartile range of the per-round ratios / their median); ours = ours-wasm (ours-js where wasm has no number)',
  );

  for (const t of options.threads) {
    out.push('', `threads ${t}`);
    const rows = res.workloads.map((w) => {
      const c = res.comparisons.find((x) => x.workload === w.name && x.threads === t);
      const ratios = PEERS.map((peer) => {
        const r = c?.ratio[peer];
        return r ? spreadText(ratioText(r.median), r) : '-';
      });
      return [w.name, (w.macs / 1e6).toFixed(1), ...runtimes.map((id) => cell(processes, id, t, w.name, w.macs)), ...ratios];
    });
    out.push(table(['workload', 'MMAC', ...runtimes, ...PEERS.map((p) => `ours vs ${p}`)], rows));
  }

  if (res.scaling.length) {
    const base = res.scaling[0]!.baseThreads;
    out.push('', `thread scaling of the whole nets: per round, throughput / throughput at ${base} thread${base > 1 ? 's' : ''}, median over rounds (IQR / median)`);
    const threads = [...new Set(res.scaling.map((s) => s.threads))];
    const nets = res.workloads.filter((w) => w.kind === 'net');
    const rows = nets.flatMap((w) =>
      runtimes
        .filter((id) => res.scaling.some((s) => s.workload === w.name && s.runtime === id))
        .map((id) => [
          w.name,
          id,
          ...threads.map((t) => {
            const s = res.scaling.find((x) => x.workload === w.name && x.runtime === id && x.threads === t);
            return s ? spreadText(`${s.speedup.median.toFixed(2)}x`, s.speedup) : '-';
          }),
        ]),
    );
    out.push(table(['workload', 'runtime', ...threads.map((t) => `x${t}`)], rows));
  }

  const configs = processes.filter((p) => p.results.some((r) => r.status === 'ok'));
  out.push('', "round-to-round spread of each configuration's per-round times (interquartile range / median over its rounds), and its rounds");
  out.push(
    table(
      ['workload', ...configs.map((p) => `${p.runtime} x${p.threads}`)],
      res.workloads.map((w) => [
        w.name,
        ...configs.map((p) => {
          const r = okResult(processes, p.runtime, p.threads, w.name);
          return r && r.roundMs.length >= 2 ? `${pct(spreadOf(r.roundMs).spread)} / ${r.roundMs.length}` : '-';
        }),
      ]),
    ),
  );

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

  const interleaved = res.mode === 'interleaved';
  out.push(
    '',
    'processes: peak RSS (MiB); OS threads at exit; CPU time / wall time over its batches (median over workloads; ~N when N threads work);',
    `settle: ms after a batch until its threads were quiet (under 10% of a core over 5 ms; median), before it let the next process run${interleaved ? ';' : ''}`,
    ...(interleaved ? ['idle: its CPU time / wall time while it waited for its next batch (other processes being timed), in % of one core'] : []),
  );
  out.push(
    table(
      ['runtime', 'threads', 'peak RSS', 'OS threads', 'cpu/wall', 'settle', ...(interleaved ? ['idle'] : [])],
      processes.map((p) => {
        const ok = p.results.flatMap((r) => (r.status === 'ok' ? [r] : []));
        const util = ok.map((r) => r.cpuPerWall);
        const idleWall = ok.reduce((sum, r) => sum + (r.idleWallMs ?? 0), 0);
        const idle = idleWall > 0 ? pct(ok.reduce((sum, r) => sum + (r.idleCpuMs ?? 0), 0) / idleWall) : '-';
        return [p.runtime, String(p.threads), p.error ? 'n/a' : p.maxRssMiB.toFixed(0), p.error ? '-' : String(p.osThreads), util.length ? median(util).toFixed(2) : '-', ok.length ? ms(median(ok.map((r) => r.settleMs))) : '-', ...(interleaved ? [idle] : [])];
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

  const mc = res.machineCheck;
  out.push(
    '',
    `machine: calibration loop on all cores ${mc.calibrationMs.map((c) => c.ms.toFixed(1)).join(', ')} ms (before the first workload and after each ${interleaved ? 'workload' : 'runtime process'}), slowest ${(mc.slowdown * 100).toFixed(1)}% over the median; load average ${mc.loadavgBefore[0]!.toFixed(2)} before, ${mc.loadavgAfter[0]!.toFixed(2)} after`,
  );
  if (mc.otherCpu.length) {
    const worst = mc.otherCpu.reduce((a, b) => (b.cores > a.cores ? b : a));
    out.push(`other processes' CPU during the timed rounds, in % of one core: median ${pct(median(mc.otherCpu.map((o) => o.cores)))}, most ${pct(worst.cores)} (${worst.during})`);
  }
  if (mc.roundSpread.length) {
    const worst = mc.roundSpread.reduce((a, b) => (b.spread > a.spread ? b : a));
    out.push(
      `host noise: the reference runtimes' (ONNX Runtime's) per-round times vary by median ${pct(median(mc.roundSpread.map((s) => s.spread)))}, most ${pct(worst.spread)} (${worst.runtime} x${worst.threads} ${worst.workload}) (interquartile range / median across rounds; flagged above ${NOISE_THRESHOLD * 100}%)`,
    );
  }
  if (mc.busy) {
    const middle = median(mc.calibrationMs.map((c) => c.ms));
    const slow = mc.calibrationMs.filter((c) => c.ms > middle * (1 + BUSY_THRESHOLD)).map((c) => `calibration after ${c.after}`);
    const shared = mc.otherCpu.filter((o) => o.cores > BUSY_THRESHOLD).map((o) => `${o.during} (others used ${(o.cores * 100).toFixed(0)}% of a core)`);
    out.push(`MACHINE BUSY (after ${options.busyRetries} re-runs): other processes took CPU (more than ${BUSY_THRESHOLD * 100}% of a core, or a calibration ${BUSY_THRESHOLD * 100}% slower than the median): ${[...shared, ...slow].join('; ')}. Those numbers are not reliable.`);
  }
  if (mc.noisy) {
    const noisy = mc.roundSpread.filter((s) => s.spread > NOISE_THRESHOLD).map((s) => `${s.runtime} x${s.threads} ${s.workload} (${pct(s.spread)})`);
    out.push(
      `HOST NOISY: reference runtimes' per-round times varied by more than ${NOISE_THRESHOLD * 100}% (interquartile range / median) across rounds: ${noisy.join(', ')}. The absolute times are not reliable; the per-round ratios cancel only noise that hits a whole round${interleaved ? '' : ' (and not in --sequential mode)'}.`,
    );
  }
  if (mc.rerun.length) out.push(`timed again because other processes took CPU meanwhile: ${mc.rerun.map((r) => `${r.during} (${(r.cores * 100).toFixed(0)}% of a core)`).join(', ')}`);
  const notes = problems(processes);
  if (notes.length) out.push('', 'notes:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}
