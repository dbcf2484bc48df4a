// A first-fit allocator over a WebAssembly linear memory, kept on the JavaScript side so the
// kernels themselves never allocate (several threads may run them on one shared memory).

const ALIGN = 16;
const PAGE = 65536;
/**
 * Kernels may read (never write) up to this many bytes past a block's end, as when the depthwise
 * kernel loads a pixel's last 8 channels: the memory always extends this far past the top block.
 */
const READ_SLACK = 16;

export class WasmHeap {
  /** Free blocks [start, end), sorted by address and never adjacent (they are merged). */
  private readonly free: Array<[number, number]> = [];
  private readonly sizes = new Map<number, number>();
  private top: number;

  /**
   * @param base first address the heap may hand out (everything below belongs to the module)
   * @param maxBytes the memory's declared maximum size
   */
  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxBytes: number,
  ) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  /**
   * A 16-byte-aligned block of `bytes`, or undefined when the memory cannot hold it. First fit:
   * an op's temporaries land where the previous op's were just freed, still in cache.
   */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      const block = free[i]!;
      const start = block[0];
      const left = block[1] - start - size;
      if (left < 0) continue;
      if (left === 0) free.splice(i, 1);
      else block[0] = start + size;
      this.sizes.set(start, size);
      return start;
    }
    const start = this.top;
    const end = start + size;
    if (end + READ_SLACK > this.maxBytes) return undefined;
    const have = this.memory.buffer.byteLength;
    if (end + READ_SLACK > have) {
      try {
        this.memory.grow(Math.ceil((end + READ_SLACK - have) / PAGE));
      } catch {
        return undefined;
      }
    }
    this.top = end;
    this.sizes.set(start, size);
    return start;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: ${ptr} is not an allocated block`);
    this.sizes.delete(ptr);
    const free = this.free;
    let start = ptr;
    let end = ptr + size;
    // Insert in address order (binary search), merging with the neighbours it touches.
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid]![0] < start) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    const before = free[i - 1];
    if (before && before[1] === start) {
      start = before[0];
      free.splice(--i, 1);
    }
    const after = free[i];
    if (after && after[0] === end) {
      end = after[1];
      free.splice(i, 1);
    }
    if (end === this.top) this.top = start;
    else free.splice(i, 0, [start, end]);
  }
}
