// The bench's result document (what --json prints) and the figures derived from the runtime
// processes' results: our time against each peer's and thread scaling (both per round, then the
// median over rounds), and output agreement.
import { readFileSync } from 'node:fs';
import type { ExitFigures } from './child.js';
import type { MachineCheck } from './machine.js';
import { toNchw } from './onnx-model.js';
import type { BenchOptions } from './options.js';
import type { RuntimeId } from './runtimes.js';
import { spreadOf, type Spread } from './timing.js';
import { outputFile, type WorkloadFiles } from './workloads.js';

export const PEERS = ['ort-node', 'ort-web', 'ort-node-s8'] as const;
export const MEMORY_TARGET_MIB = 200;

export type WorkloadResult =
  | {
      workload: string;
      status: 'ok';
      /** CreateNet / InferenceSession.create, ms. */
      createMs: number;
      /** The first run (weights packed), ms. */
      firstRunMs: number;
      /** Runs before timing, the first included. */
      warmupRuns: number;
      runsPerBatch: number;
      /** Timed runs, all rounds. */
      runs: number;
      /** Per round, the median time of that round's batch, ms. */
      roundMs: number[];
      /** Median, min and max over all timed runs, ms. */
      medianMs: number;
      minMs: number;
      maxMs: number;
      /** Process CPU time / wall time over its batches: ~N when N threads really work. */
      cpuPerWall: number;
      /** Median time the process took, after a batch, until its threads were quiet (timing.ts settle), ms. */
      settleMs: number;
      /** CPU time and wall time of the process between its batches, while others were timed (interleaved mode). */
      idleCpuMs?: number;
      idleWallMs?: number;
    }
  | { workload: string; status: 'error' | 'skipped'; reason: string };

export interface ProcessReport extends ExitFigures {
  runtime: RuntimeId;
  threads: number;
  /** Set when the runtime could not be set up at all (e.g. an option it refuses) or the process died. */
  error?: string;
  versions?: Record<string, string>;
  results: WorkloadResult[];
}

export interface Comparison {
  workload: string;
  threads: number;
  /** Which of our configurations is compared: ours-wasm, or ours-js where wasm gave no number. */
  ours: RuntimeId;
  oursMs: number;
  /** Per round, our time / the peer's (above 1: the peer is faster); median and quartiles over rounds. */
  ratio: Partial<Record<(typeof PEERS)[number], Spread>>;
}

export interface Scaling {
  workload: string;
  runtime: RuntimeId;
  threads: number;
  baseThreads: number;
  /** Per round, throughput at `threads` / throughput at `baseThreads` (= base time / time); median and quartiles over rounds. */
  speedup: Spread;
}

export interface Agreement {
  workload: string;
  runtime: RuntimeId;
  threads: number;
  /** Against our reference output (ours-wasm, else ours-js, first thread count), in output LSB. */
  maxAbsDiff: number;
  differing: number;
  total: number;
}

export interface MemoryCheck {
  runtime: RuntimeId;
  workload: string;
  maxRssMiB: number;
  targetMiB: number;
  ok: boolean;
  error?: string;
}

export interface BenchResult {
  date: string;
  /** interleaved: all runtime processes alive, timed in turn round by round; sequential: one process after another. */
  mode: 'interleaved' | 'sequential';
  machine: { cpu: string; cores: number; node: string; platform: string };
  options: BenchOptions;
  /** How inputs reach each runtime. */
  inputs: string;
  workloads: Array<{ name: string; kind: 'layer' | 'net'; macs: number }>;
  processes: ProcessReport[];
  comparisons: Comparison[];
  scaling: Scaling[];
  agreement: Agreement[];
  memoryCheck?: MemoryCheck;
  machineCheck: MachineCheck;
}

type Ok = Extract<WorkloadResult, { status: 'ok' }>;

export function okResult(processes: readonly ProcessReport[], runtime: RuntimeId, threads: number, workload: string): Ok | undefined {
  const r = processes.find((p) => p.runtime === runtime && p.threads === threads)?.results.find((x) => x.workload === workload);
  return r?.status === 'ok' ? r : undefined;
}

/** f(a's time, b's time) in each round, then its median and quartiles over the rounds. */
function perRound(a: Ok, b: Ok, f: (a: number, b: number) => number): Spread {
  const n = Math.min(a.roundMs.length, b.roundMs.length);
  return spreadOf(Array.from({ length: n }, (_, i) => f(a.roundMs[i]!, b.roundMs[i]!)));
}

export function compare(processes: readonly ProcessReport[], workloads: readonly WorkloadFiles[], threads: readonly number[]): Comparison[] {
  const out: Comparison[] = [];
  for (const w of workloads) {
    for (const t of threads) {
      const ours = (['ours-wasm', 'ours-js'] as const).find((id) => okResult(processes, id, t, w.name));
      if (!ours) continue;
      const o = okResult(processes, ours, t, w.name)!;
      const ratio: Comparison['ratio'] = {};
      for (const peer of PEERS) {
        const p = okResult(processes, peer, t, w.name);
        if (p) ratio[peer] = perRound(o, p, (a, b) => a / b);
      }
      out.push({ workload: w.name, threads: t, ours, oursMs: o.medianMs, ratio });
    }
  }
  return out;
}

export function scaling(processes: readonly ProcessReport[], workloads: readonly WorkloadFiles[], threads: readonly number[]): Scaling[] {
  const base = Math.min(...threads);
  const out: Scaling[] = [];
  for (const w of workloads.filter((x) => x.kind === 'net')) {
    for (const runtime of [...new Set(processes.map((p) => p.runtime))]) {
      const b = okResult(processes, runtime, base, w.name);
      for (const t of threads.filter((x) => x !== base)) {
        const r = okResult(processes, runtime, t, w.name);
        if (b && r) out.push({ workload: w.name, runtime, threads: t, baseThreads: base, speedup: perRound(b, r, (x, y) => x / y) });
      }
    }
  }
  return out;
}

/** Max |difference| of every runtime's output against ours; ONNX outputs are NCHW. */
export function agreement(processes: readonly ProcessReport[], workloads: readonly WorkloadFiles[], threads: readonly number[], dir: string): Agreement[] {
  const out: Agreement[] = [];
  for (const w of workloads) {
    const refRuntime = (['ours-wasm', 'ours-js'] as const).find((id) => okResult(processes, id, threads[0]!, w.name));
    if (!refRuntime) continue;
    const refNhwc = new Uint8Array(readFileSync(outputFile(dir, refRuntime, threads[0]!, w.name)));
    const refNchw = toNchw(refNhwc, w.caffe2.outputDims);
    for (const p of processes) {
      const r = p.results.find((x) => x.workload === w.name);
      if (r?.status !== 'ok') continue;
      const ref = p.runtime.startsWith('ours') ? refNhwc : refNchw;
      const y = readFileSync(outputFile(dir, p.runtime, p.threads, w.name));
      if (y.length !== ref.length) throw new Error(`${p.runtime} x${p.threads} ${w.name}: ${y.length} output bytes, ours ${ref.length}`);
      let maxAbsDiff = 0;
      let differing = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(y[i]! - ref[i]!);
        if (d) differing++;
        if (d > maxAbsDiff) maxAbsDiff = d;
      }
      out.push({ workload: w.name, runtime: p.runtime, threads: p.threads, maxAbsDiff, differing, total: ref.length });
    }
  }
  return out;
}
