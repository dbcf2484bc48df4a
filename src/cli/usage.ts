// Command-line argument errors, reported as one `error:` line like every other refusal.
export class UsageError extends Error {}

/** Runs node:util parseArgs, turning its errors into UsageErrors. */
export function parsingUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
