// The seed's convolution under both engines: Caffe2's default (QNNPACK arithmetic) and
// engine "DNNLOWP" (FBGEMM arithmetic, where Int8ConvPackWeight lives), and how many outputs
// differ. Run it with: node dist/examples/seed-engines.js
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Caffe2Error, Workspace, type Int8Fetched, type NetDef } from '../src/index.js';
import { readNetFile, readNpyFile } from '../src/node/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const seedDir = join(here, here.includes(join('dist', 'examples')) ? '../../examples/seed' : 'seed');
const init = readNetFile(join(seedDir, 'init_net.pb'));
const predict = readNetFile(join(seedDir, 'predict_net.pb'));
const x1 = readNpyFile(join(seedDir, 'x1.npy'));

/** The predict net with every Int8 op set to `engine`. */
function withEngine(net: NetDef, engine: string): NetDef {
  const copy = structuredClone(net);
  for (const op of copy.op ?? []) if (op.type?.startsWith('Int8')) op.engine = engine;
  return copy;
}

function runConv(initNet: NetDef, engine: string): Int8Fetched {
  const ws = new Workspace();
  ws.RunNetOnce(initNet);
  ws.FeedBlob('x1', x1);
  ws.RunNetOnce(withEngine(predict, engine));
  return ws.FetchInt8Blob('conv_1_q');
}

const qnnpack = runConv(init, '');
console.log(`default engine (QNNPACK): conv_1_q [${qnnpack.dims.join(',')}] scale ${qnnpack.scale} zero point ${qnnpack.zero_point}`);

// 1. The seed's net as saved: its bias blob says scale 1.0. QNNPACK ignores a bias blob's scale;
//    DNNLOWP checks it against input scale x weight scale and refuses.
try {
  runConv(init, 'DNNLOWP');
  console.log('DNNLOWP accepted the seed net as saved');
} catch (e) {
  if (!(e instanceof Caffe2Error)) throw e;
  console.log(`DNNLOWP refuses the seed net as saved:\n  ${e.message}`);
}

// 2. The same int32 bias values (all zero) with the scale DNNLOWP expects. QNNPACK's bytes do not
//    change (it never reads that scale); DNNLOWP now runs.
const argOf = (net: NetDef, output: string, name: string) => net.op?.find((o) => o.output?.[0] === output)?.arg?.find((a) => a.name === name);
const xScale = argOf(predict, 'x_int8', 'Y_scale')!.f!;
const wScale = argOf(init, 'conv_w', 'Y_scale')!.f!;
const fixedInit = structuredClone(init);
argOf(fixedInit, 'conv_b', 'Y_scale')!.f = Math.fround(xScale * wScale);
const dnnlowp = runConv(fixedInit, 'DNNLOWP');
const again = runConv(fixedInit, '');
let differ = 0;
let maxDiff = 0;
const histogram = new Map<number, number>();
for (let i = 0; i < qnnpack.data.length; i++) {
  if (again.data[i] !== qnnpack.data[i]) throw new Error('QNNPACK output changed with the bias scale');
  const d = dnnlowp.data[i]! - qnnpack.data[i]!;
  if (d !== 0) {
    differ++;
    maxDiff = Math.max(maxDiff, Math.abs(d));
    histogram.set(d, (histogram.get(d) ?? 0) + 1);
  }
}
const n = qnnpack.data.length;
console.log(`\nwith the bias blob at input scale x weight scale (QNNPACK output unchanged):`);
console.log(`DNNLOWP vs QNNPACK: ${differ} of ${n} outputs differ (${((100 * differ) / n).toFixed(2)} %), by at most ${maxDiff} LSB`);
for (const [d, count] of [...histogram].sort((a, b) => a[0] - b[0])) console.log(`  ${d > 0 ? '+' : ''}${d} LSB: ${count}`);
console.log(
  'The differences come from requantization: QNNPACK rounds a Q31 fixed-point product twice (ties away from zero),\nDNNLOWP rounds f32(acc) * f32 multiplier once, half to even.',
);
