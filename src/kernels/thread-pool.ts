// Splits a range kernel over threads. Single-threaded for now: the calling thread runs it all.
import type { RangeKernel, WasmKernels } from './wasm-module.js';

/**
 * Runs kernel(params, start, end) over [0, items). `itemWork` (multiply-adds per item) lets a
 * pool decide whether splitting pays.
 */
export function runRange(k: WasmKernels, kernel: RangeKernel, params: number, items: number, itemWork: number, threads: number): void {
  void itemWork;
  void threads;
  k.exports[kernel](params, 0, items);
}
