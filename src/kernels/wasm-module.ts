// The WebAssembly SIMD kernel module (built from wasm/ by scripts/build-wasm.mjs): compiled
// once per process, instantiated on a memory whose allocator lives in ./wasm-heap.ts.
// Where WebAssembly SIMD is missing (or a browser refuses to compile synchronously and the
// asynchronous compile has not finished yet), getWasmKernels() gives undefined and the
// TypeScript reference kernels run instead: both give the same bytes.
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64, WASM_MAX_PAGES } from '../generated/kernels-wasm.js';
import { WasmHeap } from './wasm-heap.js';

/** The functions wasm/index.ts exports; addresses and sizes are byte offsets into the memory. */
export interface KernelExports {
  centerU8(params: number, start: number, end: number): void;
  buildIndirection(params: number): void;
  im2colRows(params: number, pixelStart: number, pixelEnd: number): void;
  q8Conv(params: number, pixelStart: number, pixelEnd: number): void;
  q8DepthwiseConv(params: number, pixelStart: number, pixelEnd: number): void;
  q8Gemv(params: number, itemStart: number, itemEnd: number): void;
  q8Add(params: number, start: number, end: number): void;
  u8MaxPool(params: number, pixelStart: number, pixelEnd: number): void;
  u8AvgPool(params: number, start: number, end: number): void;
  f32QuantizeU8(params: number, start: number, end: number): void;
  u8DequantizeF32(params: number, start: number, end: number): void;
}

/** A kernel that splits over a range of work items, callable from any thread. */
export type RangeKernel = 'centerU8' | 'im2colRows' | 'q8Conv' | 'q8DepthwiseConv' | 'q8Gemv' | 'q8Add' | 'u8MaxPool' | 'u8AvgPool' | 'f32QuantizeU8' | 'u8DequantizeF32';

export interface WasmKernels {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** True when the memory is shared, so worker threads can run kernels on it. */
  readonly shared: boolean;
  readonly heap: WasmHeap;
  readonly exports: KernelExports;
  /**
   * The one block of kernel parameters (PARAMS_WORDS int32 words). Ops run one at a time on the
   * calling thread, and runRange returns only when every thread is done with a job's words.
   */
  readonly params: number;
}

export const PARAMS_WORDS = 32;

const PAGE = 65536;
// The module keeps nothing in memory (no data, no stack); the heap still starts past page 0 so a
// stray null address can never alias live data.
const HEAP_BASE = PAGE;

let kernels: WasmKernels | undefined;
let failure: unknown;
let pending: Promise<WasmKernels | undefined> | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Shared memory needs SharedArrayBuffer, which browsers give only to cross-origin-isolated pages. */
function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

function instantiate(module: WebAssembly.Module, shared: boolean): WasmKernels {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: WASM_MAX_PAGES, shared });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const heap = new WasmHeap(memory, HEAP_BASE, WASM_MAX_PAGES * PAGE);
  return {
    module,
    memory,
    shared,
    heap,
    exports: instance.exports as unknown as KernelExports,
    params: heap.alloc(PARAMS_WORDS * 4)!,
  };
}

function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return decodeBase64(shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
}

/**
 * The kernel module, compiled synchronously on first use. Undefined if this platform cannot run
 * it (no WebAssembly SIMD), or, in a browser that only compiles asynchronously, until
 * initWasmKernels() has resolved.
 */
export function getWasmKernels(): WasmKernels | undefined {
  if (kernels || failure !== undefined || pending) return kernels;
  const shared = sharedMemoryAvailable();
  try {
    kernels = instantiate(new WebAssembly.Module(moduleBytes(shared)), shared);
  } catch (e) {
    // Browsers refuse synchronous compilation on the main thread above a size limit: try the
    // asynchronous way, which initWasmKernels() lets a caller wait for.
    void initWasmKernels();
    if (!pending) failure = e;
  }
  return kernels;
}

/** Compiles the kernel module asynchronously; resolves to whether the wasm kernels are usable. */
export function initWasmKernels(): Promise<boolean> {
  if (kernels) return Promise.resolve(true);
  if (!pending) {
    const shared = sharedMemoryAvailable();
    pending = WebAssembly.compile(moduleBytes(shared)).then(
      (module) => (kernels = instantiate(module, shared)),
      (e: unknown) => {
        failure = e;
        return undefined;
      },
    );
  }
  return pending.then((k) => k !== undefined);
}

/**
 * Whether ops can use the wasm kernels now: 'ready', 'compiling' (a browser refused to compile
 * synchronously; initWasmKernels() waits for the asynchronous compile), or 'unavailable' (no
 * WebAssembly SIMD here: the TypeScript kernels run, with the same bytes).
 */
export function wasmKernelsStatus(): 'ready' | 'compiling' | 'unavailable' {
  getWasmKernels();
  return kernels ? 'ready' : failure === undefined ? 'compiling' : 'unavailable';
}

let paramWords: Int32Array | undefined;

/** The kernels' parameter words as an array (a new view once the memory has grown). */
export function kernelParams(k: WasmKernels): Int32Array {
  if (paramWords?.buffer !== k.memory.buffer) paramWords = new Int32Array(k.memory.buffer, k.params, PARAMS_WORDS);
  return paramWords;
}

/** Allocates every block or none. */
export function allocAll(k: WasmKernels, sizes: number[]): number[] | undefined {
  const ptrs: number[] = [];
  for (const size of sizes) {
    const p = k.heap.alloc(size);
    if (p === undefined) {
      for (const q of ptrs) k.heap.release(q);
      return undefined;
    }
    ptrs.push(p);
  }
  return ptrs;
}
