// The WebAssembly SIMD kernels against the TypeScript reference kernels: random layer shapes
// (odd channel counts, groups, depthwise, strides, dilation, padding, pixel counts that are not
// a multiple of the 4-pixel tile, extreme zero points and scales), identical bytes demanded;
// likewise Int8FC, Int8Add, Int8MaxPool and Int8AveragePool (global and windowed).
// The golden runner (golden.test.ts) also runs every golden case through both kernel sets.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import { setItemsOneByOneBackwards } from '../src/kernels/thread-pool.js';
import { getWasmKernels } from '../src/kernels/wasm-module.js';
import { WasmHeap } from '../src/kernels/wasm-heap.js';
import { globalAveragePoolNwcQ8 } from '../ops/int8-pool.js';
import { avgPoolRequantization } from '../src/quant/avgpool-requantize.js';
import { Int8Tensor } from '../src/tensor.js';
import { Workspace, type WorkspaceOptions } from '../src/workspace.js';
import { i, ints, net, NHWC, op, rng, yArgs } from './helpers.js';

interface ConvCase {
  n: number; h: number; w: number; c: number; m: number; group: number;
  kh: number; kw: number; stride: [number, number]; dilation: [number, number]; pads: [number, number, number, number];
  xzp: number; wzp: number; yzp: number; relu: boolean; yScale: number; bias: number;
}

function describeCase(k: ConvCase): string {
  return `x=[${k.n},${k.h},${k.w},${k.c}] w=[${k.m},${k.kh},${k.kw},${k.c / k.group}] g=${k.group} s=${k.stride} d=${k.dilation} p=${k.pads} zp=${k.xzp}/${k.wzp}/${k.yzp}${k.relu ? ' relu' : ''} yScale=${k.yScale}`;
}

function runConv(k: ConvCase, r: () => number, options: WorkspaceOptions): Uint8Array {
  const bytes = (count: number) => Uint8Array.from({ length: count }, () => Math.floor(r() * 256));
  const ws = new Workspace(options);
  ws.setBlob('x', new Int8Tensor(bytes(k.n * k.h * k.w * k.c), [k.n, k.h, k.w, k.c], 0.02, k.xzp));
  ws.setBlob('w', new Int8Tensor(bytes(k.m * k.kh * k.kw * (k.c / k.group)), [k.m, k.kh, k.kw, k.c / k.group], 0.01, k.wzp));
  ws.setBlob('b', new Int8Tensor(Int32Array.from({ length: k.m }, () => Math.floor((r() - 0.5) * k.bias)), [k.m], 0.0002, 0));
  ws.RunOperatorOnce(op(k.relu ? 'Int8ConvRelu' : 'Int8Conv', ['x', 'w', 'b'], ['y'], [
    NHWC, ints('kernels', [k.kh, k.kw]), ints('strides', k.stride), ints('dilations', k.dilation), ints('pads', k.pads), i('group', k.group), ...yArgs(k.yScale, k.yzp),
  ]));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

function randomCase(r: () => number): ConvCase {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kind = pick(['dense', 'dense', 'depthwise', 'grouped', 'pointwise']);
  const group = kind === 'depthwise' ? pick([1, 3, 8, 13, 24]) : kind === 'grouped' ? pick([2, 3, 4]) : 1;
  const cg = kind === 'depthwise' ? 1 : pick([1, 2, 3, 5, 8, 16, 17, 33]);
  const mg = kind === 'depthwise' ? pick([1, 1, 1, 2]) : pick([1, 3, 8, 9, 16, 24, 31]);
  const kh = kind === 'pointwise' ? 1 : pick([1, 2, 3, 5]);
  const kw = kind === 'pointwise' ? 1 : pick([1, 3, 5]);
  return {
    n: pick([1, 1, 2, 3]), h: pick([1, 3, 6, 7, 11]), w: pick([1, 2, 5, 9, 13]), c: cg * group, m: mg * group, group, kh, kw,
    stride: [pick([1, 1, 2, 3]), pick([1, 2])], dilation: [pick([1, 1, 2]), pick([1, 2])],
    pads: [pick([0, 1, 2]), pick([0, 1]), pick([0, 1, 2]), pick([0, 2])],
    xzp: pick([0, 1, 128, 200, 255]), wzp: pick([0, 128, 37, 255]), yzp: pick([0, 5, 128, 255]), relu: r() < 0.3,
    // 0.00035 gives requantization shift 0 and 4e5 shift 31; biases near ±2^30 straddle the
    // bound where the kernels leave the short output stage for the exact one.
    yScale: pick([0.05, 0.5, 2, 30, 0.00035, 4e5]), bias: pick([0, 1000, 2 ** 20, 2 ** 31, 2 ** 32]),
  };
}

/**
 * `run` with every range kernel run one item at a time from the last down. Threads may run the
 * items in any order; in this one a kernel writing past its own items' bytes spoils bytes
 * already written.
 */
function backwards<T>(run: () => T): T {
  setItemsOneByOneBackwards(true);
  try {
    return run();
  } finally {
    setItemsOneByOneBackwards(false);
  }
}

describe('wasm kernels equal the TypeScript reference', () => {
  it('WebAssembly SIMD is available on this platform', () => {
    expect(getWasmKernels()).toBeDefined();
  });

  const r = rng(20261129);
  for (let t = 0; t < 160; t++) {
    const k = randomCase(r);
    const oh = Math.floor((k.h + k.pads[0] + k.pads[2] - (k.dilation[0] * (k.kh - 1) + 1)) / k.stride[0]) + 1;
    const ow = Math.floor((k.w + k.pads[1] + k.pads[3] - (k.dilation[1] * (k.kw - 1) + 1)) / k.stride[1]) + 1;
    if (oh < 1 || ow < 1) continue;
    const seed = Math.floor(r() * 2 ** 31);
    it(`Int8Conv ${describeCase(k)}`, () => {
      const reference = runConv(k, rng(seed), { kernels: 'js' });
      const wasm = runConv(k, rng(seed), { kernels: 'wasm' });
      expect(wasm.length).toBe(reference.length);
      expect(Buffer.compare(wasm, reference), 'bytes differ').toBe(0);
      expect(Buffer.compare(backwards(() => runConv(k, rng(seed), { kernels: 'wasm' })), reference), 'bytes differ when items run backwards').toBe(0);
    });
  }
});

function runFc(m: number, k: number, n: number, zps: [number, number, number], seed: number, options: WorkspaceOptions): Uint8Array {
  const r = rng(seed);
  const bytes = (count: number) => Uint8Array.from({ length: count }, () => Math.floor(r() * 256));
  const ws = new Workspace(options);
  ws.setBlob('x', new Int8Tensor(bytes(m * k), [m, k], 0.02, zps[0]));
  ws.setBlob('w', new Int8Tensor(bytes(n * k), [n, k], 0.01, zps[1]));
  ws.setBlob('b', new Int8Tensor(Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2 ** 20)), [n], 0.0002, 0));
  ws.RunOperatorOnce(op('Int8FC', ['x', 'w', 'b'], ['y'], yArgs(0.3, zps[2])));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

describe('a created wasm conv keeps its indirection table only while the input shape holds', () => {
  for (const group of [1, 8]) {
    it(`Int8Conv g=${group} run on [1,9,9,8], [2,5,7,8], then [1,9,9,8] again`, () => {
      const r = rng(3 + group);
      const bytes = (count: number) => Uint8Array.from({ length: count }, () => Math.floor(r() * 256));
      const weights = new Int8Tensor(bytes(8 * 9 * (8 / group)), [8, 3, 3, 8 / group], 0.01, 120);
      const bias = new Int8Tensor(Int32Array.from({ length: 8 }, () => Math.floor((r() - 0.5) * 5000)), [8], 1, 0);
      const inputs = [[1, 9, 9, 8], [2, 5, 7, 8], [1, 9, 9, 8]].map((dims) => new Int8Tensor(bytes(dims.reduce((a, b) => a * b)), dims, 0.02, 100));
      const outputs = (['js', 'wasm'] as const).map((kernels) => {
        const ws = new Workspace({ kernels });
        ws.setBlob('w', weights);
        ws.setBlob('b', bias);
        ws.setBlob('x', inputs[0]!);
        ws.CreateNet(net('n', [op('Int8Conv', ['x', 'w', 'b'], ['y'], [NHWC, i('kernel', 3), i('pad', 1), i('group', group), ...yArgs(0.3, 128)])]));
        return inputs.map((x) => {
          ws.setBlob('x', x);
          ws.RunNet('n');
          return ws.FetchInt8Blob('y').data as Uint8Array;
        });
      });
      for (let run = 0; run < 3; run++) expect(Buffer.compare(outputs[1]![run]!, outputs[0]![run]!), `run ${run}`).toBe(0);
    });
  }
});

describe('wasm Int8FC equals the TypeScript reference', () => {
  const r = rng(7);
  for (let t = 0; t < 50; t++) {
    // Every third case has 1-3 rows and weight zero point 128, so its weights fit int8: q8Gemv.
    const gemv = t % 3 === 0;
    const [m, k, n] = [gemv ? 1 + (Math.floor(t / 3) % 3) : Math.floor(r() * 10), 1 + Math.floor(r() * 70), 1 + Math.floor(r() * 40)];
    const zps: [number, number, number] = [Math.floor(r() * 256), gemv ? 128 : Math.floor(r() * 256), Math.floor(r() * 256)];
    const seed = Math.floor(r() * 2 ** 31);
    it(`Int8FC x=[${m},${k}] w=[${n},${k}] zp=${zps}`, () => {
      const reference = runFc(m, k, n, zps, seed, { kernels: 'js' });
      const wasm = runFc(m, k, n, zps, seed, { kernels: 'wasm' });
      expect(Buffer.compare(wasm, reference), 'bytes differ').toBe(0);
      expect(Buffer.compare(backwards(() => runFc(m, k, n, zps, seed, { kernels: 'wasm' })), reference), 'bytes differ when items run backwards').toBe(0);
    });
  }
});

describe('wasm Int8Add and Int8MaxPool equal the TypeScript reference', () => {
  const r = rng(11);
  for (let t = 0; t < 30; t++) {
    const size = [0, 1, 15, 16, 17, 100, 1000, 4099][t % 8]!;
    const scales = [0.01 + r(), 0.01 + r(), 0.05 + r()];
    const zps = [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
    const type = r() < 0.5 ? 'Int8AddRelu' : 'Int8Add';
    const seed = Math.floor(r() * 2 ** 31);
    it(`${type} n=${size} scales=${scales.map((v) => v.toFixed(3))} zp=${zps}`, () => {
      const run = (options: WorkspaceOptions) => {
        const g = rng(seed);
        const bytes = () => Uint8Array.from({ length: size }, () => Math.floor(g() * 256));
        const ws = new Workspace(options);
        ws.setBlob('a', new Int8Tensor(bytes(), [size], scales[0]!, zps[0]!));
        ws.setBlob('b', new Int8Tensor(bytes(), [size], scales[1]!, zps[1]!));
        ws.RunOperatorOnce(op(type, ['a', 'b'], ['y'], yArgs(scales[2]!, zps[2]!)));
        return ws.FetchInt8Blob('y').data as Uint8Array;
      };
      const reference = run({ kernels: 'js' });
      expect(Buffer.compare(run({ kernels: 'wasm' }), reference), 'bytes differ').toBe(0);
      expect(Buffer.compare(backwards(() => run({ kernels: 'wasm' })), reference), 'bytes differ when items run backwards').toBe(0);
    });
  }
  for (let t = 0; t < 30; t++) {
    const [n, h, w, c] = [1 + Math.floor(r() * 2), 1 + Math.floor(r() * 12), 1 + Math.floor(r() * 12), [1, 3, 16, 17, 40][t % 5]!];
    const [kh, kw, s0, s1] = [2 + Math.floor(r() * 2), 1 + Math.floor(r() * 3), 1 + Math.floor(r() * 2), 1 + Math.floor(r() * 2)];
    const pads = [Math.floor(r() * kh), Math.floor(r() * kw), Math.floor(r() * kh), Math.floor(r() * kw)];
    const type = r() < 0.3 ? 'Int8MaxPoolRelu' : 'Int8MaxPool';
    const zp = Math.floor(r() * 256);
    const seed = Math.floor(r() * 2 ** 31);
    if (h + pads[0]! + pads[2]! < kh || w + pads[1]! + pads[3]! < kw) continue;
    it(`${type} x=[${n},${h},${w},${c}] k=${kh}x${kw} s=${s0},${s1} p=${pads} zp=${zp}`, () => {
      const run = (options: WorkspaceOptions) => {
        const g = rng(seed);
        const ws = new Workspace(options);
        ws.setBlob('x', new Int8Tensor(Uint8Array.from({ length: n * h * w * c }, () => Math.floor(g() * 256)), [n, h, w, c], 0.1, zp));
        ws.RunOperatorOnce(op(type, ['x'], ['y'], [NHWC, ints('kernels', [kh, kw]), ints('strides', [s0, s1]), ints('pads', pads), ...yArgs(0.1, zp)]));
        return ws.FetchInt8Blob('y').data as Uint8Array;
      };
      const reference = run({ kernels: 'js' });
      expect(Buffer.compare(run({ kernels: 'wasm' }), reference), 'bytes differ').toBe(0);
      expect(Buffer.compare(backwards(() => run({ kernels: 'wasm' })), reference), 'bytes differ when items run backwards').toBe(0);
    });
  }
});

type PoolData = 'random' | 'extremes' | 'near zero point' | 'constant';

/** Input bytes of a kind: uniform, only 0 and 255, within 3 of the zero point, or one value. */
function poolInput(kind: PoolData, count: number, zeroPoint: number, g: () => number): Uint8Array {
  const constant = Math.floor(g() * 256);
  return Uint8Array.from({ length: count }, () => {
    if (kind === 'random') return Math.floor(g() * 256);
    if (kind === 'extremes') return g() < 0.5 ? 0 : 255;
    if (kind === 'constant') return constant;
    return Math.min(255, Math.max(0, zeroPoint + Math.floor(g() * 7) - 3));
  });
}

interface AvgPoolCase {
  dims: [number, number, number, number];
  /** Absent for the global form. */
  window?: { kernel: [number, number]; strides: [number, number]; pads: [number, number, number, number] };
  xzp: number; yzp: number; relu: boolean; data: PoolData;
  /** X_scale / Y_scale, inside QNNPACK's [2^-8, 2^8). */
  ratio: number;
}

function describeAvgPool(k: AvgPoolCase): string {
  const where = k.window ? `k=${k.window.kernel.join('x')} s=${k.window.strides} p=${k.window.pads}` : 'global';
  return `${k.relu ? 'Int8AveragePoolRelu' : 'Int8AveragePool'} x=[${k.dims}] ${where} zp=${k.xzp}/${k.yzp} ratio=${k.ratio} ${k.data}`;
}

/** The requantization shift of a case (16..55; at or above 32 the 64-bit product's high word matters). */
function avgPoolShift(k: AvgPoolCase): number {
  const [, h, w] = k.dims;
  const area = k.window ? k.window.kernel[0] * k.window.kernel[1] : h * w;
  return avgPoolRequantization(0.1, 0.1 / k.ratio, area).shift;
}

function runAvgPool(k: AvgPoolCase, seed: number, options: WorkspaceOptions): Uint8Array {
  const ws = new Workspace(options);
  const count = k.dims.reduce((a, b) => a * b);
  ws.setBlob('x', new Int8Tensor(poolInput(k.data, count, k.xzp, rng(seed)), k.dims, 0.1, k.xzp));
  const where = k.window ? [ints('kernels', k.window.kernel), ints('strides', k.window.strides), ints('pads', k.window.pads)] : [i('global_pooling', 1)];
  ws.RunOperatorOnce(op(k.relu ? 'Int8AveragePoolRelu' : 'Int8AveragePool', ['x'], ['y'], [NHWC, ...where, ...yArgs(0.1 / k.ratio, k.yzp)]));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

describe('wasm Int8AveragePool equals the TypeScript reference', () => {
  const r = rng(31);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const zeroPoint = () => pick([0, 255, Math.floor(r() * 256)]);
  const common = () => ({
    xzp: zeroPoint(), yzp: zeroPoint(), relu: r() < 0.3,
    data: pick<PoolData>(['random', 'random', 'extremes', 'near zero point', 'constant']),
    ratio: pick([0.0041, 0.05, 0.9, 3, 100, 250]),
  });
  const cases: AvgPoolCase[] = [];
  // Global: every image from 1x1 to 7x7 (MobileNetV2's 7x7x1280 among them), then 300x300.
  for (let t = 0; t < 49; t++) {
    const [q, rest] = [Math.floor(t / 7), t % 7];
    const c = [1, 3, 15, 16, 17, 33, 1280][rest]!;
    cases.push({ dims: [1 + Math.floor(r() * 3), 1 + q, 1 + ((rest + 6 - q) % 7), c], ...common() });
  }
  for (const c of [1, 3, 15, 16, 17, 33]) cases.push({ dims: [1 + Math.floor(r() * 2), 300, 300, c], ...common() });
  for (let t = 0; t < 60; t++) {
    const c = [1, 3, 15, 16, 17, 33, 40][t % 7]!;
    const [h, w] = [1 + Math.floor(r() * 12), 1 + Math.floor(r() * 12)];
    const kernel: [number, number] = [2 + Math.floor(r() * 3), 1 + Math.floor(r() * 4)];
    const pads: [number, number, number, number] = [Math.floor(r() * kernel[0]), Math.floor(r() * kernel[1]), Math.floor(r() * kernel[0]), Math.floor(r() * kernel[1])];
    if (h + pads[0] + pads[2] < kernel[0] || w + pads[1] + pads[3] < kernel[1]) continue;
    const window = { kernel, strides: [1 + Math.floor(r() * 3), 1 + Math.floor(r() * 2)] as [number, number], pads };
    cases.push({ dims: [1 + Math.floor(r() * 2), h, w, c], window, ...common() });
  }

  it('the cases have requantization shifts below and above 32', () => {
    const shifts = cases.map(avgPoolShift);
    expect(Math.min(...shifts)).toBeLessThan(32);
    expect(Math.max(...shifts)).toBeGreaterThan(40);
  });

  for (const k of cases) {
    const seed = Math.floor(r() * 2 ** 31);
    it(`${describeAvgPool(k)} shift=${avgPoolShift(k)}`, () => {
      expect(Buffer.compare(runAvgPool(k, seed, { kernels: 'wasm' }), runAvgPool(k, seed, { kernels: 'js' })), 'bytes differ').toBe(0);
    });
  }

  // Sums of 255 over 2903x2903 pixels pass 2^31: the accumulator wraps, as QNNPACK's int32 does.
  for (const [c, xzp, byte] of [[1, 0, 255], [1, 255, 0], [16, 0, 255]] as const) {
    const dims = [1, 2903, 2903, c];
    it(`Int8AveragePool x=[${dims}] global, all bytes ${byte}, zp=${xzp}: the int32 accumulator wraps`, () => {
      const run = (kernels: 'js' | 'wasm') => {
        const ws = new Workspace({ kernels });
        ws.setBlob('x', new Int8Tensor(new Uint8Array(2903 * 2903 * c).fill(byte), dims, 0.1, xzp));
        ws.RunOperatorOnce(op('Int8AveragePool', ['x'], ['y'], [NHWC, i('global_pooling', 1), ...yArgs(0.2, 128)]));
        return ws.FetchInt8Blob('y').data as Uint8Array;
      };
      const wasm = run('wasm');
      // Unwrapped, the mean ±255 · 0.5 would give 255 or 1 (zero point 128); wrapped, the sign flips.
      expect(wasm[0]).toBe(byte === 255 ? 1 : 255);
      expect(Buffer.compare(wasm, run('js')), 'bytes differ').toBe(0);
    });
  }
});

describe('the u8AvgPool kernel writes only its own bytes', () => {
  // Threads take chunks in any order (the pool hands them out from the last down): run the items
  // one at a time from the last down, with sentinel bytes after the output.
  for (const c of [1, 15, 16, 17, 33]) {
    it(`global x=[3,1,5,${c}]: items from the last down give the reference bytes and leave the 16 after the output alone`, () => {
      const k = getWasmKernels()!;
      const [n, width, xzp, yzp] = [3, 5, 100, 128];
      const g = rng(c);
      const x = Uint8Array.from({ length: n * width * c }, () => Math.floor(g() * 256));
      const requant = avgPoolRequantization(0.1, 0.01, width);
      const plan = { channels: c, inputScale: 0.1, outputScale: 0.01, inputZeroPoint: xzp, outputZeroPoint: yzp, outputMin: 0, outputMax: 255 };
      const [input, output, params] = [k.heap.alloc(x.length)!, k.heap.alloc(n * c + 16)!, k.heap.alloc(80)!];
      try {
        new Uint8Array(k.memory.buffer, input, x.length).set(x);
        new Uint8Array(k.memory.buffer, output, n * c + 16).fill(0xa5);
        // The word layout documented at u8AvgPool: a global pool is a 1 x width window.
        new Int32Array(k.memory.buffer, params, 19).set([input, output, 1, width, c, 1, 1, 1, width, 1, 1, 0, 0, xzp, requant.multiplier, requant.shift, yzp, 0, 255]);
        const items = n * Math.ceil(c / 16);
        for (let item = items - 1; item >= 0; item--) k.exports.u8AvgPool(params, item, item + 1);
        const y = new Uint8Array(k.memory.buffer, output, n * c + 16);
        expect(Buffer.compare(y.subarray(0, n * c), globalAveragePoolNwcQ8(plan, requant, x, n, width)), 'bytes differ').toBe(0);
        expect([...y.subarray(n * c)]).toEqual(new Array(16).fill(0xa5));
      } finally {
        for (const p of [input, output, params]) k.heap.release(p);
      }
    });
  }
});

describe('WasmHeap', () => {
  it('reuses and merges freed blocks, and refuses what the memory cannot hold', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const heap = new WasmHeap(memory, 16, 4 * 65536);
    const a = heap.alloc(100)!;
    const b = heap.alloc(50)!;
    const c = heap.alloc(10)!;
    expect([a, b, c]).toEqual([16, 128, 192]);
    heap.release(a);
    heap.release(b);
    // a and b merged into one 176-byte block.
    expect(heap.alloc(170)).toBe(16);
    expect(heap.alloc(70000)).toBe(208);
    expect(memory.buffer.byteLength).toBe(2 * 65536);
    expect(heap.alloc(4 * 65536)).toBeUndefined();
    expect(() => heap.release(12345)).toThrow(/not an allocated block/);
  });
});
