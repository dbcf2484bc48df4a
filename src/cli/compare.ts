// `caffe2-int8 compare`: per layer, where int8 departs from float and where the engines disagree.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { compareNet, formatCompareReport, renderCompareHtml } from '../compare/index.js';
import { readNetFile, readNpyFile, type Tensor } from '../node/index.js';
import { parseThreads, parsingUsage, UsageError } from './usage.js';

export const COMPARE_HELP = `usage: caffe2-int8 compare --init INIT --net NET [--input NAME=FILE.npy]...
                          [--engines default,DNNLOWP]
                          [--float-init F_INIT --float-net F_NET [--map INT8BLOB=FLOATBLOB]...]
                          [--json OUT.json] [--html OUT.html]

Runs NET op by op and, beside every Int8 op, a float shadow of the same op computed from
the dequantized inputs, weights and bias (the bias read as Caffe2 reads it, at input scale x
weight scale). Prints one row per op: output scale / zero point, requantization scale,
error against the shadow (max / RMS in output LSBs, cosine), saturation (share of outputs
at 0 and at 255, share clipped), drift against a float run of the whole net, and how many
outputs each other engine changes. Then findings in plain words: ignored bias scales,
signed weights stored without the +128 shift, requantization scales >= 1, output ranges
that clip the float values, collapsed layers, ignored Int8Dequantize arguments and engines
the net probably did not mean.

options:
  --init FILE            init net (parameters)
  --net FILE             predict net (int8)
  --input NAME=FILE      feed blob NAME from a .npy file (repeatable)
  --engines LIST         engines to compare, comma-separated (default: default);
                         e.g. default,DNNLOWP. An engine caffe2-int8 cannot run is noted
                         as "engine not available"
  --float-init FILE      the float model's init net
  --float-net FILE       the float model's predict net, run on the same inputs; its blobs
                         are compared with the int8 net's blobs of the same name
  --map INT8=FLOAT       compare int8-net blob INT8 with float-net blob FLOAT (repeatable);
                         NCHW float blobs are transposed to match NHWC int8 blobs
  --json FILE            write the full report as JSON
  --html FILE            write a self-contained HTML report with charts per layer
  --isa vnni|avx2        CPU emulated by the DNNLOWP engine (default vnni)
  --threads N            threads to split large ops over (default: the cores, at most 4)
  --debug                print a stack trace on errors
`;

function pairs(list: string[] | undefined, what: string): Array<[string, string]> {
  return (list ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`${what} takes NAME=VALUE, got "${spec}"`);
    return [spec.slice(0, eq), spec.slice(eq + 1)];
  });
}

function writeOut(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function compareCommand(argv: string[]): number {
  const { values } = parsingUsage(() =>
    parseArgs({
      args: argv,
      options: {
        init: { type: 'string' },
        net: { type: 'string' },
        input: { type: 'string', multiple: true },
        engines: { type: 'string' },
        'float-init': { type: 'string' },
        'float-net': { type: 'string' },
        map: { type: 'string', multiple: true },
        json: { type: 'string' },
        html: { type: 'string' },
        isa: { type: 'string' },
        threads: { type: 'string' },
        debug: { type: 'boolean' },
      },
    }),
  );
  if (!values.net) throw new UsageError('compare needs --net NET');
  if (values['float-init'] && !values['float-net']) throw new UsageError('--float-init needs --float-net');
  if (values.map?.length && !values['float-net']) throw new UsageError('--map needs --float-net');
  const isa = values.isa ?? 'vnni';
  if (isa !== 'vnni' && isa !== 'avx2') throw new UsageError(`--isa takes vnni or avx2, got "${isa}"`);
  const threads = parseThreads(values.threads);
  const engines = (values.engines ?? 'default').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (engines.length === 0) throw new UsageError('--engines needs at least one engine');

  const inputs = new Map<string, Tensor>();
  for (const [name, file] of pairs(values.input, '--input')) inputs.set(name, readNpyFile(file));
  const report = compareNet({
    net: readNetFile(values.net),
    init: values.init ? readNetFile(values.init) : undefined,
    inputs,
    engines,
    workspace: { isa, threads },
    floatModel: values['float-net']
      ? {
          net: readNetFile(values['float-net']),
          init: values['float-init'] ? readNetFile(values['float-init']) : undefined,
          map: Object.fromEntries(pairs(values.map, '--map')),
        }
      : undefined,
  });
  process.stdout.write(`${formatCompareReport(report, Math.max(80, process.stdout.columns ?? 100))}\n`);
  if (values.json) {
    writeOut(values.json, `${JSON.stringify(report, null, 1)}\n`);
    process.stdout.write(`\nJSON report: ${values.json}\n`);
  }
  if (values.html) {
    writeOut(values.html, renderCompareHtml(report));
    process.stdout.write(`${values.json ? '' : '\n'}HTML report: ${values.html}\n`);
  }
  return 0;
}
