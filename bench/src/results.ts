// The bench's result document (what --json prints) and the figures derived from the runtime
// processes' reports: our time against each peer's, thread scaling, and output agreement.
import { readFileSync } from 'node:fs';
import type { ChildReport, WorkloadResult } from './child.js';
import type { MachineCheck } from './machine.js';
import { toNchw } from './onnx-model.js';
import type { BenchOptions } from './options.js';
import type { RuntimeId } from './runtimes.js';
import { outputFile, type WorkloadFiles } from './workloads.js';

export const PEERS = ['ort-node', 'ort-web', 'ort-node-s8'] as const;
export const MEMORY_TARGET_MIB = 200;

export interface Comparison {
  workload: string;
  threads: number;
  /** Which of our configurations is compared: ours-wasm, or ours-js where wasm gave no number. */
  ours: RuntimeId;
  oursMs: number;
  /** Our median time / the peer's: above 1, the peer is faster. */
  ratio: Partial<Record<(typeof PEERS)[number], number>>;
}

export interface Scaling {
  workload: string;
  runtime: RuntimeId;
  threads: number;
  baseThreads: number;
  /** Throughput at `threads` / throughput at `baseThreads` (= base time / time). */
  speedup: number;
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
  machine: { cpu: string; cores: number; node: string; platform: string };
  options: BenchOptions;
  /** How inputs reach each runtime. */
  inputs: string;
  workloads: Array<{ name: string; kind: 'layer' | 'net'; macs: number }>;
  processes: ChildReport[];
  comparisons: Comparison[];
  scaling: Scaling[];
  agreement: Agreement[];
  memoryCheck?: MemoryCheck;
  machineCheck: MachineCheck;
}

type Ok = Extract<WorkloadResult, { status: 'ok' }>;

export function okResult(processes: readonly ChildReport[], runtime: RuntimeId, threads: number, workload: string): Ok | undefined {
  const r = processes.find((p) => p.runtime === runtime && p.threads === threads)?.results.find((x) => x.workload === workload);
  return r?.status === 'ok' ? r : undefined;
}

export function compare(processes: readonly ChildReport[], workloads: readonly WorkloadFiles[], threads: readonly number[]): Comparison[] {
  const out: Comparison[] = [];
  for (const w of workloads) {
    for (const t of threads) {
      const ours = (['ours-wasm', 'ours-js'] as const).find((id) => okResult(processes, id, t, w.name));
      if (!ours) continue;
      const oursMs = okResult(processes, ours, t, w.name)!.medianMs;
      const ratio: Comparison['ratio'] = {};
      for (const peer of PEERS) {
        const p = okResult(processes, peer, t, w.name);
        if (p) ratio[peer] = oursMs / p.medianMs;
      }
      out.push({ workload: w.name, threads: t, ours, oursMs, ratio });
    }
  }
  return out;
}

export function scaling(processes: readonly ChildReport[], workloads: readonly WorkloadFiles[], threads: readonly number[]): Scaling[] {
  const base = Math.min(...threads);
  const out: Scaling[] = [];
  for (const w of workloads.filter((x) => x.kind === 'net')) {
    for (const runtime of [...new Set(processes.map((p) => p.runtime))]) {
      const b = okResult(processes, runtime, base, w.name);
      for (const t of threads.filter((x) => x !== base)) {
        const r = okResult(processes, runtime, t, w.name);
        if (b && r) out.push({ workload: w.name, runtime, threads: t, baseThreads: base, speedup: b.medianMs / r.medianMs });
      }
    }
  }
  return out;
}

/** Max |difference| of every runtime's output against ours; ONNX outputs are NCHW. */
export function agreement(processes: readonly ChildReport[], workloads: readonly WorkloadFiles[], threads: readonly number[], dir: string): Agreement[] {
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
