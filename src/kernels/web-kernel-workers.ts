// Kernel workers in a browser: module Web Workers, made where pages may share memory with them
// (cross-origin isolated). The `new Worker(new URL(..., import.meta.url))` form is what bundlers
// (Vite, webpack 5) recognise to bundle the worker entry beside the library.
import type { KernelWorkerFactory } from './thread-pool.js';

export function webKernelWorkerFactory(): KernelWorkerFactory | undefined {
  if (typeof Worker !== 'function' || !globalThis.crossOriginIsolated) return undefined;
  return (failed) => {
    const worker = new Worker(new URL('./browser-kernel-worker.js', import.meta.url), { type: 'module' });
    worker.addEventListener('error', (e) => failed(e.message));
    return worker;
  };
}
