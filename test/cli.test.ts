// The caffe2-int8 command line, run as a user runs it (the built dist/ CLI, a real process).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/npy.js';
import { encodeBinary } from '../src/proto/schema.js';
import { PROJECT_ROOT, SHARED } from './golden-cases.js';
import { cli, CLI, f, i, net, op, SEED } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'caffe2-int8-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectOneErrorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

describe('caffe2-int8 CLI', () => {
  it('is built', () => expect(existsSync(CLI)).toBe(true));

  it('--help for the tool and each command', () => {
    for (const args of [['--help'], ['run', '--help'], ['inspect', '--help']]) {
      const r = cli(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/usage: caffe2-int8/);
    }
  });

  it('run: the seed net writes res.npy (float32) and conv_1_q.npy + .json (Int8)', () => {
    const out = join(tmp, 'seed');
    const r = cli('run', '--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`, '--output', 'res', '--output', 'conv_1_q', '--out-dir', out);
    expect(r.status, r.stderr).toBe(0);
    const res = parseNpy(new Uint8Array(readFileSync(join(out, 'res.npy'))));
    expect(res).toMatchObject({ dtype: 'float32', dims: [1, 159, 159, 32] });
    const q = parseNpy(new Uint8Array(readFileSync(join(out, 'conv_1_q.npy'))));
    expect(q).toMatchObject({ dtype: 'uint8', dims: [1, 159, 159, 32] });
    // Int8Dequantize uses the tensor's own scale and zero point: res = (q - 135) * scale.
    const meta = JSON.parse(readFileSync(join(out, 'conv_1_q.json'), 'utf8'));
    expect(meta).toEqual({ scale: Math.fround(0.0027075342), zero_point: 135 });
    for (const k of [0, 1000, 500000]) expect(res.data[k]).toBe(Math.fround((Number(q.data[k]) - 135) * meta.scale));
  });

  it('run without --output fetches external_output; text (.pbtxt) nets work the same', () => {
    const out = join(tmp, 'seed-text');
    const r0 = cli('run', '--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`, '--out-dir', join(tmp, 'seed-bin'));
    expect(r0.status, r0.stderr).toBe(0);
    expect(existsSync(join(tmp, 'seed-bin', 'res.npy'))).toBe(true);
    // Text copies of the seed nets, with a .pb name: the format comes from the content.
    const textDir = join(tmp, 'textnets');
    const conv = spawnSync(process.execPath, ['-e', `
      import('${join(PROJECT_ROOT, 'dist', 'src', 'index.js')}').then(m => {
        const fs = require('node:fs');
        for (const n of ['init_net', 'predict_net']) {
          const def = m.parseNetDef(fs.readFileSync('${SEED}/' + n + '.pb'));
          fs.mkdirSync('${textDir}', { recursive: true });
          fs.writeFileSync('${textDir}/' + n + '.pb', m.serializeNetDef(def, 'text'));
        }
      });`], { encoding: 'utf8' });
    expect(conv.status, conv.stderr).toBe(0);
    expect(readFileSync(join(textDir, 'predict_net.pb'), 'utf8')).toContain('type: "Int8Conv"');
    const r1 = cli('run', '--init', join(textDir, 'init_net.pb'), '--net', join(textDir, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`, '--out-dir', out);
    expect(r1.status, r1.stderr).toBe(0);
    expect(readFileSync(join(out, 'res.npy'))).toEqual(readFileSync(join(tmp, 'seed-bin', 'res.npy')));
  });

  it('run: a missing input is one error line naming the net and blob', () => {
    const r = cli('run', '--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--out-dir', join(tmp, 'x'));
    expect(r.status).toBe(1);
    const line = expectOneErrorLine(r.stderr);
    expect(line).toContain('net "test"');
    expect(line).toContain('blob "x1"');
  });

  it('run: a failing op is one error line naming net, op index, type and blob; --debug adds the stack', () => {
    const netFile = join(tmp, 'bad.pb');
    writeFileSync(netFile, encodeBinary('NetDef', net('badnet', [op('NCHW2NHWC', ['x1'], ['x']), op('Int8Dequantize', ['x'], ['y'])], ['x1'], ['y'])));
    const args = ['run', '--net', netFile, '--input', `x1=${join(SEED, 'x1.npy')}`, '--out-dir', join(tmp, 'bad')];
    const r = cli(...args);
    expect(r.status).toBe(1);
    const line = expectOneErrorLine(r.stderr);
    expect(line).toMatch(/net "badnet", op 1 \(Int8Dequantize\), blob "x"/);
    const d = cli(...args, '--debug');
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it('run: a requantization scale >= 1 is refused naming Int8Conv', () => {
    const netFile = join(tmp, 'requant.pb');
    const initFile = join(tmp, 'requant_init.pb');
    writeFileSync(
      initFile,
      encodeBinary('NetDef', net('init', [
        op('Int8GivenTensorFill', [], ['X'], [{ name: 'shape', ints: [1, 1, 1, 1] }, { name: 'values', s: new Uint8Array([1]) }, f('Y_scale', 1), i('Y_zero_point', 0)]),
        op('Int8GivenTensorFill', [], ['W'], [{ name: 'shape', ints: [1, 1, 1, 1] }, { name: 'values', s: new Uint8Array([1]) }, f('Y_scale', 1), i('Y_zero_point', 0)]),
        op('Int8GivenIntTensorFill', [], ['B'], [{ name: 'shape', ints: [1] }, { name: 'values', ints: [0] }]),
      ])),
    );
    writeFileSync(netFile, encodeBinary('NetDef', net('rq', [op('Int8Conv', ['X', 'W', 'B'], ['Y'], [i('kernel', 1), { name: 'order', s: new TextEncoder().encode('NHWC') }, f('Y_scale', 0.5)])], ['X', 'W', 'B'], ['Y'])));
    const r = cli('run', '--init', initFile, '--net', netFile, '--out-dir', join(tmp, 'rq'));
    expect(r.status).toBe(1);
    const line = expectOneErrorLine(r.stderr);
    expect(line).toMatch(/net "rq", op 0 \(Int8Conv\)/);
    expect(line).toMatch(/requantization scale 2 .* >= 1\.0/);
  });

  it('run: a truncated .pb names the file', () => {
    const bytes = readFileSync(join(SEED, 'init_net.pb'));
    const cut = join(tmp, 'truncated.pb');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const r = cli('run', '--init', cut, '--net', join(SEED, 'predict_net.pb'), '--out-dir', join(tmp, 't'));
    expect(r.status).toBe(1);
    expect(expectOneErrorLine(r.stderr)).toContain(`file ${cut}`);
  });

  it('run --kernels js and --kernels wasm --threads 2 write the same bytes for the seed', () => {
    const outputs = [['--kernels', 'js', '--threads', '1'], ['--kernels', 'wasm', '--threads', '2']].map((flags, i) => {
      const out = join(tmp, `seed-kernels-${i}`);
      const r = cli('run', '--init', join(SEED, 'init_net.pb'), '--net', join(SEED, 'predict_net.pb'), '--input', `x1=${join(SEED, 'x1.npy')}`, '--output', 'conv_1_q', '--out-dir', out, ...flags);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(out, 'conv_1_q.npy'));
    });
    expect(Buffer.compare(outputs[0]!, outputs[1]!)).toBe(0);
    const bad = cli('run', '--net', join(SEED, 'predict_net.pb'), '--out-dir', tmp, '--kernels', 'gpu');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: --kernels takes wasm or js, got "gpu"/);
  });

  it('run: usage errors are one error line too', () => {
    const r = cli('run', '--net');
    expect(r.status).toBe(1);
    expectOneErrorLine(r.stderr);
    expect(cli('nonsense').status).toBe(1);
  });

  it('inspect: the seed with its init net shows qparams, the requantization scale and the ignored bias scale', () => {
    const r = cli('inspect', join(SEED, 'predict_net.pb'), '--init', join(SEED, 'init_net.pb'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('#2 Int8Conv: x_int8, conv_w, conv_b -> conv_1_q');
    expect(r.stdout).toContain('weight: scale=0.000078431374 zp=0 shape=[32,5,5,3]');
    expect(r.stdout).toContain('output: scale=0.0027075342 zp=135');
    // 0.034999959 * 0.000078431374 / 0.0027075342, all in float32
    const rq = Math.fround(Math.fround(Math.fround(0.03499995917081833) * Math.fround(7.843137427698821e-5)) / Math.fround(0.002707534236833453));
    expect(r.stdout).toContain(`requantization scale: ${Number(rq.toPrecision(8))}`);
    expect(r.stdout).toMatch(/note: bias blob has scale 1 .*Caffe2 ignores them/);
    expect(r.stdout).toMatch(/note: Y_scale \/ Y_zero_point are ignored: Int8Dequantize uses the input tensor's own/);
    expect(r.stdout).toContain('unsupported op types: none');
  });

  it('inspect: the Mask R-CNN 2Go int8 net (text format) lists its ops and names the unsupported types', () => {
    const file = join(SHARED, 'real-nets', 'mask_rcnn_2go_int8', 'predict_net.pbtxt');
    const r = cli('inspect', file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^net "mobile_vision\.detection_1_int8_1"/);
    expect(r.stdout).toContain('#0 NCHW2NHWC: data -> data_NHWC');
    expect(r.stdout).toContain('unsupported op types:');
    for (const t of ['GenerateProposals', 'BoxWithNMSLimit', 'If']) expect(r.stdout).toMatch(new RegExp(`^  ${t}`, 'm'));
    const json = JSON.parse(cli('inspect', file, '--json').stdout);
    expect(json.ops).toHaveLength(100); // top-level ops; the If op's sub-nets hold the rest
  });

  it('inspect works on a copy with an unusual file name (format told from content)', () => {
    const copy = join(tmp, 'net.bin');
    copyFileSync(join(SHARED, 'real-nets', 'mask_rcnn_2go_int8', 'predict_net.pbtxt'), copy);
    expect(cli('inspect', copy).status).toBe(0);
  });
});

describe('npm run demo (the seed, end to end)', () => {
  it('reproduces the numbers the seed thread printed', () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'examples', 'seed-demo.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('float Conv2d (init_res)   -0.3654041886329651    0.36045965552330017');
    expect(r.stdout).toContain('Caffe2 Int8Conv (res)     -0.36551710963249207   0.32490411400794983');
    expect(r.stdout).toContain('assert_allclose(rtol=0.05, atol=0.1): passes');
  });
});

describe('examples/seed-engines (the seed conv under both engines)', () => {
  it('DNNLOWP refuses the seed bias scale; with it fixed, engines differ by at most 1 LSB on a few outputs', () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'examples', 'seed-engines.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DNNLOWP refuses the seed net as saved:\n.*op 2 \(Int8Conv engine DNNLOWP\), blob "conv_b"/);
    // DNNLOWP.md: on the seed conv the engines differ only through requantization rounding, by 1 LSB.
    const m = /DNNLOWP vs QNNPACK: (\d+) of 808992 outputs differ \([\d.]+ %\), by at most (\d+) LSB/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThan(808992 / 100);
    expect(Number(m![2])).toBe(1);
  });
});
