// The compare HTML report opened in real headless Chromium (Debian's, driven by playwright-core):
// the charts are drawn, the bad layer stands out, the page needs no network, and a screenshot is
// kept in test-output/ (git-ignored).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelHelper } from '../src/builder.js';
import { compareNet, renderCompareHtml, type CompareReport } from '../src/compare/index.js';
import { readNetFile, readNpyFile } from '../src/node/files.js';
import { Tensor } from '../src/tensor.js';
import { PROJECT_ROOT } from './golden-cases.js';
import { CHROMIUM_ARGS, ensureChromium, freshUserDataDir } from './setup-chromium.js';

const OUT = join(PROJECT_ROOT, 'test-output');

/** Deterministic values in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/**
 * Five layers: a sound 3x3 conv, a 1x1 ConvRelu whose bias blob has scale 1.0 with non-zero
 * values (the bad layer), a max pool, an FC and the dequantize.
 */
function layersNet(): { model: ModelHelper; x: Tensor } {
  const rnd = lcg(7);
  const m = new ModelHelper('layers');
  const c1 = new Uint8Array(8 * 3 * 3 * 4).map(() => 128 + Math.round(rnd() * 60));
  m.param_init_net.Int8GivenTensorFill([], 'w1', { shape: [8, 3, 3, 4], values: c1, Y_scale: 0.01, Y_zero_point: 128 });
  m.param_init_net.Int8GivenIntTensorFill([], 'b1', { shape: [8], values: new Int32Array(8), Y_scale: Math.fround(0.02 * 0.01), Y_zero_point: 0 });
  const c2 = new Uint8Array(8 * 8).map(() => 128 + Math.round(rnd() * 80));
  m.param_init_net.Int8GivenTensorFill([], 'w2', { shape: [8, 1, 1, 8], values: c2, Y_scale: 0.01, Y_zero_point: 128 });
  m.param_init_net.Int8GivenIntTensorFill([], 'b2', { shape: [8], values: Int32Array.from({ length: 8 }, (_, k) => (k - 4) * 90), Y_scale: 1, Y_zero_point: 0 });
  const fc = new Uint8Array(4 * 32).map(() => 128 + Math.round(rnd() * 50));
  m.param_init_net.Int8GivenTensorFill([], 'w3', { shape: [4, 32], values: fc, Y_scale: 0.02, Y_zero_point: 128 });
  m.param_init_net.Int8GivenIntTensorFill([], 'b3', { shape: [4], values: new Int32Array(4), Y_scale: Math.fround(0.1 * 0.02), Y_zero_point: 0 });
  m.net.Int8Quantize('x', 'x_q', { Y_scale: 0.02, Y_zero_point: 128 });
  m.net.Int8Conv(['x_q', 'w1', 'b1'], 'c1', { kernel: 3, pad: 1, order: 'NHWC', Y_scale: 0.08, Y_zero_point: 128 });
  m.net.Int8ConvRelu(['c1', 'w2', 'b2'], 'c2', { kernel: 1, order: 'NHWC', Y_scale: 0.1, Y_zero_point: 0 });
  m.net.Int8MaxPool('c2', 'p', { kernel: 2, stride: 2, order: 'NHWC', Y_scale: 0.1, Y_zero_point: 0 });
  m.net.Int8FC(['p', 'w3', 'b3'], 'f', { Y_scale: 0.5, Y_zero_point: 128 });
  m.net.Int8Dequantize('f', 'y');
  const x = new Tensor('float32', [1, 4, 4, 4], Float32Array.from({ length: 64 }, () => rnd() * 2));
  return { model: m, x };
}

let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];
let profileDir: string | undefined;

beforeAll(async () => {
  const executablePath = ensureChromium();
  mkdirSync(OUT, { recursive: true });
  profileDir = freshUserDataDir();
  context = await chromium.launchPersistentContext(profileDir, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
}, 16 * 60 * 1000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function open(report: CompareReport, name: string): Promise<string> {
  const file = join(OUT, `${name}.html`);
  writeFileSync(file, renderCompareHtml(report));
  requests.length = 0;
  pageErrors.length = 0;
  await page.goto(`file://${file}`);
  await page.waitForSelector('html[data-ready="1"]');
  return file;
}

/** Rendered size of every bar in one chart. */
async function bars(chart: string, op?: number): Promise<Array<{ w: number; h: number }>> {
  const sel = `svg[data-chart="${chart}"]${op !== undefined ? `[data-op="${op}"]` : ''} rect.bar`;
  return page.$$eval(sel, (els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ w: r.width, h: r.height })));
}

describe('compare HTML report in Chromium', () => {
  it('a five-layer net: charts drawn, the bad layer marked, filter works, no network', async () => {
    const { model, x } = layersNet();
    const report = compareNet({ init: model.param_init_net.Proto(), net: model.net.Proto(), inputs: { x }, engines: ['default', 'DNNLOWP'] });
    // The bad layer: #2 Int8ConvRelu with its bias blob at scale 1.0.
    expect(report.findings.find((f) => f.code === 'bias-scale')).toMatchObject({ severity: 'error', opIndex: 2 });
    await open(report, 'compare-layers');

    // Overview charts: one group of bars per Int8 op (5), each bar really laid out.
    for (const chart of ['error', 'saturation', 'engines']) {
      const b = await bars(chart);
      expect(b.length, chart).toBeGreaterThanOrEqual(5);
      for (const r of b) {
        expect(r.w, chart).toBeGreaterThan(0);
        expect(r.h, chart).toBeGreaterThan(0);
      }
    }
    // Error chart: max and RMS for the 5 ops with a shadow (all but Int8Dequantize), drift for all 6.
    const errorSeries = await page.$$eval('svg[data-chart="error"] rect.bar', (els) => els.map((e) => e.getAttribute('data-series')));
    expect(errorSeries.filter((s) => s === 'max vs shadow')).toHaveLength(5);
    expect(errorSeries.filter((s) => s === 'RMS drift (float run)')).toHaveLength(6);
    // One histogram per op with an output (6 ops), each with shadow and int8 bars and the representable range.
    expect(await page.locator('svg[data-chart="histogram"]').count()).toBe(6);
    const convHist = await bars('histogram', 1);
    expect(convHist.length).toBeGreaterThan(4);
    expect(await page.locator('svg[data-chart="histogram"][data-op="1"] rect.representable').count()).toBe(1);
    expect(await page.locator('svg[data-chart="histogram"][data-op="1"] rect.bar.shadow').count()).toBeGreaterThan(2);

    // The bad layer is highlighted in the overview and as a card.
    expect(await page.locator('svg[data-chart="error"] rect.badband.error').count()).toBe(1);
    expect(await page.locator('#op-2.layer.bad.error').count()).toBe(1);
    expect(await page.locator('#op-1.layer.bad').count()).toBe(0);

    // The "only bad layers" switch hides the sound ones (the inline script ran).
    await page.click('#only-bad');
    expect(await page.locator('#op-1').isVisible()).toBe(false);
    expect(await page.locator('#op-2').isVisible()).toBe(true);
    await page.click('#only-bad');
    expect(await page.locator('#op-1').isVisible()).toBe(true);

    expect(pageErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.screenshot({ path: join(OUT, 'compare-layers.png'), fullPage: true });
  }, 60_000);

  it('the seed net: conv clipping and the DNNLOWP difference are drawn', async () => {
    const seed = join(PROJECT_ROOT, 'examples', 'seed');
    const report = compareNet({
      init: readNetFile(join(seed, 'init_net.pb')),
      net: readNetFile(join(seed, 'predict_net.pb')),
      inputs: { x1: readNpyFile(join(seed, 'x1.npy')) },
      engines: ['default', 'DNNLOWP'],
    });
    const file = await open(report, 'compare-seed');
    expect(readFileSync(file, 'utf8')).not.toMatch(/https?:/);
    // The conv's histogram shows float values beyond code 255: shadow bars right of the representable band.
    const outside = await page.$$eval('svg[data-chart="histogram"][data-op="2"]', ([svg]) => {
      const band = svg!.querySelector('rect.representable')!.getBoundingClientRect();
      return [...svg!.querySelectorAll('rect.bar.shadow')].filter((b) => b.getBoundingClientRect().left >= band.right - 0.5).length;
    });
    expect(outside).toBeGreaterThan(0);
    const engineBars = await page.$$eval('svg[data-chart="engines"] rect.bar', (els) => els.map((e) => e.getAttribute('data-op')));
    expect(engineBars).toContain('2');
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: join(OUT, 'compare-seed.png'), fullPage: true });
  }, 60_000);
});
