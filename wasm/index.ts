// The exports of the kernel module (compiled by scripts/build-wasm.mjs).
export { centerU8, buildIndirection, q8Conv, q8DepthwiseConv } from './q8-conv';
