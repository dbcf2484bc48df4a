// Timing inside a runtime process (the first run, which packs weights; a time-based warm-up so V8
// moves the wasm code to its optimizing tier; batches of runs the parent asks for) and the
// statistics the parent derives from them.

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The q-quantile (0..1), interpolated linearly between the sorted values. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return lo + 1 < s.length ? s[lo]! + (s[lo + 1]! - s[lo]!) * (at - lo) : s[lo]!;
}

/** Median and quartiles of a set of values; spread = interquartile range / median. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  spread: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const m = median(values);
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  return { median: m, q1, q3, spread: (q3 - q1) / m };
}

/** CPU time of this process so far, all threads, ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function once(run: () => unknown): Promise<number> {
  const t0 = performance.now();
  const r = run();
  if (r instanceof Promise) await r;
  return performance.now() - t0;
}

export interface WarmUp {
  firstRunMs: number;
  /** Runs before timing, the first included. */
  warmupRuns: number;
  /** Median time of the warm-up runs after the first (the first run's time if there were none): sizes the batches. */
  runMs: number;
}

/** The first run, then runs until `seconds` have passed since it started. */
export async function warmUp(run: () => unknown, seconds: number): Promise<WarmUp> {
  const start = performance.now();
  const firstRunMs = await once(run);
  const times: number[] = [];
  while (performance.now() - start < seconds * 1000) times.push(await once(run));
  return { firstRunMs, warmupRuns: times.length + 1, runMs: times.length ? median(times) : firstRunMs };
}

/**
 * One batch: per-run times, and the process's CPU time and clock at its start, at the end of its
 * runs, and once its threads went quiet after them (see settle).
 */
export interface Batch {
  times: number[];
  cpuMs0: number;
  cpuMs1: number;
  t0: number;
  t1: number;
  quietCpuMs: number;
  quietT: number;
}

export async function timeBatch(run: () => unknown, runs: number): Promise<Batch> {
  const times: number[] = [];
  const cpuMs0 = processCpuMs();
  const t0 = performance.now();
  while (times.length < runs) times.push(await once(run));
  const t1 = performance.now();
  const cpuMs1 = processCpuMs();
  await settle();
  return { times, cpuMs0, cpuMs1, t0, t1, quietCpuMs: processCpuMs(), quietT: performance.now() };
}

const QUIET_WINDOW_MS = 5;
const QUIET_SHARE = 0.1;
const SETTLE_LIMIT_MS = 1000;

/**
 * Waits, asleep, until this process's threads are quiet: less than 10% of one core over a 5 ms
 * window, for at most 1 s. ONNX Runtime's pool threads spin-wait for work some 50 ms after a run
 * before they block; without this, that tail would take a core from the next process timed.
 */
export async function settle(): Promise<void> {
  const start = performance.now();
  for (;;) {
    const c0 = processCpuMs();
    const w0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    const wall = performance.now() - w0;
    if (processCpuMs() - c0 < QUIET_SHARE * wall || performance.now() - start > SETTLE_LIMIT_MS) return;
  }
}
