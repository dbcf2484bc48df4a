// The WebAssembly SIMD kernels against the TypeScript reference kernels: random layer shapes
// (odd channel counts, groups, depthwise, strides, dilation, padding, pixel counts that are not
// a multiple of the 4-pixel tile, extreme zero points and scales), identical bytes demanded.
// The golden runner (golden.test.ts) also runs every golden case through both kernel sets.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import { getWasmKernels } from '../src/kernels/wasm-module.js';
import { WasmHeap } from '../src/kernels/wasm-heap.js';
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
  for (let t = 0; t < 30; t++) {
    const [m, k, n] = [Math.floor(r() * 10), 1 + Math.floor(r() * 70), 1 + Math.floor(r() * 40)];
    const zps: [number, number, number] = [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
    const seed = Math.floor(r() * 2 ** 31);
    it(`Int8FC x=[${m},${k}] w=[${n},${k}] zp=${zps}`, () => {
      const reference = runFc(m, k, n, zps, seed, { kernels: 'js' });
      const wasm = runFc(m, k, n, zps, seed, { kernels: 'wasm' });
      expect(Buffer.compare(wasm, reference), 'bytes differ').toBe(0);
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
      expect(Buffer.compare(run({ kernels: 'wasm' }), run({ kernels: 'js' })), 'bytes differ').toBe(0);
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
      expect(Buffer.compare(run({ kernels: 'wasm' }), run({ kernels: 'js' })), 'bytes differ').toBe(0);
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
