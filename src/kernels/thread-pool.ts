// Splits a range kernel over threads: worker threads that each instantiate the kernel module on
// the same shared memory, and the calling thread, claim chunks of the work items until none is
// left (protocol in ./kernel-jobs.ts). The pool is per process (per JavaScript thread), grows to
// the largest thread count asked for and serves every workspace. Without shared memory, a worker
// factory or enough work, the calling thread runs the kernel alone: the bytes are the same.
import { Caffe2Error } from '../errors.js';
import {
  CHUNK_BITS, CHUNK_ITEMS, CHUNKS, claimChunk, CLAIM, CONTROL_BYTES, DONE, FAILED, HELPERS, ITEMS, JOB, KERNEL, kernelNumber,
  MAX_CHUNKS, MAX_WORKERS, PARAMS, READY, runChunk, STARTED, TAG_MASK, WORKER_CHUNKS, type KernelWorkerInit,
} from './kernel-jobs.js';
import { webKernelWorkerFactory } from './web-kernel-workers.js';
import { getWasmKernels, initWasmKernels, type RangeKernel, type WasmKernels } from './wasm-module.js';

/** A started worker thread: it is sent one KernelWorkerInit and runs ./kernel-worker-loop.ts. */
export interface KernelWorker {
  postMessage(message: unknown): void;
}
/** Makes a worker; calls `failed` if the worker dies (its script cannot load, say). */
export type KernelWorkerFactory = (failed: (error: unknown) => void) => KernelWorker;

export interface KernelWorkerFactoryOptions {
  /**
   * True when a worker starts up while the thread that made it blocks (Node): the first op that
   * wants threads then waits for its workers. Otherwise (browsers) ops use only workers already
   * ready, and initThreads() waits for them.
   */
  syncStart?: boolean;
}

/**
 * Least work (multiply-adds) an op must have to be split. The conv kernels do about 2·10^10
 * multiply-adds a second per thread (2-core Xeon VM, Node 20), so 2·10^5 is some 10 µs of work;
 * handing out chunks costs 1-2 µs, and a worker asleep takes 10-20 µs to join. Measured on
 * single convs: 10^5 breaks even, 2·10^5 runs 10-15% faster, 8·10^5 1.4x faster.
 */
export const MIN_SPLIT_WORK = 2e5;
/**
 * Work per chunk. Small chunks keep the threads' finishing times close (the calling thread waits
 * for the last chunk in flight) and let a worker that wakes late still take a fair share; each
 * chunk costs well under a microsecond to claim. At least MIN_CHUNKS_PER_THREAD per thread.
 */
const CHUNK_WORK = 5e5;
const MIN_CHUNKS_PER_THREAD = 4;
/** How long startup may take before the pool stops waiting for (and making) workers. */
const START_TIMEOUT_MS = 3000;
/**
 * How long the calling thread polls for the workers' last chunks before it sleeps on the done
 * counter: a chunk takes some 25 µs, a wake-up about as long.
 */
const DONE_SPIN_MS = 0.2;

let factory: KernelWorkerFactory | undefined = webKernelWorkerFactory();
let syncStart = false;
let pool: KernelPool | undefined;
let defaultThreadCount = 1;

let itemsOneByOneBackwards = false;

/**
 * For tests: run every range kernel one item at a time from the last down, an order threads can
 * produce, so that a kernel writing outside its own items' bytes gives wrong bytes.
 */
export function setItemsOneByOneBackwards(on: boolean): void {
  itemsOneByOneBackwards = on;
}

/** Sets how worker threads are made (undefined: no worker threads, every op on the calling thread). */
export function setKernelWorkerFactory(make: KernelWorkerFactory | undefined, options: KernelWorkerFactoryOptions = {}): void {
  factory = make;
  syncStart = options.syncStart ?? false;
}

/** WorkspaceOptions.threads when a workspace does not say: 1 unless an entry point (Node's) set it. */
export function defaultThreads(): number {
  return defaultThreadCount;
}
export function setDefaultThreads(threads: number): void {
  defaultThreadCount = threads;
}

function checkThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_WORKERS + 1)) throw new Caffe2Error(`threads must be an integer from 1 to ${MAX_WORKERS + 1}, got ${String(threads)}`);
}

/** Atomics.wait throws on a browser's main thread; there the pool spins instead. */
function blockingAllowed(control: Int32Array): boolean {
  try {
    Atomics.wait(control, DONE, 1, 0);
    return true;
  } catch {
    return false;
  }
}

class KernelPool {
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  readonly canBlock = blockingAllowed(this.control);
  /** Held so the workers live as long as the pool. */
  readonly workers: KernelWorker[] = [];
  /** Workers reported dead by the factory, and the last error. */
  private lost = 0;
  lastError: unknown;
  /** Set when workers could not be made or did not start in time: no more are made or waited for. */
  private stalled = false;
  private tag = 0;

  constructor(
    readonly kernels: WasmKernels,
    private readonly make: KernelWorkerFactory,
  ) {}

  get ready(): number {
    return Atomics.load(this.control, READY);
  }

  /** Starts workers until there are `count`. */
  grow(count: number): void {
    while (!this.stalled && this.workers.length < Math.min(count, MAX_WORKERS)) {
      try {
        const worker = this.make((error) => {
          this.lost++;
          this.lastError = error;
        });
        const init: KernelWorkerInit = { module: this.kernels.module, memory: this.kernels.memory, control: this.control.buffer as SharedArrayBuffer, index: this.workers.length };
        worker.postMessage(init);
        this.workers.push(worker);
      } catch (e) {
        this.lastError = e;
        this.stalled = true;
      }
    }
  }

  private allStarted(): boolean {
    return this.stalled || Atomics.load(this.control, STARTED) + this.lost >= this.workers.length;
  }

  /** Blocks until every worker made has started (or failed to), for at most START_TIMEOUT_MS. */
  waitForStart(): void {
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (!this.allStarted()) {
      const left = deadline - performance.now();
      if (left <= 0) this.stalled = true;
      else Atomics.wait(this.control, STARTED, Atomics.load(this.control, STARTED), left);
    }
  }

  async started(): Promise<void> {
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (!this.allStarted()) {
      if (performance.now() > deadline) this.stalled = true;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Runs the kernel over [0, items) on `threads` threads; false if it could not be split. */
  run(kernel: RangeKernel, params: number, items: number, itemWork: number, threads: number): boolean {
    const helpers = Math.min(threads - 1, this.ready);
    const wanted = Math.max(Math.ceil((items * itemWork) / CHUNK_WORK), (helpers + 1) * MIN_CHUNKS_PER_THREAD);
    const chunkItems = Math.ceil(items / Math.min(wanted, items, MAX_CHUNKS));
    const chunks = Math.ceil(items / chunkItems);
    if (helpers === 0 || chunks < 2) return false;
    const c = this.control;
    const tag = (this.tag = (this.tag + 1) & TAG_MASK);
    c[ITEMS] = items;
    c[CHUNK_ITEMS] = chunkItems;
    c[CHUNKS] = chunks;
    c[PARAMS] = params;
    c[KERNEL] = kernelNumber(kernel);
    c[HELPERS] = threads - 1;
    c[FAILED] = 0;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, CLAIM, (tag << CHUNK_BITS) | chunks);
    Atomics.store(c, JOB, tag);
    Atomics.notify(c, JOB);
    for (let chunk = claimChunk(c, tag); chunk >= 0; chunk = claimChunk(c, tag)) runChunk(this.kernels.exports, c, chunk);
    const spinUntil = performance.now() + DONE_SPIN_MS;
    for (let done = Atomics.load(c, DONE); done !== chunks; done = Atomics.load(c, DONE)) {
      if (this.canBlock && performance.now() > spinUntil) Atomics.wait(c, DONE, done);
    }
    return Atomics.load(c, FAILED) === 0;
  }
}

/** The pool for these kernels, if worker threads are possible here. */
function poolFor(k: WasmKernels): KernelPool | undefined {
  if (!k.shared || !factory) return undefined;
  pool ??= new KernelPool(k, factory);
  return pool.kernels === k ? pool : undefined;
}

/**
 * Runs kernel(params, start, end) over [0, items), split over up to `threads` threads when its
 * work is worth it: items × itemWork, an item's time in conv multiply-adds. A kernel that throws
 * in a worker is rerun on the calling thread, where its error surfaces.
 */
export function runRange(k: WasmKernels, kernel: RangeKernel, params: number, items: number, itemWork: number, threads: number): void {
  if (itemsOneByOneBackwards) {
    for (let item = items - 1; item >= 0; item--) k.exports[kernel](params, item, item + 1);
    return;
  }
  const p = threads > 1 && items * itemWork >= MIN_SPLIT_WORK ? poolFor(k) : undefined;
  if (p) {
    p.grow(threads - 1);
    if (syncStart && p.canBlock) p.waitForStart();
    if (p.run(kernel, params, items, itemWork, threads)) return;
  }
  k.exports[kernel](params, 0, items);
}

/**
 * Starts the worker threads for `threads`-thread runs and resolves when they are ready (or could
 * not start). Needed in browsers, whose main thread cannot wait for workers inside a run; in Node
 * the first run that wants threads starts them. Without cross-origin isolation (no shared
 * memory) there are no workers and every run stays on the calling thread.
 */
export async function initThreads(threads: number): Promise<void> {
  checkThreads(threads);
  if (threads < 2 || !(await initWasmKernels())) return;
  const p = poolFor(getWasmKernels()!);
  if (!p) return;
  p.grow(threads - 1);
  await p.started();
}

export interface PoolStats {
  /** Worker threads made. */
  workers: number;
  /** Worker threads ready to take work. */
  readyWorkers: number;
  /** Chunks each worker has run, by worker. */
  chunksByWorker: number[];
  /** Why a worker could not be made or died, if one could not. */
  lastError?: unknown;
}

/** The worker threads of this JavaScript thread's pool and the work they did. */
export function poolStats(): PoolStats {
  if (!pool) return { workers: 0, readyWorkers: 0, chunksByWorker: [] };
  const c = pool.control;
  const chunksByWorker = pool.workers.map((_, i) => Atomics.load(c, WORKER_CHUNKS + i));
  return { workers: pool.workers.length, readyWorkers: pool.ready, chunksByWorker, ...(pool.lastError === undefined ? {} : { lastError: pool.lastError }) };
}
