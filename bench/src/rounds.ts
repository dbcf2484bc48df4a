// Times one workload on a group of live runtime processes, in rounds. Each process first opens the
// workload and warms it up, one process at a time. Then, round after round, each process in turn
// times one batch (whole runs lasting about --batch-ms, at least one) while the others wait on
// their IPC channel; the process that goes first moves on by one every round. So a round times
// every process within a second or two, and noise that hits a whole round hits all of them. A
// process takes part in the first rounds only, as many as time it for --seconds (at least
// MIN_ROUNDS), so one with long runs does not stretch every round to the end. With a group of one
// (sequential mode) the rounds are simply that process's batches.
import type { ChildReply } from './child.js';
import { BUSY_THRESHOLD, type MachineMonitor } from './machine.js';
import { roundsFor, type BenchOptions } from './options.js';
import type { RuntimeProcess } from './processes.js';
import type { WorkloadResult } from './results.js';
import { median, type Batch } from './timing.js';
import { outputFile, type WorkloadFiles } from './workloads.js';

/** A runtime process and its results so far. */
export interface Timed {
  proc: RuntimeProcess;
  /** Workloads this process reports as skipped, with the reason. */
  skip: Record<string, string>;
  results: WorkloadResult[];
}

type Opened = Extract<ChildReply, { type: 'opened' }>;

interface Member {
  timed: Timed;
  opened: Opened;
  runsPerBatch: number;
  /** It takes part in the first `rounds` rounds (roundsFor). */
  rounds: number;
  /** Its batches this time, or why it stopped. */
  batches: Batch[] | string;
}

function reason(reply: ChildReply): string {
  return reply.type === 'failed' ? reply.reason : `unexpected reply ${reply.type}`;
}

/** CPU time of every member's process so far, ms (0 for a dead one). */
async function cpuMs(members: readonly Member[]): Promise<number[]> {
  const out: number[] = [];
  for (const m of members) {
    const r = await m.timed.proc.request({ type: 'cpu' });
    out.push(r.type === 'cpu' ? r.cpuMs : 0);
  }
  return out;
}

async function timeRounds(members: Member[]): Promise<void> {
  for (const m of members) m.batches = [];
  const rounds = Math.max(...members.map((m) => m.rounds));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < members.length; i++) {
      const m = members[(r + i) % members.length]!;
      if (typeof m.batches === 'string' || r >= m.rounds) continue;
      const reply = await m.timed.proc.request({ type: 'batch', runs: m.runsPerBatch });
      if (reply.type === 'batch') m.batches.push(reply);
      else m.batches = reason(reply);
    }
  }
}

function okResult(w: WorkloadFiles, m: Member, batches: Batch[], interleaved: boolean): WorkloadResult {
  const all = batches.flatMap((b) => b.times);
  let cpu = 0;
  let wall = 0;
  let idleCpuMs = 0;
  let idleWallMs = 0;
  batches.forEach((b, k) => {
    cpu += b.cpuMs1 - b.cpuMs0;
    wall += b.t1 - b.t0;
    if (k > 0) {
      idleCpuMs += b.cpuMs0 - batches[k - 1]!.quietCpuMs;
      idleWallMs += b.t0 - batches[k - 1]!.quietT;
    }
  });
  return {
    workload: w.name,
    status: 'ok',
    settleMs: median(batches.map((b) => b.quietT - b.t1)),
    createMs: m.opened.createMs,
    firstRunMs: m.opened.firstRunMs,
    warmupRuns: m.opened.warmupRuns,
    runsPerBatch: m.runsPerBatch,
    runs: all.length,
    roundMs: batches.map((b) => median(b.times)),
    medianMs: median(all),
    minMs: all.reduce((a, b) => Math.min(a, b)),
    maxMs: all.reduce((a, b) => Math.max(a, b)),
    cpuPerWall: cpu / wall,
    ...(interleaved ? { idleCpuMs, idleWallMs } : {}),
  };
}

/**
 * Opens, warms up and times workload `w` on every process of the group that does not skip it,
 * timing the rounds again (up to --busy-retries times) while other processes took more than 10%
 * of a core meanwhile; then writes each process's output bytes to `dir` and closes the workload.
 * `label` names these rounds in the machine check.
 */
export async function timeWorkload(group: readonly Timed[], w: WorkloadFiles, o: BenchOptions, monitor: MachineMonitor, label: string, dir: string): Promise<void> {
  const members: Member[] = [];
  if (group.length > 1) process.stderr.write(`${w.name}: opening and warming up in ${group.length} processes\n`);
  for (const timed of group) {
    const skipped = timed.skip[w.name];
    if (skipped) {
      timed.results.push({ workload: w.name, status: 'skipped', reason: skipped });
      continue;
    }
    const reply = await timed.proc.request({ type: 'open', workload: w, warmupSeconds: o.warmupSeconds });
    if (reply.type !== 'opened') {
      timed.results.push({ workload: w.name, status: 'error', reason: reason(reply) });
      continue;
    }
    const runsPerBatch = Math.max(1, Math.round(o.batchMs / reply.runMs));
    members.push({ timed, opened: reply, runsPerBatch, rounds: roundsFor(o, runsPerBatch * reply.runMs), batches: [] });
  }
  if (members.length === 0) return;

  for (let attempt = 0; ; attempt++) {
    const rounds = members.map((m) => m.rounds);
    process.stderr.write(`  ${label}: ${Math.max(...rounds)} rounds${members.length > 1 ? ` of ${members.length} processes (each in ${Math.min(...rounds)} to ${Math.max(...rounds)})` : ''}\n`);
    const cpu0 = await cpuMs(members);
    const watch = monitor.watch();
    await timeRounds(members);
    const cpu1 = await cpuMs(members);
    const others = monitor.othersSince(watch, cpu1.reduce((sum, c, i) => sum + Math.max(0, c - cpu0[i]!), 0));
    const keep = others.cores <= BUSY_THRESHOLD || attempt >= o.busyRetries;
    monitor.record(label, others, keep);
    if (keep) break;
    process.stderr.write(`  other processes used ${(others.cores * 100).toFixed(0)}% of a core meanwhile: timing ${label} again\n`);
  }

  for (const m of members) {
    const { timed } = m;
    if (typeof m.batches === 'string') {
      timed.results.push({ workload: w.name, status: 'error', reason: m.batches });
      continue;
    }
    const closed = await timed.proc.request({ type: 'close', outputFile: outputFile(dir, timed.proc.runtime, timed.proc.threads, w.name) });
    timed.results.push(closed.type === 'closed' ? okResult(w, m, m.batches, members.length > 1) : { workload: w.name, status: 'error', reason: reason(closed) });
  }
}
