// A first-fit allocator over a WebAssembly linear memory, kept on the JavaScript side so the
// kernels themselves never allocate (several threads may run them on one shared memory).

const ALIGN = 16;
const PAGE = 65536;

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

  /** A 16-byte-aligned block of `bytes`, or undefined when the memory cannot hold it. */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [start, end] = this.free[i]!;
      if (end - start < size) continue;
      if (end - start === size) this.free.splice(i, 1);
      else this.free[i] = [start + size, end];
      this.sizes.set(start, size);
      return start;
    }
    const start = this.top;
    const end = start + size;
    if (end > this.maxBytes) return undefined;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
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
    let start = ptr;
    let end = ptr + size;
    // Insert in address order, merging with the neighbours it touches.
    let i = 0;
    while (i < this.free.length && this.free[i]![0] < start) i++;
    const before = this.free[i - 1];
    if (before && before[1] === start) {
      start = before[0];
      this.free.splice(--i, 1);
    }
    const after = this.free[i];
    if (after && after[0] === end) {
      end = after[1];
      this.free.splice(i, 1);
    }
    if (end === this.top) this.top = start;
    else this.free.splice(i, 0, [start, end]);
  }
}
