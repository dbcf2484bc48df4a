// Plain-object views of Caffe2's protobuf messages (field names exactly as in proto/caffe2.proto).
// A field that is absent in the file is absent (undefined) here: proto2 presence matters to
// Caffe2's argument readers, so decoders never fill in defaults.
//
// 64-bit integers are JS numbers when they are safe integers, and bigints otherwise.
export type Int64 = number | bigint;

export interface DeviceOption {
  device_type?: number;
  device_id?: number;
  random_seed?: number;
  node_name?: string;
  numa_node_id?: number;
  extra_info?: string[];
}

export interface TensorSegment {
  begin: Int64;
  end: Int64;
}

export interface TensorProto {
  dims?: Int64[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  byte_data?: Uint8Array;
  string_data?: Uint8Array[];
  double_data?: number[];
  int64_data?: Int64[];
  raw_data?: Uint8Array;
  name?: string;
  device_detail?: DeviceOption;
  segment?: TensorSegment;
  data_format?: number;
}

export interface QTensorProto {
  dims?: Int64[];
  precision?: number;
  scale?: number;
  bias?: number;
  is_signed?: boolean;
  data?: number[];
  name?: string;
  data_type?: number;
  scales?: number[];
  biases?: number[];
  axis?: number;
  is_multiparam?: boolean;
}

export interface Argument {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  n?: NetDef;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  nets?: NetDef[];
  qtensors?: QTensorProto[];
}

export interface OperatorDef {
  input?: string[];
  output?: string[];
  name?: string;
  type?: string;
  arg?: Argument[];
  device_option?: DeviceOption;
  engine?: string;
  control_input?: string[];
  is_gradient_op?: boolean;
  debug_info?: string;
  domain?: string;
  op_version?: Int64;
}

export interface NetDef {
  name?: string;
  op?: OperatorDef[];
  type?: string;
  num_workers?: number;
  device_option?: DeviceOption;
  arg?: Argument[];
  external_input?: string[];
  external_output?: string[];
  partition_info?: unknown[];
}

export interface TensorProtos {
  protos?: TensorProto[];
}

/** Caffe2's TensorProto.DataType numbers. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT32: 2,
  BYTE: 3,
  STRING: 4,
  BOOL: 5,
  UINT8: 6,
  INT8: 7,
  UINT16: 8,
  INT16: 9,
  INT64: 10,
  FLOAT16: 12,
  DOUBLE: 13,
  ZERO_COLLISION_HASH: 14,
  REBATCHING_BUFFER: 15,
} as const;

/** Names of the messages this package can read and write. */
export type MessageName = 'NetDef' | 'OperatorDef' | 'Argument' | 'TensorProto' | 'TensorProtos' | 'QTensorProto' | 'BlobProto' | 'DeviceOption';
