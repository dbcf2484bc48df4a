// Registers every op family. Importing the package's entry point does this once.
import { registerOps } from '../src/registry.js';
import { dnnlowpConvOps } from './dnnlowp-conv.js';
import { dnnlowpFcOps } from './dnnlowp-fc.js';
import { dnnlowpPackOps } from './dnnlowp-pack.js';
import { dnnlowpQuantizeOps } from './dnnlowp-quantize.js';
import { fillOps } from './fill.js';
import { floatConvOps } from './float-conv.js';
import { floatElementwiseOps } from './float-elementwise.js';
import { floatFcOps } from './float-fc.js';
import { floatPoolOps } from './float-pool.js';
import { floatShapeOps } from './float-shape.js';
import { floatSoftmaxOps } from './float-softmax.js';
import { int8ActivationOps } from './int8-activations.js';
import { int8AddOps } from './int8-add.js';
import { int8ChannelShuffleOps } from './int8-channel-shuffle.js';
import { int8ConcatOps } from './int8-concat.js';
import { int8ConvOps } from './int8-conv.js';
import { int8ConvTransposeOps } from './int8-conv-transpose.js';
import { int8FcOps } from './int8-fc.js';
import { int8PoolOps } from './int8-pool.js';
import { int8ResizeOps } from './int8-resize.js';
import { int8RoiAlignOps } from './int8-roi-align.js';
import { int8ShapeOps } from './int8-shape.js';
import { layoutOps } from './layout.js';
import { quantizeOps } from './quantize.js';

let registered = false;

export function registerAllOps(): void {
  if (registered) return;
  registered = true;
  registerOps([
    ...fillOps,
    ...layoutOps,
    ...quantizeOps,
    ...int8ConvOps,
    ...int8ConvTransposeOps,
    ...int8FcOps,
    ...int8AddOps,
    ...int8ActivationOps,
    ...int8PoolOps,
    ...int8ChannelShuffleOps,
    ...int8ConcatOps,
    ...int8ResizeOps,
    ...int8ShapeOps,
    ...int8RoiAlignOps,
    ...floatConvOps,
    ...floatFcOps,
    ...floatPoolOps,
    ...floatElementwiseOps,
    ...floatSoftmaxOps,
    ...floatShapeOps,
    ...dnnlowpPackOps,
    ...dnnlowpQuantizeOps,
    ...dnnlowpConvOps,
    ...dnnlowpFcOps,
  ]);
}
