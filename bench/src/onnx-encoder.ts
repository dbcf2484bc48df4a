// Encodes an ONNX ModelProto with protobufjs from the onnx.proto subset in bench/onnx-subset.proto.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export interface OnnxTensor {
  name: string;
  dataType: DataTypeCode;
  dims: readonly number[];
  /** Little-endian element bytes (raw_data). */
  data: Uint8Array | Int8Array | Int32Array | Float32Array | BigInt64Array;
}

export interface OnnxNode {
  opType: string;
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer attributes only (all that these models need): a number is INT, an array INTS. */
  attributes?: Record<string, number | readonly number[]>;
}

export interface OnnxValueInfo {
  name: string;
  dataType: DataTypeCode;
  dims: readonly number[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

const root = protobuf.loadSync(fileURLToPath(new URL('../onnx-subset.proto', import.meta.url)));
const ModelProto = root.lookupType('onnx.ModelProto');
const ATTR_INT = 2;
const ATTR_INTS = 7;

function valueInfo(v: OnnxValueInfo) {
  return { name: v.name, type: { tensorType: { elemType: v.dataType, shape: { dim: v.dims.map((d) => ({ dimValue: d })) } } } };
}

function tensor(t: OnnxTensor) {
  return { name: t.name, dataType: t.dataType, dims: [...t.dims], rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

function node(n: OnnxNode, index: number) {
  const attribute = Object.entries(n.attributes ?? {}).map(([name, v]) =>
    typeof v === 'number' ? { name, type: ATTR_INT, i: v } : { name, type: ATTR_INTS, ints: [...v] },
  );
  return { name: `${n.opType}_${index}`, opType: n.opType, domain: n.domain ?? '', input: [...n.inputs], output: [...n.outputs], attribute };
}

/** A ModelProto (IR version 7) importing opset 13 and com.microsoft 1. */
export function encodeModel(graph: OnnxGraph): Uint8Array {
  const message = ModelProto.fromObject({
    irVersion: 7,
    producerName: 'caffe2-int8-bench',
    opsetImport: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: graph.name,
      node: graph.nodes.map(node),
      initializer: graph.initializers.map(tensor),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(message).finish();
}
