// Errors raised by caffe2-int8. Every refusal is a Caffe2Error whose message names, where they
// are known, the file, the net, the op index and type, and the blob concerned.

export interface ErrorContext {
  file?: string;
  net?: string;
  opIndex?: number;
  opType?: string;
  engine?: string;
  blob?: string;
}

/** How Caffe2 itself would have failed at this point. */
export type FailureKind =
  | 'enforce' // CAFFE_ENFORCE / CAFFE_THROW: a recoverable exception in Caffe2
  | 'fatal' // CHECK_* / TORCH_CHECK_*: Caffe2 aborts the process; we throw instead
  | 'needs_feature' // OPERATOR_NEEDS_FEATURE: Caffe2 cannot create the operator
  | 'unsupported' // valid for Caffe2, not implemented by caffe2-int8
  | 'invalid'; // malformed input that Caffe2 would not check (undefined behaviour upstream)

function describe(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.file !== undefined) parts.push(`file ${ctx.file}`);
  if (ctx.net !== undefined) parts.push(`net "${ctx.net}"`);
  if (ctx.opIndex !== undefined || ctx.opType !== undefined) {
    const engine = ctx.engine ? ` engine ${ctx.engine}` : '';
    parts.push(`op ${ctx.opIndex ?? '?'} (${ctx.opType ?? '?'}${engine})`);
  }
  if (ctx.blob !== undefined) parts.push(`blob "${ctx.blob}"`);
  return parts.join(', ');
}

export class Caffe2Error extends Error {
  readonly reason: string;
  readonly context: ErrorContext;
  readonly kind: FailureKind;

  constructor(reason: string, context: ErrorContext = {}, kind: FailureKind = 'enforce') {
    const where = describe(context);
    const note = kind === 'fatal' ? ' [a fatal CHECK in Caffe2, which aborts the process there]' : '';
    super(where ? `${where}: ${reason}${note}` : `${reason}${note}`);
    this.name = 'Caffe2Error';
    this.reason = reason;
    this.context = context;
    this.kind = kind;
  }

  /** The same error with more context; fields already known are kept. */
  withContext(extra: ErrorContext): Caffe2Error {
    const merged: ErrorContext = { ...extra, ...stripUndefined(this.context) };
    const e = new Caffe2Error(this.reason, merged, this.kind);
    e.stack = this.stack;
    if (this.cause !== undefined) e.cause = this.cause;
    return e;
  }
}

function stripUndefined(ctx: ErrorContext): ErrorContext {
  return Object.fromEntries(Object.entries(ctx).filter(([, v]) => v !== undefined)) as ErrorContext;
}

/** CAFFE_ENFORCE: throws a Caffe2Error unless cond holds. */
export function enforce(cond: unknown, reason: string | (() => string), context: ErrorContext = {}): asserts cond {
  if (!cond) throw new Caffe2Error(typeof reason === 'string' ? reason : reason(), context, 'enforce');
}

/** CHECK_*: Caffe2 would abort; we throw an error saying so. */
export function check(cond: unknown, reason: string | (() => string), context: ErrorContext = {}): asserts cond {
  if (!cond) throw new Caffe2Error(typeof reason === 'string' ? reason : reason(), context, 'fatal');
}

/**
 * Wraps anything thrown into a Caffe2Error carrying the given context. Anything that is not
 * already a Caffe2Error (a RangeError from an allocation, an engine error) is kept as `cause`:
 * such an error is a missing check, and the fuzz tests look for it there.
 */
export function asCaffe2Error(e: unknown, context: ErrorContext): Caffe2Error {
  if (e instanceof Caffe2Error) return e.withContext(context);
  const msg = e instanceof Error ? e.message : String(e);
  const err = new Caffe2Error(msg, context, 'invalid');
  err.cause = e;
  if (e instanceof Error && e.stack) err.stack = e.stack;
  return err;
}
