// Int8Quantize and Int8Dequantize on the wasm kernels (wasm/f32-quantize.ts) against the
// TypeScript reference, byte for byte (dequantized floats compared by their bits, so -0 and NaN
// payloads count): sizes around the 16-element step, exact halves (ties to even), quotients near
// and beyond ±2^31, infinities, NaNs, -0, subnormals, tiny and huge scales, zero points inside
// and outside [0, 255]; one thread, items run one at a time from the last down, and 2 threads.
import { describe, expect, it } from 'vitest';
import './kernel-workers.js';
import '../src/register-ops.js';
import { poolStats, setItemsOneByOneBackwards } from '../src/kernels/thread-pool.js';
import { getWasmKernels } from '../src/kernels/wasm-module.js';
import { dequantizeWasm, quantizeWasm } from '../src/kernels/wasm-quantize.js';
import { float32FromBits } from '../src/quant/float32.js';
import { Int8Tensor, Tensor } from '../src/tensor.js';
import { Workspace, type WorkspaceOptions } from '../src/workspace.js';
import { op, rng, yArgs } from './helpers.js';

type Mode = 'wasm' | 'backwards' | 'threads';
const MODES: Mode[] = ['wasm', 'backwards', 'threads'];

function options(mode: Mode | 'js'): WorkspaceOptions {
  return mode === 'js' ? { kernels: 'js', threads: 1 } : { kernels: 'wasm', threads: mode === 'threads' ? 2 : 1 };
}

/** `run` with every range kernel run one item at a time from the last down (when asked). */
function inOrder<T>(mode: Mode | 'js', run: () => T): T {
  setItemsOneByOneBackwards(mode === 'backwards');
  try {
    return run();
  } finally {
    setItemsOneByOneBackwards(false);
  }
}

function quantizeOp(x: Float32Array, scale: number, zeroPoint: number, mode: Mode | 'js'): Uint8Array {
  const ws = new Workspace(options(mode));
  ws.setBlob('x', new Tensor('float32', [x.length], x));
  inOrder(mode, () => ws.RunOperatorOnce(op('Int8Quantize', ['x'], ['y'], yArgs(scale, zeroPoint))));
  return ws.FetchInt8Blob('y').data as Uint8Array;
}

function dequantizeOp(q: Uint8Array, scale: number, zeroPoint: number, mode: Mode | 'js'): Uint8Array {
  const ws = new Workspace(options(mode));
  ws.setBlob('x', new Int8Tensor(q, [q.length], scale, zeroPoint));
  inOrder(mode, () => ws.RunOperatorOnce(op('Int8Dequantize', ['x'], ['y'])));
  const y = (ws.FetchBlob('y') as Tensor).data as Float32Array;
  return new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
}

const bits = (b: number): number => float32FromBits(b);

/** Float32 values around x: x itself and its neighbours `ulps` steps either side. */
function around(x: number, ulps: number): number[] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const b = view.getUint32(0);
  const out: number[] = [];
  for (let d = -ulps; d <= ulps; d++) out.push(bits(b + d));
  return out;
}

/** Values that test the edges for `scale`: ties, the int32 limits, specials and subnormals. */
function edgeValues(scale: number): number[] {
  const v: number[] = [];
  for (let k = -300; k <= 300; k++) v.push(Math.fround((k + 0.5) * scale), Math.fround(k * scale));
  for (const m of [2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 24, -(2 ** 24), 2 ** 23 + 0.5, 255, 256, 0]) v.push(...around(m * scale, 3));
  v.push(Infinity, -Infinity, NaN, 0, -0, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38);
  // NaNs with other payloads and signs, and subnormals.
  for (const b of [0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff, 0x7fbfffff, 0x00000001, 0x007fffff, 0x80000001, 0x807fffff, 0x00400000]) v.push(bits(b));
  return v;
}

/** n float32 values: the edge values shuffled with uniform ones in ±400·scale and arbitrary bit patterns. */
function inputs(n: number, scale: number, seed: number): Float32Array {
  const r = rng(seed);
  const edges = edgeValues(scale);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.4) x[i] = edges[Math.floor(r() * edges.length)]!;
    else if (pick < 0.8) x[i] = (r() - 0.5) * 800 * scale;
    else x[i] = bits(Math.floor(r() * 2 ** 32));
  }
  return x;
}

const SIZES = [0, 1, 15, 16, 17, 1000, 150528];
const SCALES = [1, 0.02, 2 ** -7, 0.37, 1e-40, 1e-30, 3e30, 3e38];
const ZERO_POINTS = [0, 128, 255, -1, 256, 1000, -1000, 2 ** 23, -(2 ** 23), 2 ** 23 + 1, 2 ** 31 - 1, -(2 ** 31)];

describe('Int8Quantize on the wasm kernels', () => {
  it('takes zero points within ±2^23 and leaves the rest to the reference', () => {
    expect(getWasmKernels()).toBeDefined();
    const x = inputs(100, 0.02, 1);
    for (const zp of ZERO_POINTS) expect(quantizeWasm(x, Math.fround(0.02), zp, 1) === undefined, `zero point ${zp}`).toBe(Math.abs(zp) > 2 ** 23);
    // The op's output is the kernel's, in the kernels' (shared) memory.
    const ws = new Workspace(options('wasm'));
    ws.setBlob('x', new Tensor('float32', [x.length], x));
    ws.RunOperatorOnce(op('Int8Quantize', ['x'], ['y'], yArgs(0.02, 128)));
    expect((ws.getBlob('y') as Int8Tensor).data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  for (const n of SIZES) {
    it(`${n} elements: the reference's bytes for every scale and zero point`, () => {
      let cases = 0;
      for (const [si, scale] of SCALES.entries()) {
        for (const [zi, zp] of ZERO_POINTS.entries()) {
          // The full-size input with a few of the combinations only: enough to cross every path.
          if (n > 1000 && (si + zi) % 5 !== 0) continue;
          const x = inputs(n, Math.fround(scale), 100 * si + zi);
          const expected = quantizeOp(x, scale, zp, 'js');
          for (const mode of MODES) {
            expect(Buffer.compare(quantizeOp(x, scale, zp, mode), expected), `scale ${scale} zero point ${zp} ${mode}`).toBe(0);
          }
          cases++;
        }
      }
      expect(cases).toBeGreaterThan(0);
    });
  }

  it('rounds exact halves to even and saturates r >= 2^31 and NaN to 0, +inf too', () => {
    const x = Float32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2 ** 31, 2 ** 31 - 128, -(2 ** 31), -(2 ** 31) - 256, NaN, Infinity, -Infinity, -0, 3, -129, 127.5, 126.5]);
    const expected = [128, 130, 130, 128, 126, 126, 0, 255, 0, 0, 0, 0, 0, 128, 131, 0, 255, 254];
    for (const mode of ['js', ...MODES] as const) expect([...quantizeOp(x, 1, 128, mode)], mode).toEqual(expected);
  });

  it('splits a large input over the worker threads', () => {
    const x = inputs(150528, 0.02, 9);
    const expected = quantizeOp(x, 0.02, 128, 'js');
    const chunks = (): number => poolStats().chunksByWorker.reduce((a, b) => a + b, 0);
    const before = chunks();
    // On a busy machine a worker may wake too late for a given op: retry for a while.
    for (const deadline = performance.now() + 5000; chunks() === before && performance.now() < deadline; ) {
      expect(Buffer.compare(quantizeOp(x, 0.02, 128, 'threads'), expected)).toBe(0);
    }
    expect(chunks()).toBeGreaterThan(before);
  });
});

describe('Int8Dequantize on the wasm kernels', () => {
  const DQ_SCALES = [1, 0.02, 0.37, -0.5, 1e-45, 1e-40, 3e30, 3e38, Infinity, NaN];
  const DQ_ZERO_POINTS = [0, 128, 255, -1, 300, 2 ** 24, 255 - 2 ** 24, 2 ** 24 + 1, 254 - 2 ** 24, 2 ** 31 - 1, -(2 ** 31)];

  it('takes finite scales and zero points that keep q - zeroPoint within 2^24', () => {
    const q = Uint8Array.from({ length: 256 }, (_, k) => k);
    for (const zp of DQ_ZERO_POINTS) expect(dequantizeWasm(q, 0.5, zp, 1) === undefined, `zero point ${zp}`).toBe(zp > 2 ** 24 || zp < 255 - 2 ** 24);
    for (const scale of DQ_SCALES) expect(dequantizeWasm(q, scale, 0, 1) === undefined, `scale ${scale}`).toBe(!Number.isFinite(scale));
  });

  for (const n of SIZES) {
    it(`${n} elements: the reference's float bits for every scale and zero point`, () => {
      const r = rng(n);
      const q = Uint8Array.from({ length: n }, (_, k) => (k < 256 ? k : Math.floor(r() * 256)));
      for (const scale of DQ_SCALES) {
        for (const zp of DQ_ZERO_POINTS) {
          const expected = dequantizeOp(q, scale, zp, 'js');
          for (const mode of MODES) expect(Buffer.compare(dequantizeOp(q, scale, zp, mode), expected), `scale ${scale} zero point ${zp} ${mode}`).toBe(0);
        }
      }
    });
  }

  it('gives -0 for q = zero point under a negative scale, and overflows to infinity', () => {
    const q = Uint8Array.from([7, 8, 255]);
    for (const mode of ['js', ...MODES] as const) {
      const y = new Float32Array(new Uint8Array(dequantizeOp(q, -0.5, 7, mode)).buffer);
      expect(Object.is(y[0], -0), mode).toBe(true);
      expect([...y].slice(1), mode).toEqual([-0.5, -124]);
      expect([...new Float32Array(new Uint8Array(dequantizeOp(q, 3e38, 0, mode)).buffer)], mode).toEqual([Infinity, Infinity, Infinity]);
    }
  });
});
