#!/usr/bin/env node
// The caffe2-int8 command line: `run` a net on .npy inputs, `inspect` a net.
import { Caffe2Error } from '../errors.js';
import { compareCommand, COMPARE_HELP } from './compare.js';
import { inspectCommand, INSPECT_HELP } from './inspect.js';
import { runCommand, RUN_HELP } from './run.js';
import { traceCommand, TRACE_HELP } from './trace.js';
import { UsageError } from './usage.js';

const HELP = `caffe2-int8 - run Caffe2 int8 nets exactly as Caffe2 does

usage: caffe2-int8 <command> [options]

  caffe2-int8 run --init INIT --net NET [--input NAME=FILE.npy]... [--output NAME]... --out-dir DIR
  caffe2-int8 inspect NET [--init INIT]
  caffe2-int8 compare --init INIT --net NET [--input NAME=FILE.npy]... [--engines default,DNNLOWP] [--json OUT] [--html OUT]
  caffe2-int8 trace --init INIT --net NET [--input NAME=FILE.npy]... --out-dir DIR
  caffe2-int8 <command> --help

commands:
  run       run the init net once, feed inputs, run the predict net, write outputs as .npy
  inspect   list a net's ops, quantization parameters and unsupported op types
  compare   per layer, where int8 departs from float and where the engines disagree
  trace     write every intermediate blob as .npy, in op order

common options:
  --debug   print a stack trace on errors
`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const debug = rest.includes('--debug');
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return command === undefined ? 1 : 0;
      case 'run':
        if (rest.includes('--help') || rest.includes('-h')) return help(RUN_HELP);
        return runCommand(rest);
      case 'inspect':
        if (rest.includes('--help') || rest.includes('-h')) return help(INSPECT_HELP);
        return inspectCommand(rest);
      case 'compare':
        if (rest.includes('--help') || rest.includes('-h')) return help(COMPARE_HELP);
        return compareCommand(rest);
      case 'trace':
        if (rest.includes('--help') || rest.includes('-h')) return help(TRACE_HELP);
        return traceCommand(rest);
      default:
        throw new UsageError(`unknown command "${command}" (try --help)`);
    }
  } catch (e) {
    if (debug && e instanceof Error) process.stderr.write(`${e.stack ?? e.message}\n`);
    else if (!debug) process.stderr.write(`error: ${oneLine(e)}\n`);
    return 1;
  }
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Caffe2Error || e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ');
}

process.exitCode = main(process.argv.slice(2));
