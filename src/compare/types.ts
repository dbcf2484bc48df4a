// The compare report: what `caffe2-int8 compare` finds, op by op, as plain JSON-ready objects.
import type { Collapse, ErrorStats, Range, Saturation } from './stats.js';

/** One blob as an op sees it. */
export interface BlobInfo {
  blob: string;
  /** 'int8': an Int8TensorCPU; 'tensor': a plain tensor; 'other': an opaque object; 'missing': empty or absent. */
  kind: 'int8' | 'tensor' | 'other' | 'missing';
  dtype?: string;
  dims?: number[];
  scale?: number;
  zeroPoint?: number;
}

/** Histograms of an op's output on one set of bins: the float shadow and the int8 codes. */
export interface OutputHistogram {
  lo: number;
  hi: number;
  /** Float shadow values per bin (absent without a shadow). */
  shadow?: number[];
  /** Int8 output codes per bin (their real values), or the float output for a float blob. */
  int8: number[];
  /** Real values of codes 0 and 255 (for a fused Relu, the lower clamp instead of code 0). */
  representable?: [number, number];
}

export interface ShadowReport {
  /** How the shadow was computed. */
  method: string;
  range: Range;
  /** The int8 output (dequantized) against the shadow. */
  error: ErrorStats;
  /** Share of outputs that differ from clamp(round(shadow / scale) + zero point): the rounding an ideal quantizer would do. */
  offIdeal: number;
  /** The second reading of the bias, at the bias blob's own scale, where it differs from Caffe2's. */
  biasAtOwnScale?: { identical: true; reason: string } | { identical: false; error: ErrorStats; range: Range; maxShiftLsb: number };
}

export interface EngineComparison {
  /** 'default' for Caffe2's default engine (QNNPACK arithmetic), else the engine name. */
  engine: string;
  status: 'ok' | 'not available' | 'failed';
  note?: string;
  /** The engine ran with the bias blob's scale set to input scale × weight scale (it refused the blob as it is). */
  adjustedBias?: boolean;
  /** Outputs this engine changes, against the net's own engine; absent when that one failed. */
  changed?: number;
  changedShare?: number;
  /** Largest change in the net's output LSBs. */
  maxDiffLsb?: number;
  /** Change in whole output LSBs -> count (non-zero changes only). */
  diffHistogram?: Record<string, number>;
  /** This engine's output qparams, when it has any. */
  output?: { scale: number; zeroPoint: number };
  /** This engine's output against the float shadow. */
  error?: ErrorStats;
}

/** Where the user's float model is compared. */
export interface FloatModelMatch {
  /** 'output' for the op's output, 'weight' / 'bias' for its parameters. */
  role: 'output' | 'weight' | 'bias';
  int8Blob: string;
  floatBlob: string;
  /** 'same', 'NCHW -> NHWC' (the float blob was transposed to match), or 'flat'. */
  layout: string;
  range?: Range;
  error?: ErrorStats;
  /** Why it was not compared. */
  skipped?: string;
}

/** What the bytes of an Int8 weight blob look like: signed values stored without the +128 shift show here. */
export interface WeightStats {
  count: number;
  scale: number;
  zeroPoint: number;
  /** Smallest and largest byte. */
  min: number;
  max: number;
  /** Bytes in 16 bins of 16 codes (0-15, 16-31, ..., 240-255). */
  byteHistogram: number[];
  /** Shares of bytes in 0..63 and in 192..255. */
  shareLow: number;
  shareHigh: number;
  /** Standard deviation of the bytes read as uint8, and read as two's-complement int8. */
  stdUnsigned: number;
  stdSigned: number;
  /** Range of the bytes read as two's-complement int8. */
  signedMin: number;
  signedMax: number;
}

/** The int32 values of a bias blob. */
export interface BiasStats {
  count: number;
  min: number;
  max: number;
  nonZero: number;
}

export interface OpComparison {
  index: number;
  type: string;
  engine: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  /** 'int8': an Int8 op with an Int8 or float result; 'param': fills and weight packing; 'float': anything else. */
  category: 'int8' | 'param' | 'float';
  status: 'ok' | 'failed';
  failure?: string;
  /** The op could not run because this earlier op failed and made no stand-in for it. */
  skippedBecause?: number;
  /** How this op's output was made for the rest of the net when the op failed. */
  standIn?: string;
  blobs: { inputs: BlobInfo[]; outputs: BlobInfo[]; weight?: BlobInfo; bias?: BlobInfo };
  weightStats?: WeightStats;
  biasStats?: BiasStats;
  /** The output scale and zero point: the output tensor's, or the Y_scale / Y_zero_point arguments when the op failed. */
  outputQparams?: { scale: number; zeroPoint: number };
  /** f32(f32(input scale × weight scale) / output scale), for conv / FC / deconv. */
  requantScale?: number;
  /** The output the charts show (output 0). */
  output?: { blob: string; range: Range; histogram: OutputHistogram };
  shadow?: ShadowReport;
  /** Why there is no shadow. */
  shadowUnavailable?: string;
  /** The int8 output against a float run of the net up to here (the error accumulated from the net's inputs). */
  drift?: ErrorStats;
  saturation?: Saturation;
  collapse?: Collapse;
  engines: EngineComparison[];
  floatModel: FloatModelMatch[];
  notes: string[];
}

export type Severity = 'error' | 'warning' | 'info';

export type FindingCode =
  | 'op-failed'
  | 'bias-scale'
  | 'signed-weights'
  | 'weights-half-range'
  | 'requant-scale'
  | 'output-clips'
  | 'collapse'
  | 'dequantize-args'
  | 'engine'
  | 'engine-differs'
  | 'float-model';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  opIndex?: number;
  opType?: string;
  blob?: string;
  /** What is wrong, in plain words. */
  message: string;
  /** The numbers that show it. */
  evidence: string;
  /** What to change. */
  fix: string;
}

export interface CompareReport {
  version: 1;
  net: string;
  /** Engines compared ('default' first). */
  engines: string[];
  inputs: BlobInfo[];
  floatModel?: { net: string; failure?: string; matched: number };
  ops: OpComparison[];
  findings: Finding[];
}
