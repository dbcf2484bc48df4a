// `trace`: every intermediate blob of a net, in op order, for users who diff against their own
// framework. The library yields the values; the CLI writes them as .npy (+ qparams .json).
import type { Caffe2Error } from '../errors.js';
import type { NetDef } from '../proto/types.js';
import type { BlobValue } from '../tensor.js';
import type { WorkspaceOptions } from '../workspace.js';
import { prepareRun, stepNet, type Feeds } from './step.js';

export type TraceEvent =
  /** A blob fed by the caller, before any op ran. */
  | { kind: 'input'; blob: string; value: BlobValue }
  /** One op after it ran: its outputs in order, or the error that stopped the trace. */
  | {
      kind: 'op';
      index: number;
      type: string;
      engine: string;
      inputs: string[];
      outputs: Array<{ blob: string; value: BlobValue }>;
      error?: Caffe2Error;
    };

/**
 * Runs the init net, feeds the inputs and yields the fed blobs, then each op of `net` with the
 * blobs it wrote. The trace stops after the first op that fails (that event carries the error).
 */
export function* traceNet(net: NetDef, init: NetDef | undefined, feeds: Feeds | undefined, options: WorkspaceOptions = {}): Generator<TraceEvent> {
  const { ws, fed } = prepareRun(net, init, feeds, options);
  for (const blob of fed) yield { kind: 'input', blob, value: ws.getBlob(blob) };
  for (const step of stepNet(ws, net)) {
    const outputs = (step.def.output ?? []).map((blob, i) => ({ blob, value: step.error ? undefined : step.outputs[i] }));
    yield {
      kind: 'op',
      index: step.index,
      type: step.def.type ?? '',
      engine: step.def.engine ?? '',
      inputs: step.def.input ?? [],
      outputs: step.error ? [] : outputs,
      ...(step.error ? { error: step.error } : {}),
    };
    if (step.error) return;
  }
}
