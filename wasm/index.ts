// The exports of the kernel module (compiled by scripts/build-wasm.mjs).
export { centerU8, buildIndirection, im2colRows, q8Conv, q8DepthwiseConv, q8Gemv } from './q8-conv';
export { q8Add } from './q8-add';
export { u8MaxPool } from './u8-maxpool';
export { u8AvgPool } from './u8-avgpool';
export { f32QuantizeU8, u8DequantizeF32 } from './f32-quantize';
