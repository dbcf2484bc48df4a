// Nets and operators as Caffe2 creates and runs them (caffe2/core/net.cc, net_simple.cc,
// operator.cc): creation checks the net's sources and sinks, verifies each op against its
// schema, resolves its engine, requires its inputs to exist and creates its outputs; running
// executes the ops in order. Every net type ("simple", "dag", "async_scheduling", ...) runs
// sequentially here, which gives the same results.
import { ArgumentHelper } from './arguments.js';
import { asCaffe2Error, Caffe2Error, type ErrorContext } from './errors.js';
import { OpIO, type OperatorInstance, type OperatorSpec, type RunOptions } from './operator.js';
import type { NetDef, OperatorDef } from './proto/types.js';
import { resolveOp } from './registry.js';
import type { BlobValue } from './tensor.js';

/** The blob store a net reads and writes (implemented by Workspace). */
export interface BlobStore {
  hasBlob(name: string): boolean;
  getBlob(name: string): BlobValue;
  /** Creates the blob empty if it does not exist. */
  createBlob(name: string): void;
  setBlob(name: string, value: BlobValue): void;
  /** Throws unless these blobs can all be stored (the workspace's memory limit); stores nothing. */
  checkCommit?(entries: ReadonlyArray<readonly [string, BlobValue]>): void;
  readonly options: RunOptions;
}

function opContext(def: OperatorDef, index: number, netName: string | undefined): ErrorContext {
  return { net: netName, opIndex: index, opType: def.type ?? '', engine: def.engine || undefined };
}

function verifySchema(def: OperatorDef, spec: OperatorSpec): void {
  const s = spec.schema;
  const inputs = def.input ?? [];
  const outputs = def.output ?? [];
  const range = (lo: number, hi: number) => (lo === hi ? `${lo}` : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`);
  if (inputs.length < s.minInputs || inputs.length > s.maxInputs) {
    throw new Caffe2Error(`Operator def did not pass schema checking: takes ${range(s.minInputs, s.maxInputs)} inputs, got ${inputs.length}`);
  }
  if (outputs.length < s.minOutputs || outputs.length > s.maxOutputs) {
    throw new Caffe2Error(`Operator def did not pass schema checking: takes ${range(s.minOutputs, s.maxOutputs)} outputs, got ${outputs.length}`);
  }
  const inplace = s.allowInplace ?? [];
  if (inplace === 'any') return;
  inputs.forEach((inName, i) => {
    outputs.forEach((outName, o) => {
      if (inName !== outName) return;
      if (inplace.some(([a, b]) => a === i && b === o)) return;
      throw new Caffe2Error(`Operator def did not pass schema checking: input ${i} and output ${o} are both "${inName}", and ${def.type} does not allow in-place use`, {
        blob: inName,
      });
    });
  });
}

/** One created operator: its definition, position, implementation and instance state. */
export class CreatedOperator {
  private constructor(
    readonly def: OperatorDef,
    readonly index: number,
    readonly netName: string | undefined,
    readonly spec: OperatorSpec,
    private readonly instance: OperatorInstance,
  ) {}

  /** CreateOperator: schema, engine, arguments, then input blobs must exist and outputs are created. */
  static create(def: OperatorDef, index: number, netName: string | undefined, store: BlobStore): CreatedOperator {
    const ctx = opContext(def, index, netName);
    try {
      if (!def.type) throw new Caffe2Error('operator has no type');
      const deviceType = def.device_option?.device_type ?? 0;
      if (deviceType !== 0) {
        throw new Caffe2Error(`Cannot create operator of type '${def.type}' on device type ${deviceType}: caffe2-int8 runs CPU ops only`, {}, 'unsupported');
      }
      const spec = resolveOp(def.type, def.engine);
      verifySchema(def, spec);
      const args = new ArgumentHelper(def.arg);
      for (const name of def.input ?? []) {
        if (!store.hasBlob(name)) throw new Caffe2Error(`op ${def.type}: Encountered a non-existing input blob: ${name}`, { blob: name });
      }
      const instance = spec.create({ def, args, options: store.options });
      for (const name of def.output ?? []) store.createBlob(name);
      return new CreatedOperator(def, index, netName, spec, instance);
    } catch (e) {
      throw asCaffe2Error(e, ctx);
    }
  }

  /** Runs the op; its outputs reach the store only if it succeeds, so a failure loses nothing. */
  run(store: BlobStore): void {
    const def = this.def;
    const io = new OpIO(
      def,
      (name) => {
        if (!store.hasBlob(name)) throw new Caffe2Error(`input blob ${name} no longer exists in the workspace`, { blob: name });
        return store.getBlob(name);
      },
      store.options,
    );
    const written: Array<readonly [string, BlobValue]> = [];
    try {
      this.instance.run(io);
      for (const [i, v] of io.writtenOutputs()) written.push([io.outputName(i), v]);
      store.checkCommit?.(written);
    } catch (e) {
      throw asCaffe2Error(e, opContext(def, this.index, this.netName));
    }
    for (const [name, v] of written) store.setBlob(name, v);
  }
}

/** Caffe2's source/sink checks on a net definition (NetBase constructor). */
function checkNetSources(def: NetDef): void {
  const name = def.name || undefined;
  const external = def.external_input ?? [];
  const known = new Set(external);
  (def.op ?? []).forEach((op, index) => {
    if (external.length > 0) {
      for (const input of op.input ?? []) {
        if (!known.has(input)) {
          throw new Caffe2Error(`op ${op.type}: Source for input ${input} is unknown for net ${def.name ?? ''}, operator ${op.type}`, {
            ...opContext(op, index, name),
            blob: input,
          });
        }
      }
    }
    for (const output of op.output ?? []) known.add(output);
  });
  for (const out of def.external_output ?? []) {
    if (!known.has(out)) {
      throw new Caffe2Error(`Some of the blobs are declared as output but never produced by the net ${def.name ?? ''}, the first one is ${out}`, {
        net: name,
        blob: out,
      });
    }
  }
}

/** A created net: its operators keep whatever they built on their first run (see README). */
export class CreatedNet {
  readonly name: string;
  readonly def: NetDef;
  private readonly ops: CreatedOperator[];

  constructor(def: NetDef, store: BlobStore) {
    this.def = def;
    this.name = def.name ?? '';
    checkNetSources(def);
    const netOption = def.device_option;
    this.ops = (def.op ?? []).map((op, i) => {
      // The net's device option is copied to ops that have none.
      const withDevice = op.device_option === undefined && netOption !== undefined ? { ...op, device_option: netOption } : op;
      return CreatedOperator.create(withDevice, i, def.name || undefined, store);
    });
  }

  run(store: BlobStore): void {
    for (const op of this.ops) op.run(store);
  }

  get operators(): readonly CreatedOperator[] {
    return this.ops;
  }
}
