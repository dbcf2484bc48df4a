// Int8Conv / Int8FC on the WebAssembly SIMD kernels (wasm/q8-conv.ts): packs a frozen ConvPlan's
// weights into the module's memory once, then per run widens the input, builds the indirection
// table and runs the kernel over output pixels, split across threads when a pool is attached.
// Bytes are identical to conv2dNhwcQ8's (test/wasm-kernels.test.ts runs both).
import type { ConvPlan, ConvWindow } from '../../ops/int8-conv.js';
import { allocAll, getWasmKernels, kernelParams, type WasmKernels } from './wasm-module.js';
import { runRange } from './thread-pool.js';
import { placeInput, takeOutput } from './wasm-outputs.js';

interface PackedConv {
  depthwise: boolean;
  weights: number;
  bias: number;
  /**
   * The output stage's offset word: nonzero when the kernels may use the short form, for which
   * the weights and bias below are packed doubled (wasm/q8-requantize.ts).
   */
  shortOffset: number;
  /** Blocks of 8 output channels per group (depthwise: blocks of 8 channels). */
  blocks: number;
  /** Pairs of input channels per group (general kernel only; im2col: pairs of a row). */
  pairs: number;
  /** Set for convolutions read through im2col rows: int16 values per row (taps × channels). */
  im2colLength?: number;
  /** The im2col rows' table (row offsets), kept like `table`. */
  rowTable?: { pixels: number; ptr: number };
  /** Depthwise: a row of input-zero-point bytes that padded taps read (blocks × 8 bytes). */
  zeroRow?: number;
  /** The indirection table of the last run's shape, kept while the shape stays the same. */
  table?: { shape: number[]; ptr: number };
  /** What the finalizer frees. */
  owned: number[];
}

/** The table entry of a depthwise tap in the padding (0xffffffff: PADDING in wasm/q8-conv.ts). */
const PADDING = -1;

const packs = new WeakMap<ConvPlan, PackedConv>();
// Packed weights and tables belong to their plan: when the op (and so its plan) is collected, free them.
const releaseWeights = new FinalizationRegistry<{ k: WasmKernels; ptrs: number[] }>(({ k, ptrs }) => {
  for (const p of ptrs) k.heap.release(p);
});

function isDepthwise(plan: ConvPlan): boolean {
  return plan.groupInputChannels === 1 && plan.groupOutputChannels === 1;
}

/**
 * Convolutions with 1 or 3 input channels (a net's first layer) and more than one tap waste much
 * of every channel pair read tap by tap: they go through im2col rows instead (wasm im2colRows).
 */
function usesIm2col(plan: ConvPlan): boolean {
  return !isDepthwise(plan) && plan.groups === 1 && plan.groupInputChannels <= 3 && plan.groupInputChannels !== 2 && plan.kernelH * plan.kernelW > 1;
}

/**
 * The short output stage's offset 2^(shift-1) + zeroPoint * 2^shift if that form is exact for
 * this plan, else 0. It is when every partial sum, bounded by |bias| + maxX * Σ|w - wzp| per
 * output channel (maxX: the largest input value the kernel multiplies), stays below 2^30 (so
 * twice it fits an int32 lane) and q + offset cannot overflow (|q| <= bound + 1), and when
 * shift >= 1.
 */
function shortStageOffset(plan: ConvPlan, bias: ArrayLike<number>, maxX: number): number {
  const { requant, zeroPoint } = plan.output;
  if (requant.shift < 1) return 0;
  const outputs = plan.groups * plan.groupOutputChannels;
  const length = plan.weights.length / outputs;
  let bound = 0;
  for (let o = 0; o < outputs; o++) {
    let sum = 0;
    for (let i = o * length; i < (o + 1) * length; i++) sum += Math.abs(plan.weights[i]!);
    bound = Math.max(bound, Math.abs(bias[o]!) + maxX * sum);
  }
  const offset = 2 ** (requant.shift - 1) + zeroPoint * 2 ** requant.shift;
  return bound < 2 ** 30 && bound + 2 + offset < 2 ** 31 ? offset : 0;
}

function sumOf(values: Int16Array, start: number, count: number): number {
  let sum = 0;
  for (let i = start; i < start + count; i++) sum += values[i]!;
  return sum;
}

function pack(k: WasmKernels, plan: ConvPlan): PackedConv | undefined {
  const { groups, groupOutputChannels: mg, weights, bias } = plan;
  // An im2col row is one "tap" of taps × channels values, in the weights' own order.
  const im2col = usesIm2col(plan);
  const taps = im2col ? 1 : plan.kernelH * plan.kernelW;
  const cg = im2col ? plan.kernelH * plan.kernelW * plan.groupInputChannels : plan.groupInputChannels;
  const depthwise = isDepthwise(plan);
  const blocks = Math.ceil((depthwise ? groups : mg) / 8);
  const pairs = Math.ceil(cg / 2);
  const weightCount = depthwise ? (taps >> 1) * blocks * 16 + (taps & 1) * blocks * 8 : groups * blocks * taps * pairs * 16;
  const biasCount = depthwise ? blocks * 8 : groups * blocks * 8;
  const wPtr = k.heap.alloc(weightCount * 2);
  if (wPtr === undefined) return undefined;
  const bPtr = k.heap.alloc(biasCount * 4);
  if (bPtr === undefined) {
    k.heap.release(wPtr);
    return undefined;
  }
  const w16 = new Int16Array(k.memory.buffer, wPtr, weightCount).fill(0);
  const b32 = new Int32Array(k.memory.buffer, bPtr, biasCount).fill(0);
  const k1 = taps * cg;
  const xzp = plan.inputZeroPoint;
  // The depthwise kernel multiplies the uint8 input itself: xzp * Σ w folds into its bias,
  // wrapped to int32 like the kernel's own sums (wasm/q8-conv.ts, q8DepthwiseConv).
  const kernelBias = depthwise ? Int32Array.from(bias.subarray(0, groups), (b, c) => b - xzp * sumOf(weights, c * taps, taps)) : bias;
  const shortOffset = shortStageOffset(plan, kernelBias, depthwise ? 255 : Math.max(xzp, 255 - xzp));
  if (depthwise) {
    // Tap pairs, per block of 8 channels [t0c0 t1c0 ... t0c3 t1c3 | t0c4 t1c4 ... t0c7 t1c7],
    // then an odd last tap as [block][8 channels] (wasm/q8-conv.ts, q8DepthwiseConv).
    const tapPairs = taps >> 1;
    for (let c = 0; c < groups; c++) {
      b32[c] = kernelBias[c]!;
      const blk = c >> 3;
      const j = c & 7;
      const lane = j < 4 ? j * 2 : 8 + (j - 4) * 2;
      for (let pr = 0; pr < tapPairs; pr++) {
        const base = (pr * blocks + blk) * 16 + lane;
        w16[base] = weights[c * taps + pr * 2]!;
        w16[base + 1] = weights[c * taps + pr * 2 + 1]!;
      }
      if (taps & 1) w16[tapPairs * blocks * 16 + c] = weights[c * taps + taps - 1]!;
    }
  } else {
    // Per (group, block of 8 outputs, tap, channel pair): [m0c0 m0c1 m1c0 m1c1 ... m7c0 m7c1].
    // Each output channel's row is read in order and spread over its block, 16 values apart.
    for (let g = 0; g < groups; g++) {
      for (let blk = 0; blk < blocks; blk++) {
        const block = g * blocks + blk;
        for (let j = 0; j < 8 && blk * 8 + j < mg; j++) {
          const o = g * mg + blk * 8 + j;
          b32[block * 8 + j] = bias[o]!;
          let dst = block * taps * pairs * 16 + j * 2;
          for (let src = o * k1; src < (o + 1) * k1; src += cg) {
            for (let c = 0; c < cg; c += 2, dst += 16) {
              w16[dst] = weights[src + c]!;
              if (c + 1 < cg) w16[dst + 1] = weights[src + c + 1]!;
            }
          }
        }
      }
    }
  }
  if (shortOffset !== 0) {
    // |w - wzp| <= 255, so doubled weights still fit int16; the bound covers the bias.
    for (let i = 0; i < weightCount; i++) w16[i]! *= 2;
    for (let i = 0; i < biasCount; i++) b32[i]! *= 2;
  }
  const owned = [wPtr, bPtr];
  let zeroRow: number | undefined;
  if (depthwise) {
    zeroRow = k.heap.alloc(blocks * 8);
    if (zeroRow === undefined) {
      for (const ptr of owned) k.heap.release(ptr);
      return undefined;
    }
    new Uint8Array(k.memory.buffer, zeroRow, blocks * 8).fill(xzp);
    owned.push(zeroRow);
  }
  const packed: PackedConv = { depthwise, weights: wPtr, bias: bPtr, shortOffset, blocks, pairs, owned, ...(im2col ? { im2colLength: cg } : {}), ...(zeroRow === undefined ? {} : { zeroRow }) };
  releaseWeights.register(plan, { k, ptrs: owned });
  return packed;
}

/**
 * The convolution on the wasm kernels, or undefined when they are unavailable or their memory
 * cannot hold this run (the caller then runs the reference kernel).
 */
export function conv2dNhwcQ8Wasm(
  plan: ConvPlan,
  win: ConvWindow,
  x: Uint8Array,
  n: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
  threads: number,
): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  if (n * outH * outW < 4 && plan.groups === 1 && pixelForPixel(plan, win, h, w, outH, outW)) {
    const y = gemvWasm(k, plan, x, n * h * w, threads);
    if (y) return y;
  }
  let packed = packs.get(plan);
  if (!packed) {
    packed = pack(k, plan);
    if (!packed) return undefined;
    packs.set(plan, packed);
  }
  const run: ConvRun = { k, plan, packed, win, x, n, h, w, outH, outW, threads };
  return packed.depthwise ? depthwiseWasm(run) : generalConvWasm(run);
}

/** Whether the plan is a 1x1 convolution whose output pixel p reads input pixel p. */
function pixelForPixel(plan: ConvPlan, win: ConvWindow, h: number, w: number, outH: number, outW: number): boolean {
  return plan.kernelH * plan.kernelW === 1 && outH === h && outW === w && win.strideH === 1 && win.strideW === 1 && win.padTop === 0 && win.padLeft === 0;
}

/** One run of a packed convolution. */
interface ConvRun {
  k: WasmKernels;
  plan: ConvPlan;
  packed: PackedConv;
  win: ConvWindow;
  x: Uint8Array;
  n: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
  threads: number;
}

/** The output stage's words (wasm/q8-requantize.ts). */
function stageWords({ plan, packed }: ConvRun): number[] {
  const { requant, zeroPoint, min, max } = plan.output;
  return [requant.multiplier, requant.shift, zeroPoint, min, max, packed.shortOffset];
}

/** Depthwise: the uint8 input as it is; padded taps are marked for the plan's zero-point row. */
function depthwiseWasm(run: ConvRun): Uint8Array | undefined {
  const { k, plan, packed, win, x, n, h, w, outH, outW, threads } = run;
  const c = plan.groups;
  const taps = plan.kernelH * plan.kernelW;
  const pixels = n * outH * outW;
  const table = indirectionTable(k, packed, win, n, h, w, c, outH, outW, plan.kernelH, plan.kernelW, PADDING);
  const output = table === undefined ? undefined : k.heap.alloc(pixels * c);
  if (output === undefined) return undefined;
  const ptrs = [output];
  try {
    const input = placeInput(k, x, n * h * w * c, ptrs);
    if (input === undefined) return undefined;
    kernelParams(k).set([table!, packed.weights, packed.bias, output, taps, c, packed.blocks, ...stageWords(run), input, packed.zeroRow!]);
    runRange(k, 'q8DepthwiseConv', k.params, pixels, taps * c, threads);
    ptrs.splice(ptrs.indexOf(output), 1);
    return takeOutput(k, output, pixels * c);
  } finally {
    for (const ptr of ptrs) k.heap.release(ptr);
  }
}

/** Dense and grouped convolutions (and FC): the widened input, read tap by tap or as im2col rows. */
function generalConvWasm(run: ConvRun): Uint8Array | undefined {
  const { k, plan, packed, win, x, n, h, w, outH, outW, threads } = run;
  const c = plan.groupInputChannels * plan.groups;
  const m = plan.groupOutputChannels * plan.groups;
  const taps = plan.kernelH * plan.kernelW;
  const pixels = n * outH * outW;
  const inputBytes = n * h * w * c;
  // The widened input, 32 bytes of slack, then the zero row: the kernels read whole channel
  // pairs, multiplied by zero weights past the last channel.
  const zeroOffset = inputBytes * 2 + 32;
  const zeroRowBytes = (c + 16) * 2;
  const table = indirectionTable(k, packed, win, n, h, w, c * 2, outH, outW, plan.kernelH, plan.kernelW, zeroOffset);
  if (table === undefined) return undefined;
  const ptrs = allocAll(k, [zeroOffset + zeroRowBytes, pixels * m]);
  if (!ptrs) return undefined;
  const [widened, output] = ptrs as [number, number];
  const params = k.params;
  try {
    const raw = placeInput(k, x, inputBytes, ptrs);
    if (raw === undefined) return undefined;
    new Uint8Array(k.memory.buffer, widened + inputBytes * 2, 32 + zeroRowBytes).fill(0);
    const p = kernelParams(k);
    const stage = stageWords(run);
    // A 1x1 convolution whose output pixel p reads input pixel p widens its input tile by tile
    // inside the kernel (wasm/q8-conv.ts, q8Conv); the others widen it all first.
    const widensInKernel = pixelForPixel(plan, win, h, w, outH, outW) && packed.im2colLength === undefined;
    if (!widensInKernel) {
      p.set([raw, widened, plan.inputZeroPoint]);
      // A byte costs about 3 conv multiply-adds of time (measured over MobileNetV2's inputs).
      runRange(k, 'centerU8', params, inputBytes, 3, threads);
    }
    if (packed.im2colLength !== undefined) {
      // Each row: the taps' channels back to back, then slack for the last 8-byte copy.
      const rowBytes = Math.ceil((packed.im2colLength + 4) / 2) * 4;
      const rows = k.heap.alloc(pixels * rowBytes);
      const rowTable = rows === undefined ? undefined : im2colRowTable(k, packed, pixels, rowBytes);
      if (rows === undefined || rowTable === undefined) {
        if (rows !== undefined) k.heap.release(rows);
        return undefined;
      }
      ptrs.push(rows);
      p.set([table, widened, rows, taps, c * 2, rowBytes]);
      // A tap's copy costs about 24 conv multiply-adds of time.
      runRange(k, 'im2colRows', params, pixels, taps * 24, threads);
      p.set([rowTable, packed.weights, packed.bias, output, 1, packed.pairs, 1, m, packed.blocks, m, 0, ...stage, rows, pixels, 0, 0, 0]);
      const items = Math.ceil(pixels / 4) * packed.blocks;
      runRange(k, 'q8Conv', params, items, 32 * packed.im2colLength, threads);
    } else {
      p.set([table, packed.weights, packed.bias, output, taps, packed.pairs, plan.groups, plan.groupOutputChannels, packed.blocks, m, plan.groupInputChannels * 2, ...stage, widened, pixels, raw, plan.inputZeroPoint, widensInKernel ? c : 0]);
      // Work items: tiles of 4 pixels times blocks of 8 output channels (wasm/q8-conv.ts).
      const items = Math.ceil(pixels / 4) * plan.groups * packed.blocks;
      runRange(k, 'q8Conv', params, items, 32 * taps * plan.groupInputChannels, threads);
    }
    // The output block passes to its tensor; the finally frees the rest.
    ptrs.splice(ptrs.indexOf(output), 1);
    return takeOutput(k, output, pixels * m);
  } finally {
    for (const ptr of ptrs) k.heap.release(ptr);
  }
}

interface PackedGemv {
  weights: number;
  bias: number;
  blocks: number;
  pairs: number;
}

/** Int8 weights for fully connected rows, or null where a weight does not fit int8. */
const gemvPacks = new WeakMap<ConvPlan, PackedGemv | null>();

/** The plan's weights as int8 in q8Gemv's order (wasm/q8-conv.ts); null if one does not fit. */
function packGemv(k: WasmKernels, plan: ConvPlan): PackedGemv | null | undefined {
  const { groupInputChannels: cg, groupOutputChannels: mg, weights, bias } = plan;
  for (const v of weights) if (v < -128 || v > 127) return null;
  const blocks = Math.ceil(mg / 8);
  const pairs = Math.ceil(cg / 2);
  const ptrs = allocAll(k, [blocks * pairs * 16, blocks * 32]);
  if (!ptrs) return undefined;
  const [wPtr, bPtr] = ptrs as [number, number];
  const w8 = new Int8Array(k.memory.buffer, wPtr, blocks * pairs * 16).fill(0);
  const b32 = new Int32Array(k.memory.buffer, bPtr, blocks * 8).fill(0);
  for (let o = 0; o < mg; o++) {
    b32[o] = bias[o]!;
    let dst = (o >> 3) * pairs * 16 + (o & 7) * 2;
    for (let c = 0; c < cg; c += 2, dst += 16) {
      w8[dst] = weights[o * cg + c]!;
      if (c + 1 < cg) w8[dst + 1] = weights[o * cg + c + 1]!;
    }
  }
  releaseWeights.register(plan, { k, ptrs });
  return { weights: wPtr, bias: bPtr, blocks, pairs };
}

/**
 * Fewer than 4 rows through a 1x1 plan (a fully connected layer on a batch of 1-3) on q8Gemv, or
 * undefined when its weights do not fit int8 or memory is full (the conv kernel runs instead).
 */
function gemvWasm(k: WasmKernels, plan: ConvPlan, x: Uint8Array, rows: number, threads: number): Uint8Array | undefined {
  let packed = gemvPacks.get(plan);
  if (packed === undefined) {
    packed = packGemv(k, plan);
    if (packed === undefined) return undefined;
    gemvPacks.set(plan, packed);
  }
  if (packed === null) return undefined;
  const cg = plan.groupInputChannels;
  const mg = plan.groupOutputChannels;
  // Rows widened back to back; an odd row's last pair reads one value of the next row (or of
  // the slack), which meets a zero weight.
  const ptrs = allocAll(k, [rows * cg * 2 + 16, rows * mg]);
  if (!ptrs) return undefined;
  const [widened, output] = ptrs as [number, number];
  try {
    const raw = placeInput(k, x, rows * cg, ptrs);
    if (raw === undefined) return undefined;
    const p = kernelParams(k);
    p.set([raw, widened, plan.inputZeroPoint]);
    runRange(k, 'centerU8', k.params, rows * cg, 3, threads);
    const { requant, zeroPoint, min, max } = plan.output;
    // The exact output stage: its cost is nothing next to the weights' here.
    p.set([packed.weights, packed.bias, output, packed.pairs, packed.blocks, mg, requant.multiplier, requant.shift, zeroPoint, min, max, 0, widened, cg * 2]);
    runRange(k, 'q8Gemv', k.params, rows * packed.blocks, 8 * cg, threads);
    ptrs.splice(ptrs.indexOf(output), 1);
    return takeOutput(k, output, rows * mg);
  } finally {
    for (const ptr of ptrs) k.heap.release(ptr);
  }
}

/**
 * The indirection table for this input shape: byte offsets from the input's start (pixelBytes
 * per pixel), or `padding` for a tap in the padding, so it holds across runs while the shape
 * does (QNNPACK likewise rebuilds its indirection buffer only when the input changes).
 * Undefined when memory cannot hold it.
 */
function indirectionTable(k: WasmKernels, packed: PackedConv, win: ConvWindow, n: number, h: number, w: number, pixelBytes: number, outH: number, outW: number, kernelH: number, kernelW: number, padding: number): number | undefined {
  const shape = [n, h, w, pixelBytes, outH, outW, win.strideH, win.strideW, win.dilationH, win.dilationW, win.padTop, win.padLeft];
  if (packed.table && packed.table.shape.every((v, i) => v === shape[i])) return packed.table.ptr;
  if (packed.table) {
    releaseOwned(k, packed, packed.table.ptr);
    packed.table = undefined;
  }
  const ptr = k.heap.alloc(n * outH * outW * kernelH * kernelW * 4);
  if (ptr === undefined) return undefined;
  kernelParams(k).set([ptr, 0, padding, n, h, w, pixelBytes, outH, outW, kernelH, kernelW, win.strideH, win.strideW, win.dilationH, win.dilationW, win.padTop, win.padLeft]);
  k.exports.buildIndirection(k.params);
  packed.table = { shape, ptr };
  packed.owned.push(ptr);
  return ptr;
}

/** Offsets of the im2col rows (row i at i × rowBytes), kept while the pixel count holds. */
function im2colRowTable(k: WasmKernels, packed: PackedConv, pixels: number, rowBytes: number): number | undefined {
  if (packed.rowTable?.pixels === pixels) return packed.rowTable.ptr;
  if (packed.rowTable) {
    releaseOwned(k, packed, packed.rowTable.ptr);
    packed.rowTable = undefined;
  }
  const ptr = k.heap.alloc(pixels * 4);
  if (ptr === undefined) return undefined;
  const offsets = new Int32Array(k.memory.buffer, ptr, pixels);
  for (let i = 0; i < pixels; i++) offsets[i] = i * rowBytes;
  packed.rowTable = { pixels, ptr };
  packed.owned.push(ptr);
  return ptr;
}

/** Frees a block the plan owned (a table whose shape no longer holds). */
function releaseOwned(k: WasmKernels, packed: PackedConv, ptr: number): void {
  k.heap.release(ptr);
  packed.owned.splice(packed.owned.indexOf(ptr), 1);
}
