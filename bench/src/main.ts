// `npm run bench`: writes the workloads, runs each runtime and thread count in its own child
// process one after the other, then prints the report (or JSON with --json).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOBILENET_V2_NAME } from '../../dist/examples/random-nets.js';
import type { ChildConfig, ChildReport } from './child.js';
import { BUSY_THRESHOLD, cpuModel, MachineMonitor } from './machine.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { formatReport } from './report.js';
import { agreement, compare, MEMORY_TARGET_MIB, scaling, type BenchResult, type MemoryCheck } from './results.js';
import { RUNTIMES, type RuntimeId } from './runtimes.js';
import { writeWorkloads, type WorkloadFiles } from './workloads.js';

const INPUTS =
  'inputs: uint8 NHWC random bytes; ours gets them from the init net (Int8GivenTensorFill; Caffe2 has no Int8 feeder), ONNX Runtime is fed the same bytes as an NCHW uint8 tensor on every run';
const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

/** Runs one runtime process, watched for other processes' CPU use, again while they took too much. */
async function runWatched(config: ChildConfig, monitor: MachineMonitor, name: string, retries: number): Promise<ChildReport> {
  for (let attempt = 0; ; attempt++) {
    const watch = monitor.watch();
    const report = await runChild(config);
    const others = monitor.othersSince(watch, report.cpuMs);
    const keep = others.cores <= BUSY_THRESHOLD || attempt >= retries;
    monitor.record(name, others, keep);
    if (keep) return report;
    process.stderr.write(`  other processes used ${(others.cores * 100).toFixed(0)}% of a core meanwhile: running ${name} again\n`);
  }
}

function runChild(config: ChildConfig): Promise<ChildReport> {
  return new Promise((resolve) => {
    let report: ChildReport | undefined;
    // The child's stdout goes to our stderr, so that --json keeps stdout clean.
    const child = fork(childScript, [JSON.stringify(config)], { stdio: ['ignore', 2, 2, 'ipc'], execArgv: [] });
    child.on('message', (m) => (report = m as ChildReport));
    child.on('exit', (code, signal) => {
      resolve(report ?? { runtime: config.runtime, threads: config.threads, error: `process exited with ${signal ?? `code ${code}`} before reporting`, results: [], cpuMs: 0, maxRssMiB: 0, osThreads: 0 });
    });
  });
}

function childConfig(runtime: RuntimeId, threads: number, workloads: WorkloadFiles[], o: BenchOptions, dir: string): ChildConfig {
  const skip: Record<string, string> = {};
  if (runtime === 'ours-js' && !o.includeJs) for (const w of workloads) if (w.kind === 'net') skip[w.name] = 'JS reference kernels on whole nets; pass --include-js';
  return { runtime, threads, workloads, skip, timing: o, outputDir: dir };
}

/** A fresh process running only MobileNetV2 with `new Workspace()`, for its peak memory. */
async function memoryCheck(workloads: WorkloadFiles[], o: BenchOptions, dir: string, monitor: MachineMonitor): Promise<MemoryCheck | undefined> {
  const w = workloads.find((x) => x.name === MOBILENET_V2_NAME);
  if (!w) return undefined;
  process.stderr.write(`memory check: ${w.name} alone\n`);
  const report = await runWatched(childConfig('ours-default', 1, [w], o, dir), monitor, 'memory check', o.busyRetries);
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
    const processes: ChildReport[] = [];
    for (const runtime of RUNTIMES) {
      for (const threads of o.threads) {
        process.stderr.write(`${runtime}, ${threads} thread${threads > 1 ? 's' : ''}\n`);
        processes.push(await runWatched(childConfig(runtime, threads, workloads, o, dir), monitor, `${runtime} x${threads}`, o.busyRetries));
        await monitor.mark(`${runtime} x${threads}`);
      }
    }
    const memory = await memoryCheck(workloads, o, dir, monitor);
    return {
      date: new Date().toISOString(),
      machine: { cpu: cpuModel(), cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
      options: o,
      inputs: INPUTS,
      workloads: workloads.map((w) => ({ name: w.name, kind: w.kind, macs: w.macs })),
      processes,
      comparisons: compare(processes, workloads, o.threads),
      scaling: scaling(processes, workloads, o.threads),
      agreement: agreement(processes, workloads, o.threads, dir),
      ...(memory ? { memoryCheck: memory } : {}),
      machineCheck: monitor.finish(),
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
