// What the machine is and whether it was busy while we measured. Two checks:
// - other processes' CPU time during each runtime process: the machine's busy CPU time
//   (os.cpus()) over the process's life, less that process's own and the parent's;
// - a fixed integer loop run on every core at once (one worker thread per core), timed before the
//   first runtime process and after each, which also slows for what /proc/stat does not show
//   (e.g. a VM's stolen time).
// More than 10% of a core used by others, or a calibration 10% slower than their median, flags
// the run as done on a busy machine.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { median } from './timing.js';

export const BUSY_THRESHOLD = 0.1;

/** Busy CPU time of the whole machine so far, all cores, ms (user + nice + sys + irq). */
function machineCpuMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
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
  /** Each calibration, in order: before the first runtime process and after each. */
  calibrationMs: Array<{ after: string; ms: number }>;
  /** CPU time other processes used while each runtime process ran, in cores (0.1 = 10% of one). */
  otherCpu: Array<{ process: string } & OtherCpu>;
  /** Runtime processes run again because others took CPU meanwhile (--busy-retries). */
  rerun: Array<{ process: string } & OtherCpu>;
  loadavgBefore: number[];
  loadavgAfter: number[];
  /** Slowest calibration / the median calibration - 1. */
  slowdown: number;
  busy: boolean;
}

/** CPU time other processes used during a runtime process, in cores (0.1 = 10% of one). */
export interface OtherCpu {
  wallMs: number;
  cores: number;
}

/** Started before a runtime process; finished with that process's own CPU time. */
export interface ProcessWatch {
  wall0: number;
  machine0: number;
  own0: number;
}

export class MachineMonitor {
  private readonly check: MachineCheck = { calibrationMs: [], otherCpu: [], rerun: [], loadavgBefore: loadavg(), loadavgAfter: [], slowdown: 0, busy: false };

  async mark(after: string): Promise<void> {
    this.check.calibrationMs.push({ after, ms: await calibrate() });
  }

  watch(): ProcessWatch {
    return { wall0: performance.now(), machine0: machineCpuMs(), own0: ownCpuMs() };
  }

  /** What others used since watch(); childCpuMs is the runtime process's own CPU time. */
  othersSince(w: ProcessWatch, childCpuMs: number): OtherCpu {
    const wallMs = performance.now() - w.wall0;
    const others = machineCpuMs() - w.machine0 - childCpuMs - (ownCpuMs() - w.own0);
    return { wallMs, cores: Math.max(0, others) / wallMs };
  }

  record(name: string, others: OtherCpu, kept: boolean): void {
    (kept ? this.check.otherCpu : this.check.rerun).push({ process: name, ...others });
  }

  finish(): MachineCheck {
    const ms = this.check.calibrationMs.map((c) => c.ms);
    this.check.slowdown = Math.max(...ms) / median(ms) - 1;
    this.check.busy = this.check.slowdown > BUSY_THRESHOLD || this.check.otherCpu.some((o) => o.cores > BUSY_THRESHOLD);
    this.check.loadavgAfter = loadavg();
    return this.check;
  }
}
