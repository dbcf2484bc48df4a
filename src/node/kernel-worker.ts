// Node worker_threads entry of a kernel worker thread: its first message is a KernelWorkerInit.
import { parentPort } from 'node:worker_threads';
import type { KernelWorkerInit } from '../kernels/kernel-jobs.js';
import { runKernelWorker } from '../kernels/kernel-worker-loop.js';

parentPort!.once('message', (init: KernelWorkerInit) => runKernelWorker(init));
