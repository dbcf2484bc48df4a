// `caffe2-int8 compare` and `caffe2-int8 trace` on the seed thread's own net, run as a user runs
// them (the built dist/ CLI in a real process).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareReport } from '../src/compare/index.js';
import { ModelHelper } from '../src/builder.js';
import { writeNetFile, writeNpyFile } from '../src/node/files.js';
import { parseNpy } from '../src/npy.js';
import '../src/register-ops.js';
import { Tensor } from '../src/tensor.js';
import { cli, SEED } from './helpers.js';

const SEED_ARGS = ['--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`];
const tmp = mkdtempSync(join(tmpdir(), 'caffe2-int8-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const f32 = Math.fround;
// The seed's quantization parameters (shared/seed/README.md).
const X_SCALE = f32(0.03499995917);
// PyTorch's symmetric qint8 observer: max|w| / ((127 - (-128)) / 2) = 0.01 / 127.5 = 7.843137e-5
const W_SCALE = f32(f32(0.01) / 127.5);
const Y_SCALE = f32(0.0027075342);
const Y_ZP = 135;

describe('caffe2-int8 compare on the seed net', () => {
  let out: ReturnType<typeof cli>;
  let report: CompareReport;
  beforeAll(() => {
    out = cli('compare', ...SEED_ARGS, '--engines', 'default,DNNLOWP', '--json', join(tmp, 'seed.json'), '--html', join(tmp, 'seed.html'));
    report = JSON.parse(readFileSync(join(tmp, 'seed.json'), 'utf8')) as CompareReport;
  }, 60_000);

  it('--help', () => {
    for (const c of ['compare', 'trace']) {
      const r = cli(c, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: caffe2-int8 ${c} `));
    }
    expect(cli('--help').stdout).toMatch(/compare\s+per layer/);
  });

  it('prints the table: one row per op, the conv with its qparams and requantization scale', () => {
    expect(out.status, out.stderr).toBe(0);
    // requant = f32(f32(x_scale * w_scale) / y_scale) = 2.7450949e-6 / 0.0027075342 = 0.0010138 (4 digits: 0.001014)
    expect(out.stdout).toMatch(/^2\s+Int8Conv\s+-\s+conv_1_q\s+0\.0027075 \/ 135\s+0\.001014\s/m);
    expect(out.stdout).toMatch(/^3\s+Int8Dequantize\s+-\s+res\s+float32/m);
    expect(out.stdout).toContain('DNNLOWP Δ');
    expect(out.stdout).toMatch(/findings \(\d+\):/);
  });

  it('JSON: error and saturation of the conv against its float shadow', () => {
    const conv = report.ops[2]!;
    expect(conv.type).toBe('Int8Conv');
    expect(conv.outputQparams).toEqual({ scale: Y_SCALE, zeroPoint: Y_ZP });
    expect(conv.blobs.weight).toMatchObject({ blob: 'conv_w', zeroPoint: 0, dims: [32, 5, 5, 3] });
    expect(conv.blobs.weight!.scale).toBe(W_SCALE);
    expect(conv.blobs.inputs[0]).toMatchObject({ blob: 'x_int8', scale: X_SCALE, zeroPoint: 124 });
    // requant = f32(f32(x_scale * w_scale) / y_scale), about 0.035 * 7.843e-5 / 0.0027075 = 0.0010139
    expect(conv.requantScale).toBe(f32(f32(X_SCALE * conv.blobs.weight!.scale!) / Y_SCALE));
    expect(conv.blobs.bias).toMatchObject({ blob: 'conv_b', scale: 1, zeroPoint: 0 });
    // Codes 0..255 at (0.0027075342, 135) represent (0-135)*s .. (255-135)*s = -0.36552 .. 0.32490.
    expect(conv.output!.histogram.representable![1]).toBeCloseTo(120 * Y_SCALE, 7);
    expect(conv.output!.histogram.representable![0]).toBeCloseTo(-135 * Y_SCALE, 7);
    // The float conv reaches 0.36 (the thread's init_res max 0.36046): above what the output can hold.
    expect(conv.shadow!.range.max).toBeGreaterThan(120 * Y_SCALE + Y_SCALE);
    expect(conv.saturation!.at255).toBeGreaterThan(0);
    expect(conv.saturation!.clippedHigh).toBeGreaterThan(0);
    expect(conv.saturation!.clippedLow).toBe(0);
    expect(conv.saturation!.overshootHighLsb).toBeGreaterThan(10);
    // Rounding alone gives a uniform error of RMS 1/sqrt(12) = 0.289 LSB; the few clipped outputs add little.
    expect(conv.shadow!.error.rmseLsb).toBeGreaterThan(0.25);
    expect(conv.shadow!.error.rmseLsb).toBeLessThan(0.35);
    expect(conv.shadow!.error.maxAbsLsb).toBeGreaterThan(10);
    expect(conv.shadow!.error.cosine).toBeGreaterThan(0.9999);
    expect(conv.shadow!.biasAtOwnScale).toMatchObject({ identical: true });
  });

  it('JSON: DNNLOWP arithmetic on the same inputs changes some outputs by one LSB', () => {
    const e = report.ops[2]!.engines.find((x) => x.engine === 'DNNLOWP')!;
    expect(e.status).toBe('ok');
    // DNNLOWP refuses the bias blob with scale 1.0 (|1 - x_scale*w_scale| > 1e-4): compared with the scale corrected.
    expect(e.adjustedBias).toBe(true);
    expect(e.changed).toBeGreaterThan(0);
    expect(e.changedShare).toBeLessThan(0.01);
    expect(e.maxDiffLsb).toBe(1);
    expect(Object.keys(e.diffHistogram!).sort()).toEqual(['-1', '1']);
  });

  it('JSON: findings name the clipped output range, the ignored Dequantize arguments and the bias scale', () => {
    const byCode = (code: string) => report.findings.filter((f) => f.code === code);
    const clip = byCode('output-clips').find((f) => f.opIndex === 2)!;
    expect(clip.message).toContain('0.3249');
    expect(clip.fix).toMatch(/Y_scale = [\d.]+, Y_zero_point = \d+/);
    expect(byCode('dequantize-args')[0]).toMatchObject({ severity: 'warning', opIndex: 3 });
    expect(byCode('bias-scale')[0]).toMatchObject({ severity: 'info', opIndex: 2, blob: 'conv_b' });
    expect(byCode('bias-scale')[0]!.evidence).toContain('refuses this blob');
    expect(byCode('weights-half-range')[0]).toMatchObject({ opIndex: 2 });
    expect(byCode('engine-differs').some((f) => f.opIndex === 2)).toBe(true);
    for (const f of report.findings) {
      expect(f.message.length).toBeGreaterThan(20);
      expect(f.evidence.length).toBeGreaterThan(5);
      expect(f.fix.length).toBeGreaterThan(10);
    }
  });

  it('HTML: one self-contained file', () => {
    const html = readFileSync(join(tmp, 'seed.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/https?:|<link|\ssrc=|@import/);
    expect(html).toContain('data-chart="error"');
    expect(html).toContain('id="op-2"');
  });

  it('errors are one line', () => {
    const r = cli('compare', '--net', join(SEED, 'predict_net.pb'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*external input "x1"/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(cli('compare', ...SEED_ARGS, '--map', 'a=b').stderr).toMatch(/^error: --map needs --float-net/);
  });
});

describe('caffe2-int8 trace on the seed net', () => {
  it('writes every intermediate blob in op order with qparams for Int8 blobs', () => {
    const dir = join(tmp, 'trace');
    const r = cli('trace', ...SEED_ARGS, '--out-dir', dir);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['input-x1.npy', '000-x.npy', '001-x_int8.npy', '001-x_int8.json', '002-conv_1_q.npy', '002-conv_1_q.json', '003-res.npy', 'trace.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const x = parseNpy(new Uint8Array(readFileSync(join(dir, '000-x.npy'))));
    expect(x).toMatchObject({ dtype: 'float32', dims: [1, 320, 320, 3] });
    const q = parseNpy(new Uint8Array(readFileSync(join(dir, '002-conv_1_q.npy'))));
    expect(q).toMatchObject({ dtype: 'uint8', dims: [1, 159, 159, 32] });
    expect(JSON.parse(readFileSync(join(dir, '002-conv_1_q.json'), 'utf8'))).toEqual({ scale: Y_SCALE, zero_point: Y_ZP });
    expect(JSON.parse(readFileSync(join(dir, '001-x_int8.json'), 'utf8'))).toEqual({ scale: X_SCALE, zero_point: 124 });
    // res = (q - 135) * scale: Int8Dequantize uses the tensor's own qparams.
    const res = parseNpy(new Uint8Array(readFileSync(join(dir, '003-res.npy'))));
    for (const k of [0, 77, 400_000]) expect(res.data[k]).toBe(f32((Number(q.data[k]) - Y_ZP) * Y_SCALE));
    const manifest = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8'));
    expect(manifest.ops.map((o: { type: string }) => o.type)).toEqual(['NCHW2NHWC', 'Int8Quantize', 'Int8Conv', 'Int8Dequantize']);
    expect(manifest.ops[2].outputs[0]).toMatchObject({ blob: 'conv_1_q', file: '002-conv_1_q.npy', scale: Y_SCALE, zero_point: Y_ZP });
    expect(r.stdout).toContain('#2 Int8Conv: conv_1_q uint8 [1,159,159,32]');
  });

  it('stops at a failing op, keeps what it wrote and exits 1', () => {
    // Int8FC with requantization scale 0.5 * 0.5 / 0.2 = 1.25: QNNPACK refuses it.
    const m = new ModelHelper('fails');
    m.param_init_net.Int8GivenTensorFill([], 'w', { shape: [1, 2], values: Uint8Array.from([129, 127]), Y_scale: 0.5, Y_zero_point: 128 });
    m.param_init_net.Int8GivenIntTensorFill([], 'b', { shape: [1], values: new Int32Array(1), Y_scale: 0.25, Y_zero_point: 0 });
    m.net.Int8Quantize('x', 'x_q', { Y_scale: 0.5, Y_zero_point: 128 });
    m.net.Int8FC(['x_q', 'w', 'b'], 'y', { Y_scale: 0.2, Y_zero_point: 0 });
    writeNetFile(join(tmp, 'fails_init.pb'), m.param_init_net.Proto());
    writeNetFile(join(tmp, 'fails.pb'), m.net.Proto());
    writeNpyFile(join(tmp, 'x.npy'), new Tensor('float32', [1, 2], Float32Array.from([1, -1])));
    const dir = join(tmp, 'trace-fails');
    const r = cli('trace', '--init', join(tmp, 'fails_init.pb'), '--net', join(tmp, 'fails.pb'), '--input', `x=${join(tmp, 'x.npy')}`, '--out-dir', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*op 1 \(Int8FC\).*requantization scale 1\.25/);
    expect(existsSync(join(dir, '000-x_q.npy'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8'));
    expect(manifest.ops).toHaveLength(2);
    expect(manifest.ops[1].error).toContain('requantization scale');
    // compare goes on past the failure and says why
    const c = cli('compare', '--init', join(tmp, 'fails_init.pb'), '--net', join(tmp, 'fails.pb'), '--input', `x=${join(tmp, 'x.npy')}`);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/\[error\] Int8FC #1 \(y\): the requantization scale/);
  });
});
