// One runtime process (one runtime, one thread count), driven by the parent over IPC, one request
// at a time: open a workload (create the net or session, first run, warm-up by time), time a batch
// of runs, write the output bytes and close, report the process's figures and exit. It answers a
// run request only once its threads are quiet (timing.ts settle: ONNX Runtime's pool threads spin
// some 50 ms after a run), and between requests it does nothing: no timers, the main thread waits
// on the IPC channel, our kernel workers sleep in Atomics.wait, ONNX Runtime's pool threads have
// blocked. So it stays idle while the parent times another process.
import { readdirSync, writeFileSync } from 'node:fs';
import { openRuntime, ortVersions, type OpenSession, type Runtime, type RuntimeId } from './runtimes.js';
import { processCpuMs, settle, timeBatch, warmUp, type Batch, type WarmUp } from './timing.js';
import type { WorkloadFiles } from './workloads.js';

export type ChildRequest =
  | { type: 'open'; workload: WorkloadFiles; warmupSeconds: number }
  | { type: 'batch'; runs: number }
  | { type: 'cpu' }
  | { type: 'close'; outputFile: string }
  | { type: 'exit' };

export interface ExitFigures {
  /** CPU time of this process, all threads, ms. */
  cpuMs: number;
  /** Peak resident set size of this process, MiB (getrusage ru_maxrss). */
  maxRssMiB: number;
  /** OS threads of the process at the end (main, V8 helpers, runtime workers). */
  osThreads: number;
}

export type ChildReply =
  | { type: 'ready'; versions?: Record<string, string> }
  | ({ type: 'opened'; createMs: number } & WarmUp)
  | ({ type: 'batch' } & Batch)
  | { type: 'cpu'; cpuMs: number }
  | { type: 'closed' }
  | ({ type: 'exited' } & ExitFigures)
  /** The request failed (the runtime or the workload threw); the process goes on. */
  | { type: 'failed'; reason: string };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const [runtimeId, threadsText] = process.argv.slice(2) as [RuntimeId, string];
let session: OpenSession | undefined;

function send(reply: ChildReply, then: () => void = () => {}): void {
  process.send!(reply, then);
}

async function handle(req: ChildRequest, runtime: Runtime): Promise<ChildReply> {
  switch (req.type) {
    case 'open': {
      process.stderr.write(`  ${runtimeId} x${threadsText} ${req.workload.name}\n`);
      session = await runtime.open(req.workload);
      const warm = await warmUp(() => session!.run(), req.warmupSeconds);
      // Quiet before the next process opens and warms up.
      await settle();
      return { type: 'opened', createMs: session.createMs, ...warm };
    }
    case 'batch':
      return { type: 'batch', ...(await timeBatch(() => session!.run(), req.runs)) };
    case 'cpu':
      return { type: 'cpu', cpuMs: processCpuMs() };
    case 'close': {
      const s = session!;
      session = undefined;
      writeFileSync(req.outputFile, s.output());
      await s.close();
      return { type: 'closed' };
    }
    case 'exit': {
      const usage = process.resourceUsage();
      return { type: 'exited', cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMiB: usage.maxRSS / 1024, osThreads: readdirSync('/proc/self/task').length };
    }
  }
}

// The parent gone, nothing is left to do.
process.on('disconnect', () => process.exit(1));
// The parent sends a request only after 'ready', and the next only after the reply.
let runtime: Runtime | undefined;
process.on('message', (req: ChildRequest) => {
  handle(req, runtime!).then(
    // Exit explicitly: runtime worker threads would keep the process alive.
    (reply) => send(reply, reply.type === 'exited' ? () => process.exit(0) : undefined),
    (e: unknown) => send({ type: 'failed', reason: message(e) }),
  );
});
try {
  const versions = await ortVersions(runtimeId);
  runtime = await openRuntime(runtimeId, Number(threadsText));
  send({ type: 'ready', ...(versions ? { versions } : {}) });
} catch (e) {
  send({ type: 'failed', reason: message(e) }, () => process.exit(0));
}
