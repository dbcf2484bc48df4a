// Command-line options of `npm run bench`.

export interface BenchOptions {
  json: boolean;
  threads: number[];
  only: string | undefined;
  warmupSeconds: number;
  /** Timed seconds per runtime process and workload: a process takes part in as many rounds as that takes (roundsFor). */
  seconds: number;
  /** Rounds per workload for every process (--rounds, --quick), instead of from `seconds`. */
  rounds: number | undefined;
  /** Target length of one batch, ms: the process's run time rounded to whole runs, at least one. */
  batchMs: number;
  includeJs: boolean;
  quick: boolean;
  busyRetries: number;
  /** One runtime process after another instead of all at once, timed in turn. */
  sequential: boolean;
}

/** Fewest rounds --seconds can give (--rounds can ask for fewer). */
export const MIN_ROUNDS = 10;

/**
 * The rounds a process takes part in, its batches lasting `batchMs` each: --rounds, or enough to
 * time it for --seconds, at least MIN_ROUNDS and at most what batches of --batch-ms would need.
 */
export function roundsFor(o: BenchOptions, batchMs: number): number {
  if (o.rounds !== undefined) return o.rounds;
  const most = Math.max(MIN_ROUNDS, Math.ceil((o.seconds * 1000) / o.batchMs));
  return Math.min(most, Math.max(MIN_ROUNDS, Math.ceil((o.seconds * 1000) / batchMs)));
}

export const USAGE = `usage: npm run bench -- [options]
  --json                 print the results as JSON on stdout (progress goes to stderr)
  --threads 1,2          thread counts to run every runtime with (default 1,2)
  --only SUBSTRING       only the workloads whose name contains SUBSTRING
  --warmup-seconds S     time-based warm-up per workload and process before timing (default 1)
  --seconds S            timed seconds per workload and process (default 2): each process takes
                         part in S / its batch length rounds, at least ${MIN_ROUNDS}
  --rounds N             rounds per workload for every process instead; in each round every
                         runtime process times one batch in turn
  --batch-ms MS          length of a batch: whole runs, at least one (default 100)
  --quick                short smoke run: warm-up 0.2 s, 3 rounds of 50 ms batches
  --include-js           also run our JS reference kernels on the whole nets (slow)
  --busy-retries N       time a workload's rounds again, up to N times, when other processes
                         used more than 10% of a core meanwhile (default 2)
  --sequential           the old mode: one runtime process after another, each timing its
                         rounds alone (ratios then pair rounds run at different times)
  --help                 this text`;

function positiveNumber(flag: string, text: string | undefined, allowZero = false): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new Error(`${flag} needs a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(text)}`);
  return v;
}

/** Parses argv (without node and script). Throws on an unknown flag or a bad value. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const o: BenchOptions = { json: false, threads: [1, 2], only: undefined, warmupSeconds: 1, seconds: 2, rounds: undefined, batchMs: 100, includeJs: false, quick: false, busyRetries: 2, sequential: false };
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
      case '--sequential':
        o.sequential = true;
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
      case '--rounds':
        o.rounds = positiveNumber(flag, value());
        if (!Number.isInteger(o.rounds)) throw new Error('--rounds needs an integer');
        break;
      case '--batch-ms':
        o.batchMs = positiveNumber(flag, value());
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
  if (explicit.has('--rounds') && explicit.has('--seconds')) throw new Error('--rounds and --seconds both set the rounds: give one');
  if (o.quick) {
    // --quick sets shorter defaults; flags given explicitly still win.
    if (!explicit.has('--warmup-seconds')) o.warmupSeconds = 0.2;
    if (!explicit.has('--batch-ms')) o.batchMs = 50;
    if (!explicit.has('--rounds') && !explicit.has('--seconds')) o.rounds = 3;
  }
  return o;
}
