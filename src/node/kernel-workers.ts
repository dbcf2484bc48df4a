// Kernel workers in Node: worker_threads running ./kernel-worker.ts, unref'd so an idle pool
// never keeps the process alive. A new worker loads and starts on its own thread, so the first
// op that wants threads can block (Atomics.wait) until its workers are ready.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setKernelWorkerFactory } from '../kernels/thread-pool.js';

/** Makes kernel workers from `workerFile`, the compiled kernel-worker.js. */
export function useNodeKernelWorkers(workerFile: URL): void {
  setKernelWorkerFactory(
    (failed) => {
      // A missing file would only show as an 'error' event, which cannot arrive while the
      // first threaded op blocks waiting for its workers: refuse at once instead.
      if (!existsSync(workerFile)) throw new Error(`kernel worker entry ${workerFile.href} is missing`);
      // No inherited Node flags: the worker needs none, and some break it (--input-type, which
      // `node --input-type=module -e` sets, makes a worker refuse its file).
      const worker = new Worker(workerFile, { execArgv: [] });
      worker.unref();
      worker.on('error', failed);
      return worker;
    },
    { syncStart: true },
  );
}

/**
 * Default thread count with the Node entry: every core, up to 4. An int8 op runs for a few
 * milliseconds at most, so what splitting cannot divide (the op's own set-up, the hand-off,
 * waiting for the last chunk, shared memory bandwidth) weighs more with every thread, while each
 * thread takes a core from whatever else the process or machine runs. On 2 cores, 2 threads run
 * ResNet-50 about 1.6x and MobileNetV2 about 1.4x faster than 1.
 */
export function nodeDefaultThreads(): number {
  return Math.min(availableParallelism(), 4);
}
