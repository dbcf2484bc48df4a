// caffe2-int8: run Caffe2 int8 nets bit-exactly. Browser-safe entry point (no Node modules).
import './register-ops.js';

export { Workspace, DEFAULT_MAX_WORKSPACE_BYTES, toNetDef, type NetLike, type OperatorLike, type Int8Fetched, type WorkspaceOptions } from './workspace.js';
export { workspace } from './default-workspace.js';
export { ModelHelper, Net, BlobReference, createNet, makeArgument, arg, type NetBuilder, type ArgValue, type OpOptions } from './builder.js';
export { Tensor, Int8Tensor, float32Tensor, DEFAULT_MAX_TENSOR_BYTES, type DType, type TensorData, type BlobValue } from './tensor.js';
export { Caffe2Error, type ErrorContext, type FailureKind } from './errors.js';
export { parseNetDef, serializeNetDef, parseMessage, detectFormat, type ProtoFormat } from './netdef-io.js';
export { decodeBinary, encodeBinary } from './proto/schema.js';
export { parseTextFormat, printTextFormat } from './proto/text-format.js';
export type { NetDef, OperatorDef, Argument, TensorProto, DeviceOption, Int64 } from './proto/types.js';
export { DataType } from './proto/types.js';
export { parseNpy, encodeNpy } from './npy.js';
export { registeredOps, findOp, canRun, registerOp } from './registry.js';
export type { OperatorSpec, OpSchema, ArgKind, Isa, KernelChoice } from './operator.js';
export { DEFAULT_MAX_OP_WORK } from './operator.js';
export { describeNet, formatNetReport, type NetReport, type OpReport } from './inspect.js';
export { quantizeUint8, dequantizeUint8 } from './quant/quantize.js';
export { initWasmKernels, wasmKernelsStatus } from './kernels/wasm-module.js';
export { initThreads, poolStats, setKernelWorkerFactory, type KernelWorker, type KernelWorkerFactory, type KernelWorkerFactoryOptions, type PoolStats } from './kernels/thread-pool.js';
export { chooseQuantizationParams, type ObserverOptions } from './quant/observer.js';
