// `npm run demo`: the seed thread's Caffe2 net (examples/seed/*.pb, exactly as its script saved
// it) run on its own input, next to the float Conv2d it was meant to reproduce.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, Workspace } from '../src/index.js';
import { readNetFile, readNpyFile } from '../src/node/index.js';
import { floatConvNchw, minMax } from './float-conv.js';

// What the seed thread printed (shared/seed/README.md).
const PRINTED = {
  float: [-0.3654041886329651, 0.36045965552330017],
  int8: [-0.36551710963249207, 0.32490411400794983],
};

// dist/examples/seed-demo.js or examples/seed-demo.ts: the .pb files live in <root>/examples/seed.
const here = dirname(fileURLToPath(import.meta.url));
const seedDir = join(here, here.includes(`${join('dist', 'examples')}`) ? '../../examples/seed' : 'seed');

const ws = new Workspace();
ws.RunNetOnce(readNetFile(join(seedDir, 'init_net.pb')));
const x1 = readNpyFile(join(seedDir, 'x1.npy'));
ws.FeedBlob('x1', x1);
const predict = readNetFile(join(seedDir, 'predict_net.pb'));
ws.RunNetOnce(predict);
const res = ws.FetchBlob('res') as Tensor;
const conv = ws.FetchInt8Blob('conv_1_q');

// The float model the seed quantized: Conv2d 3->32, kernel 5, stride 2, pad 1, weights 0.01, bias 0.
const weight = Math.fround(0.01);
const ref = floatConvNchw(x1.data as Float32Array, x1.dims, { outChannels: 32, kernel: 5, stride: 2, pad: 1, weight: () => weight });

const [fMin, fMax] = minMax(ref.data);
const [qMin, qMax] = minMax(res.data as Float32Array);

// res is NHWC; compare elementwise against the NCHW reference.
const [n, h, w, c] = res.dims as number[];
let maxAbs = 0;
let allClose = true;
const r = res.data as Float32Array;
for (let b = 0; b < n!; b++)
  for (let y = 0; y < h!; y++)
    for (let xx = 0; xx < w!; xx++)
      for (let m = 0; m < c!; m++) {
        const q = r[((b * h! + y) * w! + xx) * c! + m]!;
        const f = ref.data[((b * c! + m) * h! + y) * w! + xx]!;
        const d = Math.abs(q - f);
        maxAbs = Math.max(maxAbs, d);
        // numpy.testing.assert_allclose(caffe_res, init_res, rtol=0.05, atol=0.1)
        if (d > 0.1 + 0.05 * Math.abs(f)) allClose = false;
      }

const mark = (a: number, b: number) => (a === b ? 'same digits' : `differs (printed ${b})`);
console.log(`seed net: ${predict.op?.map((o) => o.type).join(' -> ')}; input x1 [${x1.dims.join(',')}]`);
console.log(`Int8Conv output: scale ${conv.scale}, zero point ${conv.zero_point}, shape [${conv.dims.join(',')}]`);
console.log('');
console.log('                          min                    max');
console.log(`float Conv2d (init_res)   ${fMin.toString().padEnd(22)} ${fMax}`);
console.log(`Caffe2 Int8Conv (res)     ${qMin.toString().padEnd(22)} ${qMax}`);
console.log('');
console.log(`float min ${mark(fMin, PRINTED.float[0]!)}, float max ${mark(fMax, PRINTED.float[1]!)}`);
console.log(`int8 min ${mark(qMin, PRINTED.int8[0]!)}, int8 max ${mark(qMax, PRINTED.int8[1]!)}`);
console.log(`max |int8 - float| = ${maxAbs}; assert_allclose(rtol=0.05, atol=0.1): ${allClose ? 'passes' : 'fails'}`);
console.log(
  `The int8 max sits below the float max: the output scale and zero point (${conv.scale}, ${conv.zero_point}) can represent at most ${Math.fround((255 - conv.zero_point) * conv.scale)}.`,
);
