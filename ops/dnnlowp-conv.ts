import type { OperatorSpec } from '../src/operator.js';

// Not implemented yet.
export const dnnlowpConvOps: OperatorSpec[] = [];
