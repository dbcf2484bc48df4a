// NCHW2NHWC and NHWC2NCHW against the index formula, on shapes where either side of the per-image
// [C, S] matrix is the longer one, spatial ranks 1 to 3 and batches above 1; every float's bits
// are kept, signalling NaNs included.
import { describe, expect, it } from 'vitest';
import '../src/register-ops.js';
import { Tensor } from '../src/tensor.js';
import { Workspace } from '../src/workspace.js';
import { op, rng } from './helpers.js';

function run(type: string, dims: number[], bits: Int32Array): Int32Array {
  const ws = new Workspace();
  ws.setBlob('x', new Tensor('float32', dims, new Float32Array(bits.buffer.slice(0))));
  ws.RunOperatorOnce(op(type, ['x'], ['y']));
  const y = (ws.FetchBlob('y') as Tensor).data as Float32Array;
  return new Int32Array(y.buffer, y.byteOffset, y.length);
}

const SHAPES = [[1, 3, 224, 224], [2, 3, 7, 5], [1, 64, 56, 56], [3, 17, 9], [2, 5, 1, 1], [1, 1, 4, 4], [2, 4, 3, 2, 5], [1, 300, 2, 1]];

describe('NCHW2NHWC and NHWC2NCHW', () => {
  for (const [index, dims] of SHAPES.entries()) {
    it(`x=[${dims}]: the transposed bits, and back`, () => {
      const r = rng(index + 1);
      const bits = Int32Array.from({ length: dims.reduce((a, b) => a * b) }, () => Math.floor(r() * 2 ** 32) | 0);
      // Signalling and quiet NaNs, -0 and a subnormal.
      bits.set([0x7f800001, 0xff800123 | 0, 0x7fc00000, 0x80000000 | 0, 1].slice(0, bits.length));
      const [n, c] = dims as [number, number];
      const s = bits.length / n / c;
      const expected = new Int32Array(bits.length);
      for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let si = 0; si < s; si++) expected[(b * s + si) * c + ci] = bits[(b * c + ci) * s + si]!;
      const nhwc = run('NCHW2NHWC', dims, bits);
      expect(Buffer.compare(Buffer.from(nhwc.buffer, nhwc.byteOffset, nhwc.byteLength), Buffer.from(expected.buffer))).toBe(0);
      const back = run('NHWC2NCHW', [n, ...dims.slice(2), c], expected);
      expect(Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(bits.buffer))).toBe(0);
    });
  }
});
