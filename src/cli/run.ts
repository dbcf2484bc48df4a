// `caffe2-int8 run`: init net once, feeds from .npy, predict net, each fetched blob to DIR/NAME.npy
// (uint8 data plus DIR/NAME.json {scale, zero_point} for an Int8 blob).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { asCaffe2Error, Caffe2Error } from '../errors.js';
import { Int8Tensor, readNetFile, readNpyFile, Tensor, Workspace, writeNpyFile } from '../node/index.js';
import { parseThreads, parsingUsage, UsageError } from './usage.js';

export const RUN_HELP = `usage: caffe2-int8 run --init INIT --net NET [--input NAME=FILE.npy]... [--output NAME]... --out-dir DIR

Runs INIT once, feeds each input blob from its .npy file, runs NET, and writes each
fetched blob to DIR/NAME.npy: uint8 data for an Int8 blob (int32 for an int32 Int8 blob),
with DIR/NAME.json = {"scale": ..., "zero_point": ...}; the blob's own dtype otherwise.
INIT and NET may be binary (.pb) or text (.pbtxt) NetDefs.

options:
  --init FILE           init net (parameters); optional
  --net FILE            predict net
  --input NAME=FILE     feed blob NAME from a .npy file (repeatable)
  --output NAME         blob to fetch (repeatable); default: the net's external_output
  --out-dir DIR         where to write the outputs
  --isa vnni|avx2       CPU emulated by the DNNLOWP engine: vnni (default, exact) or avx2
                        (FBGEMM's int16 pair saturation on CPUs without AVX512-VNNI)
  --max-tensor-bytes N  refuse any tensor over N bytes (default 1073741824, 1 GiB)
  --max-op-work N       refuse any op run over N multiply-adds (default 1e10)
  --threads N           threads to split large ops over (default: the cores, at most 4;
                        1: no worker threads). The outputs are the same for every N
  --kernels wasm|js     WebAssembly SIMD kernels (default) or the TypeScript reference
                        kernels; the outputs are the same
  --debug               print a stack trace on errors
`;

/** Blob names written in file names: '/' and other separators become '_'. */
function fileNameFor(blob: string): string {
  return blob.replace(/[/\\:*?"<>|]/g, '_');
}

export function runCommand(argv: string[]): number {
  const { values } = parsingUsage(() =>
    parseArgs({
      args: argv,
      options: {
        init: { type: 'string' },
        net: { type: 'string' },
        input: { type: 'string', multiple: true },
        output: { type: 'string', multiple: true },
        'out-dir': { type: 'string' },
        isa: { type: 'string' },
        'max-tensor-bytes': { type: 'string' },
        'max-op-work': { type: 'string' },
        threads: { type: 'string' },
        kernels: { type: 'string' },
        debug: { type: 'boolean' },
      },
    }),
  );
  if (!values.net) throw new UsageError('run needs --net NET');
  if (!values['out-dir']) throw new UsageError('run needs --out-dir DIR');
  const feeds = (values.input ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input takes NAME=FILE.npy, got "${spec}"`);
    return { name: spec.slice(0, eq), file: spec.slice(eq + 1) };
  });

  const isa = values.isa ?? 'vnni';
  if (isa !== 'vnni' && isa !== 'avx2') throw new UsageError(`--isa takes vnni or avx2, got "${isa}"`);
  const threads = parseThreads(values.threads);
  const kernels = values.kernels ?? 'wasm';
  if (kernels !== 'wasm' && kernels !== 'js') throw new UsageError(`--kernels takes wasm or js, got "${kernels}"`);
  const limit = (flag: 'max-tensor-bytes' | 'max-op-work'): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !(n >= 0)) throw new UsageError(`--${flag} takes a number >= 0, got "${text}"`);
    return n;
  };
  const ws = new Workspace({ isa, maxTensorBytes: limit('max-tensor-bytes'), maxOpWork: limit('max-op-work'), threads, kernels });
  const init = values.init ? readNetFile(values.init) : undefined;
  const net = readNetFile(values.net);
  // Errors while running a net or feeding a blob also name the file they came from.
  const inFile = (file: string, step: () => void): void => {
    try {
      step();
    } catch (e) {
      throw asCaffe2Error(e, { file });
    }
  };
  if (init) inFile(values.init!, () => ws.RunNetOnce(init));
  for (const { name, file } of feeds) inFile(file, () => ws.FeedBlob(name, readNpyFile(file, ws.options.maxTensorBytes)));
  const missing = (net.external_input ?? []).filter((b) => !ws.HasBlob(b));
  if (missing.length) {
    throw new Caffe2Error(`external input ${missing.map((b) => `"${b}"`).join(', ')} was neither made by the init net nor fed (use --input NAME=FILE.npy)`, {
      net: net.name || undefined,
      blob: missing[0],
    });
  }
  inFile(values.net, () => ws.RunNetOnce(net));

  const outputs = values.output?.length ? values.output : net.external_output ?? [];
  if (outputs.length === 0) throw new UsageError('the net declares no external_output; name the blobs to fetch with --output');
  const dir = values['out-dir'];
  mkdirSync(dir, { recursive: true });
  for (const name of outputs) {
    if (!ws.HasBlob(name)) throw new Caffe2Error(`Can't find blob: ${name}`, { net: net.name || undefined, blob: name });
    const v = ws.getBlob(name);
    const base = join(dir, fileNameFor(name));
    if (v instanceof Int8Tensor) {
      const data = v.data;
      const t = data instanceof Uint8Array ? new Tensor('uint8', v.dims, data) : new Tensor('int32', v.dims, data);
      writeNpyFile(`${base}.npy`, t);
      writeFileSync(`${base}.json`, `${JSON.stringify({ scale: v.scale, zero_point: v.zeroPoint })}\n`);
      process.stdout.write(`${name}: Int8 ${t.dtype} [${v.dims.join(',')}] scale=${v.scale} zero_point=${v.zeroPoint} -> ${base}.npy\n`);
    } else if (v instanceof Tensor) {
      if (v.dtype === 'string') throw new Caffe2Error('string tensors cannot be written as .npy', { blob: name });
      writeNpyFile(`${base}.npy`, v);
      process.stdout.write(`${name}: ${v.dtype} [${v.dims.join(',')}] -> ${base}.npy\n`);
    } else {
      throw new Caffe2Error(`blob holds ${v === undefined ? 'nothing (it was never written)' : 'an object that is not a tensor'}`, {
        net: net.name || undefined,
        blob: name,
      });
    }
  }
  return 0;
}
