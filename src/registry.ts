// The op registry: the only way ops are found, keyed by (type, engine) as in Caffe2's
// `<type>_ENGINE_<engine>` registries.
import { Caffe2Error } from './errors.js';
import type { OperatorSpec } from './operator.js';

const specs = new Map<string, OperatorSpec>();

function key(type: string, engine: string): string {
  return `${type}\u0000${engine}`;
}

export function registerOp(spec: OperatorSpec): void {
  const k = key(spec.type, spec.engine);
  if (specs.has(k)) throw new Error(`op ${spec.type} (engine "${spec.engine}") is registered twice`);
  specs.set(k, spec);
}

export function registerOps(list: readonly OperatorSpec[]): void {
  for (const s of list) registerOp(s);
}

export function findOp(type: string, engine = ''): OperatorSpec | undefined {
  return specs.get(key(type, engine));
}

export function registeredOps(): OperatorSpec[] {
  return [...specs.values()].sort((a, b) => a.type.localeCompare(b.type) || a.engine.localeCompare(b.engine));
}

/**
 * Engines whose arithmetic differs from the default one. Caffe2 falls back to the default
 * implementation when an op names an engine it was not built with; for these engines that
 * fallback would give different bytes from what the net's author ran, so we refuse instead.
 */
const ARITHMETIC_ENGINES = new Set(['DNNLOWP', 'DNNLOWP_ACC16', 'DNNLOWP_16', 'DNNLOWP_ROWWISE', 'DNNLOWP_ROWWISE_16']);

/** Engines the quantized server ops register under, per Caffe2 (caffe2/quantization/server). */
function isArithmeticEngineFor(type: string, engine: string): boolean {
  return ARITHMETIC_ENGINES.has(engine) && (type.startsWith('Int8') || type.endsWith('DNNLowP'));
}

/**
 * Chooses the implementation for an op as Caffe2 does: each engine in the comma-separated
 * list is tried in order, then the default. An engine with different arithmetic that we do not
 * implement is refused by name rather than silently replaced.
 */
export function resolveOp(type: string, engineField: string | undefined): OperatorSpec {
  const engines = (engineField ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const engine of engines) {
    const spec = findOp(type, engine);
    if (spec) return spec;
    if (isArithmeticEngineFor(type, engine)) {
      throw new Caffe2Error(
        `engine ${engine} for ${type} is not implemented by caffe2-int8; running it with the default engine's arithmetic would give different results`,
        {},
        'unsupported',
      );
    }
  }
  const spec = findOp(type, '');
  if (!spec) {
    const other = registeredOps().filter((s) => s.type === type).map((s) => s.engine);
    const hint = other.length ? ` (implemented only for engine ${other.join(', ')})` : '';
    throw new Caffe2Error(`Cannot create operator of type '${type}' on the device 'CPU': caffe2-int8 does not implement it${hint}`, {}, 'unsupported');
  }
  return spec;
}

/** True when resolveOp would find an implementation. */
export function canRun(type: string, engineField: string | undefined): boolean {
  try {
    resolveOp(type, engineField);
    return true;
  } catch {
    return false;
  }
}
