// The library in a web page: the package entry point bundled for the browser with Vite, served on
// loopback, loaded by Debian's headless Chromium. The page parses real golden .pb files, runs them
// in a Workspace and must produce the golden bytes exactly, as Node does. A second page is
// cross-origin isolated, so the wasm kernels run on shared memory with Web Worker threads (the
// bundle carries the worker entry as its own file), and must give the same bytes.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN, PROJECT_ROOT } from './golden-cases.js';
import { CHROMIUM_ARGS, ensureChromium, freshUserDataDir } from './setup-chromium.js';

const OUT = join(PROJECT_ROOT, 'test-output', 'browser');
// Cases whose ops span the default engine's families; each output compared byte for byte.
const CASES = ['conv_dw3x3_s2_p1_c16', 'net_mobilenetv2_block', 'net_shufflenet_unit', 'dnnlowp-conv3x3-groupwise-g4'];
// On threads, a conv big enough to be split comes last; it is rerun (for at most 5 s) until a
// worker has taken chunks, as a busy machine may schedule the worker too late for one run.
const THREAD_CASES = [...CASES, 'net_seed_pipeline_320x320'];
const THREADS = 2;

const pageHtml = (cases: string[], threads: number): string => `<!doctype html><meta charset="utf-8"><title>caffe2-int8 in a browser</title>
<script type="module">
import { Workspace, parseNetDef, parseNpy, initThreads, poolStats, wasmKernelsStatus } from './caffe2-int8.js';
const get = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
await initThreads(${threads});
const workerChunks = () => poolStats().chunksByWorker.reduce((a, b) => a + b, 0);
const results = {};
// The kernels compile synchronously on first use (as in the first run), or runs would fall back to the TypeScript kernels.
const wasmAtFirstRun = wasmKernelsStatus();
const deadline = performance.now() + 5000;
for (const name of ${JSON.stringify(cases)}) {
  const meta = await (await fetch('golden/' + name + '/case.json')).json();
  const ws = new Workspace({ threads: ${threads} });
  ws.RunNetOnce(parseNetDef(await get('golden/' + name + '/init_net.pb')));
  for (const f of meta.feeds) ws.FeedBlob(f.name, parseNpy(await get('golden/' + name + '/' + f.file)));
  const net = parseNetDef(await get('golden/' + name + '/predict_net.pb'));
  do ws.RunNetOnce(net); while (${threads} > 1 && name === ${JSON.stringify(cases.at(-1))} && workerChunks() === 0 && performance.now() < deadline);
  results[name] = [];
  for (const out of meta.outputs) {
    const expected = parseNpy(await get('golden/' + name + '/' + out.file));
    const got = out.blob_type === 'Int8TensorCPU' ? ws.FetchInt8Blob(out.name).data : ws.FetchBlob(out.name).data;
    const a = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
    const e = new Uint8Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength);
    let diff = a.length === e.length ? 0 : Math.max(a.length, e.length);
    for (let i = 0; i < Math.min(a.length, e.length); i++) if (a[i] !== e[i]) diff++;
    results[name].push({ blob: out.name, bytes: a.length, diff });
  }
}
window.results = { isolated: globalThis.crossOriginIsolated, wasmAtFirstRun, pool: poolStats(), cases: results };
</script>`;

interface PageResults {
  isolated: boolean;
  wasmAtFirstRun: string;
  pool: { workers: number; readyWorkers: number; chunksByWorker: number[] };
  cases: Record<string, Array<{ blob: string; bytes: number; diff: number }>>;
}

let server: Server;
let origin: string;
let context: BrowserContext | undefined;
let profileDir: string | undefined;

beforeAll(async () => {
  const executablePath = ensureChromium();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      lib: { entry: join(PROJECT_ROOT, 'src', 'index.ts'), formats: ['es'], fileName: () => 'caffe2-int8.js' },
      outDir: OUT,
      emptyOutDir: false,
      minify: false,
    },
  });
  writeFileSync(join(OUT, 'index.html'), pageHtml(CASES, 1));
  writeFileSync(join(OUT, 'threads.html'), pageHtml(THREAD_CASES, THREADS));
  // Loopback server: the page and bundle from OUT, golden files from ../shared/golden.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.startsWith('/golden/') ? join(GOLDEN, path.slice('/golden/'.length)) : join(OUT, path);
    try {
      const body = readFileSync(file);
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      // Everything but index.html is served cross-origin isolated: threads.html gets
      // SharedArrayBuffer, and what it loads (the bundle, the worker) may be embedded.
      const isolation = path === '/index.html' ? {} : { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
      res.writeHead(200, { 'content-type': type, ...isolation }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profileDir = freshUserDataDir();
  context = await chromium.launchPersistentContext(profileDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
}, 16 * 60 * 1000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise((resolve) => server?.close(resolve));
});

async function runPage(path: string): Promise<PageResults> {
  const page = await context!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/${path}`);
  await page.waitForFunction(() => (globalThis as unknown as { results?: unknown }).results !== undefined, undefined, { timeout: 60_000 }).catch(() => undefined);
  expect(errors).toEqual([]);
  return (await page.evaluate(() => (globalThis as unknown as { results: unknown }).results)) as PageResults;
}

function expectGoldenBytes(results: PageResults, cases: string[]): void {
  expect(results.wasmAtFirstRun, 'the wasm kernels are compiled on the first run').toBe('ready');
  expect(Object.keys(results.cases).sort()).toEqual([...cases].sort());
  for (const name of cases) {
    expect(results.cases[name]!.length, name).toBeGreaterThan(0);
    for (const r of results.cases[name]!) {
      expect(r.bytes, `${name} ${r.blob}`).toBeGreaterThan(0);
      expect(r.diff, `${name} ${r.blob}: bytes differing from the golden output`).toBe(0);
    }
  }
}

describe('caffe2-int8 in headless Chromium', () => {
  it('runs golden nets from .pb bytes and gives the golden bytes', async () => {
    const results = await runPage('index.html');
    expect(results.isolated).toBe(false);
    expect(results.pool.workers).toBe(0);
    expectGoldenBytes(results, CASES);
  });

  it('gives the same bytes on Web Worker threads in a cross-origin isolated page', async () => {
    const results = await runPage('threads.html');
    expect(results.isolated).toBe(true);
    expect(results.pool.readyWorkers).toBe(THREADS - 1);
    expect(results.pool.chunksByWorker.reduce((a, b) => a + b, 0), 'chunks run by the worker').toBeGreaterThan(0);
    expectGoldenBytes(results, THREAD_CASES);
  });
});
