// Where the wasm kernels' outputs live, so that a net's next layer finds its input in place.
//
// On shared memory (always in Node; in cross-origin-isolated pages) an output stays in the
// kernels' memory and its tensor's data is a view of it: nothing is copied out, and the next op
// reads it where it is. Views of a shared memory survive its growth. The block is freed when no
// Workspace blob holds the view any more (the Workspace counts, through holdBlobData and
// dropBlobData), or, for a view no blob ever took, when the view is garbage-collected. Like a
// Caffe2 tensor's buffer, a blob's data is therefore only valid while the blob holds it:
// FetchBlob and FetchInt8Blob copy, and code keeping a getBlob value past the blob's next
// write must copy it too.
//
// Unshared memory detaches every view when it grows, so there outputs are copied out, and the
// last few blocks stay resident keyed by their copy: the next op still skips copying them in.
// Tensor data is never written after an op has produced it (ops build new outputs and commit
// them only on success), which is what makes both schemes sound.
import type { WasmKernels } from './wasm-module.js';

interface Lease {
  k: WasmKernels;
  ptr: number;
  /** Workspace blobs holding the view. */
  holders: number;
  freed: boolean;
}

const leases = new WeakMap<Uint8Array, Lease>();
const collected = new FinalizationRegistry<Lease>((lease) => free(lease));

function free(lease: Lease): void {
  if (lease.freed) return;
  lease.freed = true;
  lease.k.heap.release(lease.ptr);
}

interface Resident {
  array: Uint8Array;
  ptr: number;
}

/** On unshared memory, at most this many outputs and bytes stay resident; the oldest go first. */
const MAX_RESIDENT = 8;
const MAX_RESIDENT_BYTES = 32 * 2 ** 20;

const recent: Resident[] = [];
let residentBytes = 0;
let residentKernels: WasmKernels | undefined;

/** The address in wasm memory holding `array`'s bytes, if it has one. */
function wasmAddress(k: WasmKernels, array: Uint8Array): number | undefined {
  const lease = leases.get(array);
  if (lease) return lease.k === k && !lease.freed ? lease.ptr : undefined;
  if (k !== residentKernels) return undefined;
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i]!.array === array) return recent[i]!.ptr;
  return undefined;
}

/**
 * The address of `array`'s first `bytes` bytes in wasm memory: where they already are, or a new
 * block they are copied to, which is appended to `owned` for the caller to free. Undefined when
 * the memory cannot hold the copy.
 */
export function placeInput(k: WasmKernels, array: Uint8Array, bytes: number, owned: number[]): number | undefined {
  if (array.length >= bytes) {
    const at = wasmAddress(k, array);
    if (at !== undefined) return at;
  }
  const ptr = k.heap.alloc(bytes);
  if (ptr === undefined) return undefined;
  owned.push(ptr);
  new Uint8Array(k.memory.buffer, ptr, bytes).set(array.subarray(0, bytes));
  return ptr;
}

/**
 * The output tensor's data for the `bytes` at `ptr`, a block this call takes over: a view of it
 * on shared memory, else a copy (the block staying resident for the next ops).
 */
export function takeOutput(k: WasmKernels, ptr: number, bytes: number): Uint8Array {
  if (k.shared) {
    const view = new Uint8Array(k.memory.buffer, ptr, bytes);
    const lease: Lease = { k, ptr, holders: 0, freed: false };
    leases.set(view, lease);
    collected.register(view, lease);
    return view;
  }
  const array = new Uint8Array(k.memory.buffer, ptr, bytes).slice();
  if (k !== residentKernels) {
    for (const r of recent) residentKernels?.heap.release(r.ptr);
    recent.length = 0;
    residentBytes = 0;
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

function leaseOf(value: unknown): Lease | undefined {
  const data = (value as { data?: unknown } | undefined)?.data;
  return data instanceof Uint8Array ? leases.get(data) : undefined;
}

/** A blob now holds `value` (call before dropBlobData of the value it replaces). */
export function holdBlobData(value: unknown): void {
  const lease = leaseOf(value);
  if (lease) lease.holders++;
}

/** A blob no longer holds `value`: its block is freed when no blob does. */
export function dropBlobData(value: unknown): void {
  const lease = leaseOf(value);
  if (lease && --lease.holders === 0) free(lease);
}
