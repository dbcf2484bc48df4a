// Command-line argument errors, reported as one `error:` line like every other refusal, and the
// options several commands share.
export class UsageError extends Error {}

/**
 * --threads N, for the commands that run nets: threads an op may be split over (1 to 64).
 * Undefined when not given: the Node entry's default, every core up to 4.
 */
export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 64) throw new UsageError(`--threads takes an integer from 1 to 64, got "${text}"`);
  return Number(text);
}

/** Runs node:util parseArgs, turning its errors into UsageErrors. */
export function parsingUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
