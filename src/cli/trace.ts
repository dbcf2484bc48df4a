// `caffe2-int8 trace`: every intermediate blob as .npy (+ qparams .json for Int8 blobs), in op order.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { traceNet } from '../compare/trace.js';
import { Int8Tensor, readNetFile, readNpyFile, Tensor, writeNpyFile, type BlobValue } from '../node/index.js';
import { parseThreads, parsingUsage, UsageError } from './usage.js';

export const TRACE_HELP = `usage: caffe2-int8 trace --init INIT --net NET [--input NAME=FILE.npy]... --out-dir DIR

Runs INIT once, feeds the inputs and runs NET op by op, writing every blob each op
produces, in op order, as DIR/NNN-BLOB.npy (NNN = the op's index): an Int8 blob as its
uint8 data (int32 for a bias) plus DIR/NNN-BLOB.json = {"scale": ..., "zero_point": ...};
any other tensor in its own dtype. Fed inputs are written as DIR/input-BLOB.npy.
DIR/trace.json lists every op with its inputs, outputs and files. If an op fails the
trace stops there (the files so far are kept) and the command exits with status 1.

options:
  --init FILE           init net (parameters)
  --net FILE            predict net
  --input NAME=FILE     feed blob NAME from a .npy file (repeatable)
  --out-dir DIR         where to write the blobs
  --isa vnni|avx2       CPU emulated by the DNNLOWP engine (default vnni)
  --threads N           threads to split large ops over (default: the cores, at most 4)
  --debug               print a stack trace on errors
`;

/** Blob names in file names: separators become '_'. */
function fileNameFor(blob: string): string {
  return blob.replace(/[/\\:*?"<>|]/g, '_');
}

interface Written {
  blob: string;
  file?: string;
  dtype?: string;
  dims?: number[];
  scale?: number;
  zero_point?: number;
  skipped?: string;
}

function writeBlob(dir: string, base: string, blob: string, v: BlobValue): Written {
  const path = join(dir, `${base}.npy`);
  if (v instanceof Int8Tensor) {
    const t = v.data instanceof Uint8Array ? new Tensor('uint8', v.dims, v.data) : new Tensor('int32', v.dims, v.data);
    writeNpyFile(path, t);
    writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ scale: v.scale, zero_point: v.zeroPoint })}\n`);
    return { blob, file: `${base}.npy`, dtype: t.dtype, dims: [...v.dims], scale: v.scale, zero_point: v.zeroPoint };
  }
  if (v instanceof Tensor) {
    if (v.dtype === 'string') return { blob, skipped: 'a string tensor has no .npy form' };
    writeNpyFile(path, v);
    return { blob, file: `${base}.npy`, dtype: v.dtype, dims: [...v.dims] };
  }
  return { blob, skipped: v === undefined ? 'empty blob' : 'not a tensor (an opaque object such as packed weights)' };
}

export function traceCommand(argv: string[]): number {
  const { values } = parsingUsage(() =>
    parseArgs({
      args: argv,
      options: {
        init: { type: 'string' },
        net: { type: 'string' },
        input: { type: 'string', multiple: true },
        'out-dir': { type: 'string' },
        isa: { type: 'string' },
        threads: { type: 'string' },
        debug: { type: 'boolean' },
      },
    }),
  );
  if (!values.net) throw new UsageError('trace needs --net NET');
  const dir = values['out-dir'];
  if (!dir) throw new UsageError('trace needs --out-dir DIR');
  const isa = values.isa ?? 'vnni';
  if (isa !== 'vnni' && isa !== 'avx2') throw new UsageError(`--isa takes vnni or avx2, got "${isa}"`);
  const threads = parseThreads(values.threads);
  const feeds = new Map<string, Tensor>();
  for (const spec of values.input ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input takes NAME=FILE.npy, got "${spec}"`);
    feeds.set(spec.slice(0, eq), readNpyFile(spec.slice(eq + 1)));
  }
  const net = readNetFile(values.net);
  const init = values.init ? readNetFile(values.init) : undefined;
  mkdirSync(dir, { recursive: true });
  const width = Math.max(3, String(Math.max(0, (net.op?.length ?? 1) - 1)).length);
  const manifest: { net: string; inputs: Written[]; ops: Array<Record<string, unknown>>; error?: string } = { net: net.name ?? '', inputs: [], ops: [] };
  let failure: Error | undefined;
  for (const ev of traceNet(net, init, feeds, { isa, threads })) {
    if (ev.kind === 'input') {
      const w = writeBlob(dir, `input-${fileNameFor(ev.blob)}`, ev.blob, ev.value);
      manifest.inputs.push(w);
      continue;
    }
    const prefix = String(ev.index).padStart(width, '0');
    const outputs = ev.outputs.map((o) => writeBlob(dir, `${prefix}-${fileNameFor(o.blob)}`, o.blob, o.value));
    manifest.ops.push({ index: ev.index, type: ev.type, engine: ev.engine, inputs: ev.inputs, outputs, ...(ev.error ? { error: ev.error.message } : {}) });
    for (const o of outputs) {
      process.stdout.write(
        o.file ? `#${ev.index} ${ev.type}: ${o.blob} ${o.dtype} [${o.dims!.join(',')}]${o.scale !== undefined ? ` scale=${o.scale} zero_point=${o.zero_point}` : ''} -> ${join(dir, o.file)}\n` : `#${ev.index} ${ev.type}: ${o.blob} not written: ${o.skipped}\n`,
      );
    }
    if (ev.error) {
      failure = ev.error;
      manifest.error = ev.error.message;
    }
  }
  writeFileSync(join(dir, 'trace.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  if (failure) throw failure;
  return 0;
}
