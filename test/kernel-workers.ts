// Kernel worker threads for tests, which run the TypeScript sources: the workers run the
// compiled worker entry in dist/ (npm test builds it first), as the Node entry's would.
import { useNodeKernelWorkers } from '../src/node/kernel-workers.js';

useNodeKernelWorkers(new URL('../dist/src/node/kernel-worker.js', import.meta.url));
