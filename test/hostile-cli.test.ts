// Hostile files through the built command line (`node dist/src/cli/main.js run ...`): every
// refusal exits with status 1 and prints exactly one `error:` line naming the file, or the net,
// op index and type and blob.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBinary } from '../src/proto/schema.js';
import { encodeNpy } from '../src/npy.js';
import { Tensor } from '../src/tensor.js';
import { nestedNetDef } from './fixtures/fuzz-api.js';
import { cli, f, i, int32Fill, int8Fill, net, op, s, SEED } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'caffe2-int8-hostile-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Status 1 and one `error:` line on stderr, returned. */
function refusedLine(r: ReturnType<typeof cli>): string {
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

const out = () => join(tmp, 'out');
const seedInit = join(SEED, 'init_net.pb');
const seedPredict = join(SEED, 'predict_net.pb');
const seedInput = `x1=${join(SEED, 'x1.npy')}`;

describe('hostile files through the CLI: exit 1, one error line', () => {
  it('a truncated init_net.pb names the file and the byte offset', () => {
    const cut = file('cut_init.pb', readFileSync(seedInit).subarray(0, 200));
    const line = refusedLine(cli('run', '--init', cut, '--net', seedPredict, '--input', seedInput, '--out-dir', out()));
    expect(line).toContain(`file ${cut}: not a valid binary caffe2.NetDef protobuf (truncated or corrupt at byte `);
  });

  it('garbage bytes and a huge varint length', () => {
    const junk = file('junk.pb', Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    expect(refusedLine(cli('run', '--net', junk, '--out-dir', out()))).toMatch(new RegExp(`file ${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*at byte \\d+`));
  });

  it('a net nested 100000 levels deep through Argument.n', () => {
    const deep = file('deep.pb', nestedNetDef(100000));
    expect(refusedLine(cli('run', '--net', deep, '--out-dir', out()))).toMatch(/nested deeper than 100 levels at byte \d+/);
    expect(refusedLine(cli('inspect', deep))).toMatch(/nested deeper than 100 levels/);
  });

  it('.pbtxt junk: line and column', () => {
    const junk = file('junk.pbtxt', 'name: "n"\nop {\n  type: "Int8Conv"\n  arg { name: "kernel" i: 3.5 }\n}\n');
    expect(refusedLine(cli('run', '--net', junk, '--out-dir', out()))).toMatch(/file .*junk\.pbtxt: pbtxt line 4, column \d+: expected an integer for int64 field "i"/);
  });

  it('a feed the net cannot take names the predict net file, the op and the blob', () => {
    const x = file('x64.npy', encodeNpy(new Tensor('float64', [1, 3, 4, 4], new Float64Array(48))));
    const line = refusedLine(cli('run', '--init', seedInit, '--net', seedPredict, '--input', `x1=${x}`, '--out-dir', out()));
    expect(line).toMatch(new RegExp(`^error: file ${seedPredict.replace(/[.*+?^$\{\}()|[\]\\]/g, '\\$&')}, net "[^"]*", op 0 \\(NCHW2NHWC\\), blob "x1": only float tensors are supported`));
  });

  it('an .npy header that disagrees with its data names the .npy file', () => {
    const good = encodeNpy(new Tensor('float32', [1, 3, 4, 4], new Float32Array(48)));
    const bad = file('short.npy', good.subarray(0, good.length - 8));
    expect(refusedLine(cli('run', '--init', seedInit, '--net', seedPredict, '--input', `x1=${bad}`, '--out-dir', out()))).toMatch(/file .*short\.npy: \.npy data is truncated/);
  });

  it('an unknown op names the net, the op index and the type', () => {
    const n = file('unknown.pb', encodeBinary('NetDef', net('hostile', [op('Int8Quantize', ['x'], ['q'], [f('Y_scale', 1)]), op('Int8Frobnicate', ['q'], ['y'])], ['x'], ['y'])));
    const x = file('x.npy', encodeNpy(new Tensor('float32', [2], new Float32Array(2))));
    const line = refusedLine(cli('run', '--net', n, '--input', `x=${x}`, '--out-dir', out()));
    expect(line).toContain(`error: file ${n}, net "hostile", op 1 (Int8Frobnicate): Cannot create operator of type 'Int8Frobnicate'`);
  });

  it('a conv describing 3.6·10^10 multiply-adds is refused at once; --max-op-work changes the limit', () => {
    const init = file('big_init.pb', encodeBinary('NetDef', net('big_init', [
      op('ConstantFill', [], ['xf'], [{ name: 'shape', ints: [1, 2000, 2000, 1] }, f('value', 0.5)]),
      int8Fill('W', [1, 100, 100, 1], new Array(10000).fill(128), 0.01, 128),
      int32Fill('B', [1], [0]),
    ])));
    const predict = file('big.pb', encodeBinary('NetDef', net('big', [
      op('Int8Quantize', ['xf'], ['X'], [f('Y_scale', 0.1), i('Y_zero_point', 0)]),
      op('Int8Conv', ['X', 'W', 'B'], ['Y'], [s('order', 'NHWC'), i('kernel', 100), f('Y_scale', 1)]),
    ], ['xf', 'W', 'B'], ['Y'])));
    const t0 = Date.now();
    const line = refusedLine(cli('run', '--init', init, '--net', predict, '--out-dir', out()));
    expect(line).toContain(`file ${predict}, net "big", op 1 (Int8Conv)`);
    expect(line).toMatch(/net "big", op 1 \(Int8Conv\): a 100x100 convolution to \[1,1901,1901,1\] needs 36138010000 multiply-adds, over this runtime's per-op work limit of 10000000000/);
    expect(Date.now() - t0).toBeLessThan(15000);
    expect(refusedLine(cli('run', '--init', init, '--net', predict, '--max-op-work', '1e6', '--out-dir', out()))).toMatch(/limit of 1000000 /);
    expect(refusedLine(cli('run', '--init', init, '--net', predict, '--max-tensor-bytes', '20000', '--out-dir', out()))).toMatch(/net "big_init", op 0 \(ConstantFill\): a float32 tensor of shape \[1,2000,2000,1\] needs 16000000 bytes, over the limit of 20000/);
    expect(refusedLine(cli('run', '--net', predict, '--max-op-work', 'lots', '--out-dir', out()))).toMatch(/--max-op-work takes a number >= 0, got "lots"/);
  });

  it('a missing file, and a directory given as a net', () => {
    expect(refusedLine(cli('run', '--net', join(tmp, 'nope.pb'), '--out-dir', out()))).toMatch(/file .*nope\.pb: cannot read file/);
    expect(refusedLine(cli('run', '--net', tmp, '--out-dir', out()))).toMatch(/cannot read file/);
  });
});
