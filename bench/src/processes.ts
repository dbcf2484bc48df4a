// The parent's side of a runtime process (child.ts): started with its runtime and thread count,
// then asked one request at a time over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildReply, ChildRequest } from './child.js';
import type { RuntimeId } from './runtimes.js';

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

export class RuntimeProcess {
  /** Set once the process can take no more requests: its runtime failed to open, or it died. */
  dead: string | undefined;
  versions: Record<string, string> | undefined;
  private waiting: ((reply: ChildReply) => void) | undefined;

  private constructor(
    readonly runtime: RuntimeId,
    readonly threads: number,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m) => this.take(m as ChildReply));
    child.on('exit', (code, signal) => {
      this.dead ??= `process exited with ${signal ?? `code ${code}`}`;
      this.take({ type: 'failed', reason: this.dead });
    });
  }

  get name(): string {
    return `${this.runtime} x${this.threads}`;
  }

  /** Forks the process and resolves once its runtime is open (or failed to open: see `dead`). */
  static async start(runtime: RuntimeId, threads: number): Promise<RuntimeProcess> {
    // The child's stdout goes to our stderr, so that --json keeps stdout clean.
    const child = fork(childScript, [runtime, String(threads)], { stdio: ['ignore', 2, 2, 'ipc'], execArgv: [] });
    const p = new RuntimeProcess(runtime, threads, child);
    const first = await new Promise<ChildReply>((resolve) => (p.waiting = resolve));
    if (first.type === 'ready') p.versions = first.versions;
    else p.dead ??= first.type === 'failed' ? first.reason : `unexpected ${first.type}`;
    return p;
  }

  private take(reply: ChildReply): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(reply);
  }

  /** Sends one request and resolves with its reply; a 'failed' reply once the process is dead. */
  request<T extends ChildRequest>(req: T): Promise<ChildReply> {
    if (this.dead) return Promise.resolve({ type: 'failed', reason: this.dead });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.child.send(req);
    });
  }
}
