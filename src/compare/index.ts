// Per-layer comparison of an int8 net against float (compare) and intermediate dumps (trace).
// Browser-safe: no Node-only module.
export { compareNet, type CompareOptions, type FloatModel } from './compare.js';
export { formatCompareReport } from './text.js';
export { renderCompareHtml } from './html.js';
export { traceNet, type TraceEvent } from './trace.js';
export { floatShadow, dequantize, biasAsFloat, type BiasReading, type ShadowOutcome } from './shadow.js';
export { errorStats, saturationOf, collapseOf, type ErrorStats, type Saturation, type Collapse, type Histogram, type Range } from './stats.js';
export type * from './types.js';
