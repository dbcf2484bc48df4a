// Side effect of loading the Node entry: kernel worker threads, and a default thread count
// above 1. Imported before the core so the module-level default workspace gets it too.
import { setDefaultThreads } from '../kernels/thread-pool.js';
import { nodeDefaultThreads, useNodeKernelWorkers } from './kernel-workers.js';

useNodeKernelWorkers(new URL('./kernel-worker.js', import.meta.url));
setDefaultThreads(nodeDefaultThreads());
