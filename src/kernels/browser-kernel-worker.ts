// Web Worker entry of a kernel worker thread: its first message is a KernelWorkerInit.
import type { KernelWorkerInit } from './kernel-jobs.js';
import { runKernelWorker } from './kernel-worker-loop.js';

self.addEventListener('message', (e: MessageEvent<KernelWorkerInit>) => runKernelWorker(e.data), { once: true });
