// What a kernel worker thread does (Node worker or Web Worker alike): instantiate the kernel
// module on the shared memory, report ready, then forever wait for a job and claim its chunks.
import { claimChunk, HELPERS, JOB, READY, runChunk, STARTED, WORKER_CHUNKS, type KernelWorkerInit } from './kernel-jobs.js';
import type { KernelExports } from './wasm-module.js';

/**
 * How long an idle worker polls for the next job before it sleeps. Polling catches back-to-back
 * ops without a wake-up (10-20 µs), but on a machine with more busy threads than cores it takes
 * the core from the calling thread: 1 ms of polling made MobileNetV2 on 2 threads 1.4x slower
 * next to one busy process, 0.1 ms some 10%. 0.5 ms spans the calling thread's work between
 * most consecutive kernels of a net (copies, set-up), so a worker rarely sleeps inside a run.
 */
const IDLE_SPIN_MS = 0.5;

function started(c: Int32Array): void {
  Atomics.add(c, STARTED, 1);
  Atomics.notify(c, STARTED);
}

export function runKernelWorker({ module, memory, control, index }: KernelWorkerInit): void {
  const c = new Int32Array(control);
  let exports: KernelExports;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  } catch {
    started(c);
    return;
  }
  let seen = Atomics.load(c, JOB);
  Atomics.add(c, READY, 1);
  started(c);
  for (;;) {
    for (const until = performance.now() + IDLE_SPIN_MS; Atomics.load(c, JOB) === seen && performance.now() < until; );
    Atomics.wait(c, JOB, seen);
    seen = Atomics.load(c, JOB);
    if (index >= Atomics.load(c, HELPERS)) continue;
    for (let chunk = claimChunk(c, seen); chunk >= 0; chunk = claimChunk(c, seen)) {
      Atomics.add(c, WORKER_CHUNKS + index, 1);
      runChunk(exports, c, chunk);
    }
  }
}
