// Command-line options of `npm run bench`.

export interface BenchOptions {
  json: boolean;
  threads: number[];
  only: string | undefined;
  warmupSeconds: number;
  minRuns: number;
  seconds: number;
  includeJs: boolean;
  quick: boolean;
  busyRetries: number;
}

export const USAGE = `usage: npm run bench -- [options]
  --json                 print the results as JSON on stdout (progress goes to stderr)
  --threads 1,2          thread counts to run every runtime with (default 1,2)
  --only SUBSTRING       only the workloads whose name contains SUBSTRING
  --warmup-seconds S     time-based warm-up per workload before timing (default 1)
  --min-runs N           timed runs per workload, at least (default 5)
  --seconds S            timed seconds per workload, at least (default 2)
  --quick                short smoke run: warm-up 0.2 s, 3 runs, 0.3 s
  --include-js           also run our JS reference kernels on the whole nets (slow)
  --busy-retries N       run a runtime process again, up to N times, when other processes used
                         more than 10% of a core meanwhile (default 2)
  --help                 this text`;

function positiveNumber(flag: string, text: string | undefined, allowZero = false): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new Error(`${flag} needs a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(text)}`);
  return v;
}

/** Parses argv (without node and script). Throws on an unknown flag or a bad value. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const o: BenchOptions = { json: false, threads: [1, 2], only: undefined, warmupSeconds: 1, minRuns: 5, seconds: 2, includeJs: false, quick: false, busyRetries: 2 };
  const explicit = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    explicit.add(flag);
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--json':
        o.json = true;
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--include-js':
        o.includeJs = true;
        break;
      case '--threads': {
        const text = value();
        o.threads = (text ?? '').split(',').map((t) => positiveNumber('--threads', t));
        if (o.threads.some((t) => !Number.isInteger(t))) throw new Error(`--threads needs integers, got ${String(text)}`);
        break;
      }
      case '--only':
        o.only = value();
        if (!o.only) throw new Error('--only needs a substring');
        break;
      case '--warmup-seconds':
        o.warmupSeconds = positiveNumber(flag, value(), true);
        break;
      case '--min-runs':
        o.minRuns = positiveNumber(flag, value());
        if (!Number.isInteger(o.minRuns)) throw new Error('--min-runs needs an integer');
        break;
      case '--busy-retries':
        o.busyRetries = positiveNumber(flag, value(), true);
        if (!Number.isInteger(o.busyRetries)) throw new Error('--busy-retries needs an integer');
        break;
      case '--seconds':
        o.seconds = positiveNumber(flag, value(), true);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (o.quick) {
    // --quick sets shorter defaults; flags given explicitly still win.
    if (!explicit.has('--warmup-seconds')) o.warmupSeconds = 0.2;
    if (!explicit.has('--min-runs')) o.minRuns = 3;
    if (!explicit.has('--seconds')) o.seconds = 0.3;
  }
  return o;
}
