// The job protocol between the thread pool (./thread-pool.ts) and its workers
// (./kernel-worker-loop.ts): one Int32Array over a SharedArrayBuffer describes the current job,
// a range kernel over [0, items) cut into chunks that every thread claims until none is left.
import type { KernelExports, RangeKernel } from './wasm-module.js';

/** Word indices in the control buffer. Hot words sit on separate 64-byte cache lines. */
export const CLAIM = 0; // job tag << CHUNK_BITS | chunks not yet claimed
export const DONE = 16; // chunks of the current job finished
export const JOB = 32; // tag of the latest job; idle workers wait on it
export const ITEMS = 33;
export const CHUNK_ITEMS = 34;
export const PARAMS = 35;
export const KERNEL = 36;
export const CHUNKS = 37;
/** Workers with an index below this take part in the current job. */
export const HELPERS = 38;
/** Set when a kernel threw in a worker: the caller reruns the job itself. */
export const FAILED = 39;
export const STARTED = 48; // workers done starting, ready or not; the pool waits on it
export const READY = 49; // workers ready to take jobs
/** Chunks done by worker i, at WORKER_CHUNKS + i. */
export const WORKER_CHUNKS = 64;
export const MAX_WORKERS = 63;
export const CONTROL_BYTES = (WORKER_CHUNKS + MAX_WORKERS) * 4;

export const CHUNK_BITS = 10;
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;
/** Tags wrap; a claim only succeeds while CLAIM still carries the claimer's tag. */
export const TAG_MASK = (1 << 20) - 1;

/** Every range kernel, by the number a job names it with (a new RangeKernel fails to compile until listed here). */
const RANGE_KERNELS = Object.keys({ centerU8: 0, im2colRows: 0, q8Conv: 0, q8DepthwiseConv: 0, q8Gemv: 0, q8Add: 0, u8MaxPool: 0, u8AvgPool: 0, f32QuantizeU8: 0, u8DequantizeF32: 0 } satisfies Record<RangeKernel, 0>) as RangeKernel[];

export function kernelNumber(kernel: RangeKernel): number {
  return RANGE_KERNELS.indexOf(kernel);
}

/** What a worker is given when it starts. */
export interface KernelWorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

/**
 * Claims a chunk of job `tag`: its number, or -1 when that job has none left (or is over).
 * Chunks are handed out from the last down. Once a claim succeeds, the job cannot finish before
 * this chunk is done, so the job's words stay as they are until then.
 */
export function claimChunk(control: Int32Array, tag: number): number {
  for (;;) {
    const claim = Atomics.load(control, CLAIM);
    const left = claim & MAX_CHUNKS;
    if (claim >>> CHUNK_BITS !== tag || left === 0) return -1;
    if (Atomics.compareExchange(control, CLAIM, claim, claim - 1) === claim) return left - 1;
  }
}

/** Runs a claimed chunk; then counts it done (and wakes the caller if it was the last). */
export function runChunk(exports: KernelExports, control: Int32Array, chunk: number): void {
  const chunks = control[CHUNKS]!;
  const size = control[CHUNK_ITEMS]!;
  const start = chunk * size;
  try {
    exports[RANGE_KERNELS[control[KERNEL]!]!](control[PARAMS]!, start, Math.min(control[ITEMS]!, start + size));
  } catch {
    Atomics.store(control, FAILED, 1);
  }
  if (Atomics.add(control, DONE, 1) + 1 === chunks) Atomics.notify(control, DONE);
}
