// Times one workload: a first run (which packs weights), a time-based warm-up so V8 moves the
// wasm code to its optimizing tier, then repeated runs whose median is the result.

export interface TimingOptions {
  warmupSeconds: number;
  minRuns: number;
  seconds: number;
}

export interface Timing {
  firstRunMs: number;
  warmupRuns: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Process CPU time / wall time over the timed runs: ~N when N threads really work. */
  cpuPerWall: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function once(run: () => unknown): Promise<number> {
  const t0 = performance.now();
  const r = run();
  if (r instanceof Promise) await r;
  return performance.now() - t0;
}

export async function timeRuns(run: () => unknown, o: TimingOptions): Promise<Timing> {
  const start = performance.now();
  const firstRunMs = await once(run);
  let warmupRuns = 1;
  while (performance.now() - start < o.warmupSeconds * 1000) {
    await once(run);
    warmupRuns++;
  }
  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (samples.length < o.minRuns || performance.now() - t0 < o.seconds * 1000) samples.push(await once(run));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    firstRunMs,
    warmupRuns,
    runs: samples.length,
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    cpuPerWall: (cpu.user + cpu.system) / 1000 / wall,
  };
}
