// Running a net one op at a time, as RunNetOnce does (each op created fresh, then run), so a
// caller can look at every op's inputs and outputs in between. Used by compare and trace.
import { asCaffe2Error, Caffe2Error } from '../errors.js';
import { dropBlobData, holdBlobData } from '../kernels/wasm-outputs.js';
import { CreatedOperator } from '../net.js';
import type { NetDef, OperatorDef } from '../proto/types.js';
import { Tensor, type BlobValue } from '../tensor.js';
import { Workspace, type WorkspaceOptions } from '../workspace.js';
import '../register-ops.js';

export type Feeds = Record<string, Tensor> | ReadonlyMap<string, Tensor>;

export interface PreparedRun {
  ws: Workspace;
  /** Blob names the init net left in the workspace. */
  params: Set<string>;
  /** Blobs fed by the caller, in feed order. */
  fed: string[];
}

function feedEntries(feeds: Feeds | undefined): Array<[string, Tensor]> {
  if (!feeds) return [];
  return feeds instanceof Map ? [...feeds.entries()] : Object.entries(feeds as Record<string, Tensor>);
}

/**
 * A workspace with the init net run once and the inputs fed. Throws, naming the blobs, when the
 * predict net's external inputs are neither made by the init net nor fed.
 */
export function prepareRun(net: NetDef, init: NetDef | undefined, feeds: Feeds | undefined, options: WorkspaceOptions = {}): PreparedRun {
  const ws = new Workspace(options);
  if (init) ws.RunNetOnce(init);
  const params = new Set(ws.Blobs());
  const fed: string[] = [];
  for (const [name, t] of feedEntries(feeds)) {
    ws.FeedBlob(name, t);
    fed.push(name);
  }
  const missing = (net.external_input ?? []).filter((b) => !ws.HasBlob(b));
  if (missing.length) {
    throw new Caffe2Error(`external input ${missing.map((b) => `"${b}"`).join(', ')} was neither made by the init net nor fed`, {
      net: net.name || undefined,
      blob: missing[0],
    });
  }
  return { ws, params, fed };
}

export interface Step {
  index: number;
  /** The op as run (with the net's device option applied). */
  def: OperatorDef;
  /** The input blobs as they were before the op ran (undefined for a missing blob). */
  inputs: BlobValue[];
  /** The output blobs after the op ran (unchanged ones if it failed). */
  outputs: BlobValue[];
  error?: Caffe2Error;
}

/**
 * Yields each op of `net` after running it in `ws`. A failing op does not stop the walk: its
 * error is in the step, and the caller may put stand-in outputs in the workspace before resuming.
 */
export function* stepNet(ws: Workspace, net: NetDef): Generator<Step> {
  const netName = net.name || undefined;
  const ops = net.op ?? [];
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    const def = op.device_option === undefined && net.device_option !== undefined ? { ...op, device_option: net.device_option } : op;
    const inputs = (def.input ?? []).map((n) => (ws.HasBlob(n) ? ws.getBlob(n) : undefined));
    // The step's values stay valid until the caller moves on, even those an in-place op replaced
    // (their data may live in the wasm kernels' memory, which is reused once no one holds it).
    for (const v of inputs) holdBlobData(v);
    let error: Caffe2Error | undefined;
    try {
      CreatedOperator.create(def, index, netName, ws).run(ws);
    } catch (e) {
      error = asCaffe2Error(e, { net: netName, opIndex: index, opType: def.type ?? '' });
    }
    const outputs = (def.output ?? []).map((n) => (ws.HasBlob(n) ? ws.getBlob(n) : undefined));
    for (const v of outputs) holdBlobData(v);
    try {
      yield { index, def, inputs, outputs, error };
    } finally {
      for (const v of [...inputs, ...outputs]) dropBlobData(v);
    }
  }
}
