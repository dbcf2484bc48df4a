// The last few outputs of the wasm kernels stay in the kernels' memory after being copied out,
// keyed by the JavaScript array they were copied to: when the next op reads that same array
// (as a net's next layer does), it skips copying it back in. This is sound because tensor data
// is never written after an op has produced it: ops build new outputs and commit them only on
// success, and the Workspace copies on feed and fetch.
import type { WasmKernels } from './wasm-module.js';

interface Resident {
  array: Uint8Array;
  ptr: number;
}

/** At most this many outputs and bytes stay resident; the oldest go first. */
const MAX_RESIDENT = 8;
const MAX_RESIDENT_BYTES = 32 * 2 ** 20;

const recent: Resident[] = [];
let residentBytes = 0;
let residentKernels: WasmKernels | undefined;

/** The address in wasm memory holding a copy of `array`, if it is one of the recent outputs. */
export function residentAddress(k: WasmKernels, array: Uint8Array): number | undefined {
  if (k !== residentKernels) return undefined;
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i]!.array === array) return recent[i]!.ptr;
  return undefined;
}

/**
 * Copies the `bytes` at `ptr` out into a new array and keeps the block (which this call now
 * owns) resident for the next ops; returns the array.
 */
export function copyOutResident(k: WasmKernels, ptr: number, bytes: number): Uint8Array {
  const array = new Uint8Array(k.memory.buffer, ptr, bytes).slice();
  if (k !== residentKernels) {
    releaseAll();
    residentKernels = k;
  }
  recent.push({ array, ptr });
  residentBytes += bytes;
  while (recent.length > MAX_RESIDENT || residentBytes > MAX_RESIDENT_BYTES) {
    const old = recent.shift()!;
    residentBytes -= old.array.length;
    k.heap.release(old.ptr);
  }
  return array;
}

function releaseAll(): void {
  for (const r of recent) residentKernels?.heap.release(r.ptr);
  recent.length = 0;
  residentBytes = 0;
}
