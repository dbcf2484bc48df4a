// The seed's net built with the net builder, the way its Caffe2 Python script builds it
// (ModelHelper, param_init_net fills, then NCHW2NHWC -> Int8Quantize -> Int8Conv ->
// Int8Dequantize), with quantization parameters chosen from observed ranges as PyTorch's
// MinMaxObserver would, and the signed int8 weights stored as uint8 with zero point 128.
// Run it with: node dist/examples/seed-build.js
import { chooseQuantizationParams, ModelHelper, Tensor, workspace } from '../src/index.js';
import { floatConvNchw, minMax } from './float-conv.js';
import { uniformGenerator } from './uniform-generator.js';

/** Box-Muller normals from the seeded uniform generator, for a reproducible input. */
function normalGenerator(seed: number): () => number {
  const uniform = uniformGenerator(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const dims = [1, 3, 320, 320];
const next = normalGenerator(123);
const x = Float32Array.from({ length: dims.reduce((p, d) => p * d) }, next);

// The float model: Conv2d(3, 32, kernel 5, stride 2, pad 1), weights 0.01, bias 0.
const weight = Math.fround(0.01);
const ref = floatConvNchw(x, dims, { outChannels: 32, kernel: 5, stride: 2, pad: 1, weight: () => weight });

// Activations: per-tensor affine uint8 from min/max. Weights: symmetric signed int8
// (scale = 0.01 / 127.5, value round(127.5) clamped to 127), stored as uint8 = int8 + 128
// with zero point 128: Caffe2's Int8Conv weights are unsigned.
const xq = chooseQuantizationParams(...minMax(x));
const yq = chooseQuantizationParams(...minMax(ref.data));
const wq = chooseQuantizationParams(-weight, weight, { quantMin: -128, quantMax: 127, symmetric: true });
const wInt8 = Math.min(127, Math.max(-128, Math.round(weight / wq.scale)));
const wBytes = new Uint8Array(32 * 5 * 5 * 3).fill(wInt8 + 128);

const model = new ModelHelper('seed');
model.param_init_net.Int8GivenTensorFill([], 'conv_w', { shape: [32, 5, 5, 3], values: wBytes, Y_scale: wq.scale, Y_zero_point: 128 });
// The bias is int32 at input scale x weight scale. Caffe2 ignores this blob's own Y_scale.
model.param_init_net.Int8GivenIntTensorFill([], 'conv_b', { shape: [32], values: new Int32Array(32), Y_scale: Math.fround(xq.scale * wq.scale), Y_zero_point: 0 });
model.net.NCHW2NHWC('x1', 'x');
model.net.Int8Quantize('x', 'x_int8', { Y_scale: xq.scale, Y_zero_point: xq.zeroPoint });
model.net.Int8Conv(['x_int8', 'conv_w', 'conv_b'], 'conv_1_q', { kernel: 5, stride: 2, pad: 1, order: 'NHWC', Y_scale: yq.scale, Y_zero_point: yq.zeroPoint });
model.net.Int8Dequantize('conv_1_q', 'res');
model.net.NHWC2NCHW('res', 'res_nchw');
model.net.AddExternalOutput('res_nchw');

workspace.ResetWorkspace();
workspace.RunNetOnce(model.param_init_net);
workspace.FeedBlob('x1', x, dims);
workspace.CreateNet(model.net);
workspace.RunNet(model.net.Name());
const res = workspace.FetchBlob('res_nchw') as Tensor;

const out = res.data as Float32Array;
let maxAbs = 0;
for (let i = 0; i < out.length; i++) maxAbs = Math.max(maxAbs, Math.abs(out[i]! - ref.data[i]!));
const [fMin, fMax] = minMax(ref.data);
const [qMin, qMax] = minMax(out);
console.log(`input qparams  scale=${xq.scale} zero_point=${xq.zeroPoint}`);
console.log(`weight qparams scale=${wq.scale} zero_point=128 (int8 ${wInt8} stored as uint8 ${wInt8 + 128})`);
console.log(`output qparams scale=${yq.scale} zero_point=${yq.zeroPoint}`);
console.log(`requantization scale = ${Math.fround(Math.fround(xq.scale * wq.scale) / yq.scale)} (QNNPACK needs < 1)`);
console.log(`float Conv2d      min ${fMin}  max ${fMax}`);
console.log(`Caffe2 Int8Conv   min ${qMin}  max ${qMax}`);
console.log(`max |int8 - float| = ${maxAbs} (output step ${yq.scale})`);
