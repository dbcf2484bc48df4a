// `npm run bench`: writes the workloads, starts every runtime and thread count in its own child
// process, all at once, and times them workload by workload in interleaved rounds (rounds.ts);
// with --sequential, one process after the other. Then the fresh-process memory check, and the
// report (or JSON with --json).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOBILENET_V2_NAME } from '../../dist/examples/random-nets.js';
import { cpuModel, MachineMonitor } from './machine.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { RuntimeProcess } from './processes.js';
import { formatReport } from './report.js';
import { agreement, compare, MEMORY_TARGET_MIB, scaling, type BenchResult, type MemoryCheck, type ProcessReport } from './results.js';
import { timeWorkload, type Timed } from './rounds.js';
import { RUNTIMES, type RuntimeId } from './runtimes.js';
import { writeWorkloads, type WorkloadFiles } from './workloads.js';

const INPUTS =
  'inputs: uint8 NHWC random bytes; ours gets them from the init net (Int8GivenTensorFill; Caffe2 has no Int8 feeder), ONNX Runtime is fed the same bytes as an NCHW uint8 tensor on every run';

async function start(runtime: RuntimeId, threads: number, workloads: readonly WorkloadFiles[], o: BenchOptions): Promise<Timed> {
  const skip: Record<string, string> = {};
  if (runtime === 'ours-js' && !o.includeJs) for (const w of workloads) if (w.kind === 'net') skip[w.name] = 'JS reference kernels on whole nets; pass --include-js';
  return { proc: await RuntimeProcess.start(runtime, threads), skip, results: [] };
}

/** Asks the process for its figures and to exit; a process that failed reports its error. */
async function finish(t: Timed): Promise<ProcessReport> {
  const { proc } = t;
  const base = { runtime: proc.runtime, threads: proc.threads, ...(proc.versions ? { versions: proc.versions } : {}), results: t.results };
  const reply = await proc.request({ type: 'exit' });
  if (reply.type === 'exited') return { ...base, cpuMs: reply.cpuMs, maxRssMiB: reply.maxRssMiB, osThreads: reply.osThreads };
  return { ...base, error: proc.dead ?? (reply.type === 'failed' ? reply.reason : `unexpected reply ${reply.type}`), cpuMs: 0, maxRssMiB: 0, osThreads: 0 };
}

function configurations(o: BenchOptions): Array<[RuntimeId, number]> {
  return RUNTIMES.flatMap((runtime) => o.threads.map((threads): [RuntimeId, number] => [runtime, threads]));
}

/**
 * The order of the processes in a round (before the rotation), so that what is compared is timed
 * close together: the host's speed can change within a second. Ours at each thread count sits
 * between its two, the primary peer next to it on either side, then ort-web; ort-node-s8 (for
 * information) and ours-js (only used where wasm has no number) come last.
 */
function roundOrder(o: BenchOptions): Array<[RuntimeId, number]> {
  const near: RuntimeId[] = ['ort-web', 'ort-node', 'ours-wasm'];
  const sides = o.threads.map((t, i) => (i % 2 ? [...near].reverse() : near).map((r): [RuntimeId, number] => [r, t]));
  const rest = (['ort-node-s8', 'ours-js'] as const).flatMap((r) => o.threads.map((t): [RuntimeId, number] => [r, t]));
  return [...sides.flat(), ...rest];
}

/** Every process alive at once; each workload timed in rounds across all of them. */
async function interleaved(workloads: readonly WorkloadFiles[], o: BenchOptions, dir: string, monitor: MachineMonitor): Promise<ProcessReport[]> {
  const configs = roundOrder(o);
  process.stderr.write(`starting ${configs.length} runtime processes\n`);
  const group = await Promise.all(configs.map(([runtime, threads]) => start(runtime, threads, workloads, o)));
  for (const t of group) if (t.proc.dead) process.stderr.write(`  ${t.proc.name}: n/a: ${t.proc.dead}\n`);
  const alive = group.filter((t) => !t.proc.dead);
  for (const w of workloads) {
    await timeWorkload(alive, w, o, monitor, w.name, dir);
    await monitor.mark(w.name);
  }
  const reports = await Promise.all(group.map(finish));
  // Reported in the usual order: by runtime, then thread count.
  return configurations(o).map(([runtime, threads]) => reports.find((r) => r.runtime === runtime && r.threads === threads)!);
}

/** One process after another, each timing its rounds alone. */
async function sequential(workloads: readonly WorkloadFiles[], o: BenchOptions, dir: string, monitor: MachineMonitor): Promise<ProcessReport[]> {
  const reports: ProcessReport[] = [];
  for (const [runtime, threads] of configurations(o)) {
    const t = await start(runtime, threads, workloads, o);
    process.stderr.write(`${t.proc.name}\n`);
    if (!t.proc.dead) for (const w of workloads) await timeWorkload([t], w, o, monitor, `${t.proc.name} ${w.name}`, dir);
    reports.push(await finish(t));
    await monitor.mark(t.proc.name);
  }
  return reports;
}

/** A fresh process running only MobileNetV2 with `new Workspace()`, for its peak memory. */
async function memoryCheck(workloads: readonly WorkloadFiles[], o: BenchOptions, dir: string, monitor: MachineMonitor): Promise<MemoryCheck | undefined> {
  const w = workloads.find((x) => x.name === MOBILENET_V2_NAME);
  if (!w) return undefined;
  process.stderr.write(`memory check: ${w.name} alone\n`);
  const t = await start('ours-default', 1, [w], o);
  if (!t.proc.dead) await timeWorkload([t], w, o, monitor, 'memory check', dir);
  const report = await finish(t);
  const r = report.results[0];
  const error = report.error ?? (r?.status === 'ok' ? undefined : r?.reason ?? 'no result');
  return { runtime: 'ours-default', workload: w.name, maxRssMiB: report.maxRssMiB, targetMiB: MEMORY_TARGET_MIB, ok: !error && report.maxRssMiB < MEMORY_TARGET_MIB, ...(error ? { error } : {}) };
}

async function main(o: BenchOptions): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'caffe2-int8-bench-'));
  try {
    process.stderr.write(`writing workloads to ${dir}\n`);
    const workloads = writeWorkloads(dir, o.only);
    if (workloads.length === 0) throw new Error(`no workload name contains "${o.only}"`);
    const monitor = new MachineMonitor();
    await monitor.mark('start');
    const processes = await (o.sequential ? sequential : interleaved)(workloads, o, dir, monitor);
    const memory = await memoryCheck(workloads, o, dir, monitor);
    return {
      date: new Date().toISOString(),
      mode: o.sequential ? 'sequential' : 'interleaved',
      machine: { cpu: cpuModel(), cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
      options: o,
      inputs: INPUTS,
      workloads: workloads.map((w) => ({ name: w.name, kind: w.kind, macs: w.macs })),
      processes,
      comparisons: compare(processes, workloads, o.threads),
      scaling: scaling(processes, workloads, o.threads),
      agreement: agreement(processes, workloads, o.threads, dir),
      ...(memory ? { memoryCheck: memory } : {}),
      machineCheck: monitor.finish(processes),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else {
  const result = await main(options);
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`);
}
