// `caffe2-int8 inspect NET [--init INIT]`.
import { describeNet, formatNetReport } from '../inspect.js';
import { parseArgs } from 'node:util';
import { readNetFile } from '../node/index.js';
import { parsingUsage, UsageError } from './usage.js';

export const INSPECT_HELP = `usage: caffe2-int8 inspect NET [--init INIT] [--json]

Prints NET's ops in order (type, engine, inputs -> outputs, arguments), the output scale and
zero point of each Int8 op and, given the init net, the weight and bias quantization
parameters and the requantization scale of each conv / FC; the external inputs and outputs;
and the op types this runtime cannot run yet.

options:
  --init FILE   init net, to read weight and bias parameters
  --json        print the report as JSON
  --debug       print a stack trace on errors
`;

export function inspectCommand(argv: string[]): number {
  const { values, positionals } = parsingUsage(() =>
    parseArgs({ args: argv, allowPositionals: true, options: { init: { type: 'string' }, json: { type: 'boolean' }, debug: { type: 'boolean' } } }),
  );
  if (positionals.length !== 1) throw new UsageError('inspect takes one NET file (try inspect --help)');
  const net = readNetFile(positionals[0]!);
  const init = values.init ? readNetFile(values.init) : undefined;
  const report = describeNet(net, init);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 1)}\n` : `${formatNetReport(report)}\n`);
  return 0;
}
