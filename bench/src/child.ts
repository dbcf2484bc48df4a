// One runtime process: opens each workload with one runtime and thread count, times it, writes
// its output bytes next to the workload files, and sends the results to the parent over IPC.
import { readdirSync, writeFileSync } from 'node:fs';
import { openRuntime, ortVersions, type RuntimeId } from './runtimes.js';
import { timeRuns, type Timing, type TimingOptions } from './timing.js';
import { outputFile, type WorkloadFiles } from './workloads.js';

export interface ChildConfig {
  runtime: RuntimeId;
  threads: number;
  workloads: WorkloadFiles[];
  /** Workloads listed here are reported as skipped (e.g. whole nets on the JS kernels). */
  skip: Record<string, string>;
  timing: TimingOptions;
  /** Where to write each workload's output bytes (see outputFile). */
  outputDir: string;
}

export type WorkloadResult =
  | ({ workload: string; status: 'ok'; createMs: number } & Timing)
  | { workload: string; status: 'error' | 'skipped'; reason: string };

export interface ChildReport {
  runtime: RuntimeId;
  threads: number;
  /** Set when the runtime could not be set up at all (e.g. an option it refuses). */
  error?: string;
  versions?: Record<string, string>;
  results: WorkloadResult[];
  /** CPU time of this process, all threads, ms. */
  cpuMs: number;
  /** Peak resident set size of this process, MiB (getrusage ru_maxrss). */
  maxRssMiB: number;
  /** OS threads of the process at the end (main, V8 helpers, runtime workers). */
  osThreads: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function runChild(config: ChildConfig): Promise<ChildReport> {
  const report: ChildReport = { runtime: config.runtime, threads: config.threads, results: [], cpuMs: 0, maxRssMiB: 0, osThreads: 0 };
  try {
    report.versions = await ortVersions(config.runtime);
    const runtime = await openRuntime(config.runtime, config.threads);
    for (const w of config.workloads) {
      const skipped = config.skip[w.name];
      if (skipped) {
        report.results.push({ workload: w.name, status: 'skipped', reason: skipped });
        continue;
      }
      process.stderr.write(`  ${config.runtime} x${config.threads} ${w.name}\n`);
      try {
        const session = await runtime.open(w);
        const timing = await timeRuns(() => session.run(), config.timing);
        writeFileSync(outputFile(config.outputDir, config.runtime, config.threads, w.name), session.output());
        await session.close();
        report.results.push({ workload: w.name, status: 'ok', createMs: session.createMs, ...timing });
      } catch (e) {
        report.results.push({ workload: w.name, status: 'error', reason: message(e) });
      }
    }
  } catch (e) {
    report.error = message(e);
  }
  report.osThreads = readdirSync('/proc/self/task').length;
  const usage = process.resourceUsage();
  report.cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  report.maxRssMiB = usage.maxRSS / 1024;
  return report;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const report = await runChild(config);
// Exit explicitly: runtime worker threads would keep the process alive.
process.send!(report, () => process.exit(0));
