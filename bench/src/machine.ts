// What the machine is and whether it was busy or noisy while we measured. Three checks:
// - other processes' CPU time during each workload's timed rounds: the machine's busy CPU time
//   (os.cpus()) over the rounds, less the runtime processes' own and the parent's;
// - a fixed integer loop run on every core at once (one worker thread per core), timed before the
//   first workload and after each (sequential mode: after each runtime process), which also slows
//   for what /proc/stat does not show (e.g. a VM's stolen time);
// - how much a reference runtime's (ONNX Runtime's) per-round times vary across the rounds of a
//   workload: its code does not change, so that is the host's speed changing under us.
// More than 10% of a core used by others, or a calibration 10% slower than their median, flags
// the run as done on a busy machine; a reference runtime whose per-round times vary by more than
// 25% (interquartile range / median) flags it as done on a noisy host.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PEERS, type ProcessReport } from './results.js';
import { median, processCpuMs, spreadOf } from './timing.js';

export const BUSY_THRESHOLD = 0.1;
export const NOISE_THRESHOLD = 0.25;
/** The runtimes whose per-round times measure the host's noise: the peers, code that does not change. */
const REFERENCE_RUNTIMES: readonly string[] = PEERS;

/** The resolution of os.cpus() times (/proc/stat counts clock ticks of 10 ms). */
const TICK_MS = 10;

/** Busy CPU time of the whole machine so far, all cores, ms (user + nice + sys + irq). */
function machineCpuMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** Each worker: on 'go', times ROUNDS xorshift loops of ~25 ms and posts the times. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
function work() {
  let x = 0x12345678, acc = 0;
  for (let i = 0; i < 10000000; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; acc = (acc + (x & 0xff)) | 0; }
  return acc;
}
parentPort.once('message', (rounds) => {
  const times = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) { const t0 = performance.now(); sink ^= work(); times.push(performance.now() - t0); }
  parentPort.postMessage({ times, sink });
});
`;
const ROUNDS = 9;

/** Median milliseconds of the calibration loop over all rounds on all cores. */
export async function calibrate(): Promise<number> {
  const workers = cpus().map(() => new Worker(WORKER_SOURCE, { eval: true }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    const results = workers.map((w) => new Promise<number[]>((resolve, reject) => {
      w.once('message', (m: { times: number[] }) => resolve(m.times));
      w.once('error', reject);
    }));
    for (const w of workers) w.postMessage(ROUNDS);
    // The first round of each worker runs before V8 has optimized the loop: leave it out.
    return median((await Promise.all(results)).flatMap((times) => times.slice(1)));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface MachineCheck {
  /** Each calibration, in order: before the first workload and after each (sequential: after each runtime process). */
  calibrationMs: Array<{ after: string; ms: number }>;
  /** CPU time other processes used during each workload's timed rounds, in cores (0.1 = 10% of one). */
  otherCpu: Array<{ during: string } & OtherCpu>;
  /** Rounds timed again because others took CPU meanwhile (--busy-retries). */
  rerun: Array<{ during: string } & OtherCpu>;
  loadavgBefore: number[];
  loadavgAfter: number[];
  /** Slowest calibration / the median calibration - 1. */
  slowdown: number;
  busy: boolean;
  /** Per reference runtime, thread count and workload: interquartile range / median of its per-round times. */
  roundSpread: Array<{ runtime: string; threads: number; workload: string; spread: number }>;
  /** Some reference runtime's per-round times varied by more than NOISE_THRESHOLD. */
  noisy: boolean;
}

/** CPU time other processes used during some timed rounds, in cores (0.1 = 10% of one). */
export interface OtherCpu {
  wallMs: number;
  cores: number;
}

/** Started before some timed rounds; finished with the runtime processes' own CPU time. */
export interface ProcessWatch {
  wall0: number;
  machine0: number;
  own0: number;
}

export class MachineMonitor {
  private readonly check: MachineCheck = { calibrationMs: [], otherCpu: [], rerun: [], loadavgBefore: loadavg(), loadavgAfter: [], slowdown: 0, busy: false, roundSpread: [], noisy: false };

  async mark(after: string): Promise<void> {
    this.check.calibrationMs.push({ after, ms: await calibrate() });
  }

  watch(): ProcessWatch {
    return { wall0: performance.now(), machine0: machineCpuMs(), own0: processCpuMs() };
  }

  /**
   * What others used since watch(); childCpuMs is the runtime processes' own CPU time meanwhile.
   * Less one clock tick (10 ms) per core, what os.cpus() counts in: over the short rounds of
   * `--quick --sequential` that would otherwise read as 10% of a core.
   */
  othersSince(w: ProcessWatch, childCpuMs: number): OtherCpu {
    const wallMs = performance.now() - w.wall0;
    const others = machineCpuMs() - w.machine0 - childCpuMs - (processCpuMs() - w.own0) - TICK_MS * cpus().length;
    return { wallMs, cores: Math.max(0, others) / wallMs };
  }

  record(during: string, others: OtherCpu, kept: boolean): void {
    (kept ? this.check.otherCpu : this.check.rerun).push({ during, ...others });
  }

  finish(processes: readonly ProcessReport[]): MachineCheck {
    const ms = this.check.calibrationMs.map((c) => c.ms);
    this.check.slowdown = Math.max(...ms) / median(ms) - 1;
    this.check.busy = this.check.slowdown > BUSY_THRESHOLD || this.check.otherCpu.some((o) => o.cores > BUSY_THRESHOLD);
    for (const p of processes.filter((x) => REFERENCE_RUNTIMES.includes(x.runtime))) {
      for (const r of p.results) {
        if (r.status === 'ok' && r.roundMs.length >= 3) this.check.roundSpread.push({ runtime: p.runtime, threads: p.threads, workload: r.workload, spread: spreadOf(r.roundMs).spread });
      }
    }
    this.check.noisy = this.check.roundSpread.some((s) => s.spread > NOISE_THRESHOLD);
    this.check.loadavgAfter = loadavg();
    return this.check;
  }
}
