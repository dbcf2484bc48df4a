// The core.Net / ModelHelper-style builder: op calls, argument typing (MakeArgument), naming,
// external inputs, and saving the result as .pb / .pbtxt.
import { describe, expect, it } from 'vitest';
import { arg, createNet, makeArgument, ModelHelper, Net } from '../src/builder.js';
import { parseNetDef, serializeNetDef } from '../src/netdef-io.js';
import { Workspace } from '../src/workspace.js';
import '../src/register-ops.js';

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe('makeArgument (caffe2.python.utils.MakeArgument for JS values)', () => {
  it('uses the field the op declares for a plain number: Y_scale 1 is a float', () => {
    expect(makeArgument('Y_scale', 1, 'f')).toEqual({ name: 'Y_scale', f: 1 });
    expect(makeArgument('Y_zero_point', 128, 'i')).toEqual({ name: 'Y_zero_point', i: 128 });
  });
  it('without a declaration: integers -> i, fractions -> f (rounded to float32)', () => {
    expect(makeArgument('k', 3)).toEqual({ name: 'k', i: 3 });
    expect(makeArgument('a', 0.1)).toEqual({ name: 'a', f: Math.fround(0.1) });
    expect(makeArgument('b', true)).toEqual({ name: 'b', i: 1 });
  });
  it('strings and bytes -> s; lists -> ints / floats / strings', () => {
    expect(text(makeArgument('order', 'NHWC').s)).toBe('NHWC');
    expect(makeArgument('values', new Uint8Array([0, 255])).s).toEqual(new Uint8Array([0, 255]));
    expect(makeArgument('shape', [1, 2, 3])).toEqual({ name: 'shape', ints: [1, 2, 3] });
    expect(makeArgument('v', [1, 2.5])).toEqual({ name: 'v', floats: [1, 2.5] });
    expect(makeArgument('v', [1, 2], 'floats')).toEqual({ name: 'v', floats: [1, 2] });
    expect(makeArgument('v', new Float32Array([0.5]))).toEqual({ name: 'v', floats: [0.5] });
    expect(makeArgument('v', new Int32Array([7]))).toEqual({ name: 'v', ints: [7] });
    expect(makeArgument('names', ['a', 'b']).strings?.map(text)).toEqual(['a', 'b']);
  });
  it('explicit kinds override inference', () => {
    expect(makeArgument('x', arg.f(2))).toEqual({ name: 'x', f: 2 });
    expect(makeArgument('x', arg.i(2))).toEqual({ name: 'x', i: 2 });
    expect(makeArgument('x', arg.floats([1, 2]))).toEqual({ name: 'x', floats: [1, 2] });
  });
  it('a net argument -> n', () => {
    const sub = new Net('sub_for_arg');
    expect(makeArgument('then_net', sub).n?.name).toBe('sub_for_arg');
  });
});

describe('Net', () => {
  it('makes net names unique per process, as core.Net does', () => {
    const a = new Net('uniq_test');
    const b = new Net('uniq_test');
    const c = new Net('uniq_test');
    expect([a.Name(), b.Name(), c.Name()]).toEqual(['uniq_test', 'uniq_test_1', 'uniq_test_2']);
  });

  it('any op type is a method; undefined inputs become external inputs', () => {
    const n = createNet('calls');
    const y = n.Int8Quantize('x', 'xq', { Y_scale: 1, Y_zero_point: 3 });
    expect(String(y)).toBe('xq');
    n.Int8Dequantize(y, 'out');
    const p = n.Proto();
    expect(p.external_input).toEqual(['x']);
    expect(p.op?.map((o) => o.type)).toEqual(['Int8Quantize', 'Int8Dequantize']);
    expect(p.op?.[0]?.arg).toEqual([
      { name: 'Y_scale', f: 1 },
      { name: 'Y_zero_point', i: 3 },
    ]);
  });

  it('auto-names outputs "<net>/<Type>", then _2, _3; a count gives ":i" outputs', () => {
    const n = createNet('auto');
    expect(String(n.Relu('x'))).toBe('auto/Relu');
    expect(String(n.Relu('x'))).toBe('auto/Relu_2');
    const two = n.Split('x', 2) as unknown as string[];
    expect(two.map(String)).toEqual(['auto/Split:0', 'auto/Split:1']);
  });

  it('engine and name are fields, not arguments', () => {
    const n = createNet('fields');
    n.Int8Conv(['x', 'w', 'b'], 'y', { kernel: 1 }, { engine: 'DNNLOWP', name: 'conv1' });
    const o = n.Proto().op![0]!;
    expect(o.engine).toBe('DNNLOWP');
    expect(o.name).toBe('conv1');
    expect(o.arg?.map((a) => a.name)).toEqual(['kernel']);
  });

  it('AddExternalOutput needs a defined blob', () => {
    const n = createNet('ext');
    n.NCHW2NHWC('x', 'y');
    n.AddExternalOutput('y');
    expect(n.Proto().external_output).toEqual(['y']);
    expect(() => n.AddExternalOutput('nope')).toThrow(/not defined/);
  });
});

describe('ModelHelper', () => {
  it('builds an Int8 conv model that runs and saves as .pb and .pbtxt', () => {
    const m = new ModelHelper('bm');
    expect(m.param_init_net.Name()).toBe('bm_init');
    expect(m.net.Name()).toBe('bm');
    // W: 1x1x1x1 value 3 zp 1; X 12 zp 2; bias 0; scales 0.5, 0.5 -> 1: acc 10*2 = 20 -> *0.25 = 5 -> +100
    m.param_init_net.Int8GivenTensorFill([], 'w', { shape: [1, 1, 1, 1], values: new Uint8Array([3]), Y_scale: 0.5, Y_zero_point: 1 });
    m.param_init_net.Int8GivenIntTensorFill([], 'b', { shape: [1], values: new Int32Array([0]), Y_scale: 1, Y_zero_point: 0 });
    m.param_init_net.Int8GivenTensorFill([], 'x', { shape: [1, 1, 1, 1], values: new Uint8Array([12]), Y_scale: 0.5, Y_zero_point: 2 });
    m.net.Int8Conv(['x', 'w', 'b'], 'y', { kernel: 1, order: 'NHWC', Y_scale: 1, Y_zero_point: 100 });
    m.net.AddExternalOutput('y');
    const fill = m.param_init_net.Proto().op![1]!;
    expect(fill.arg).toContainEqual({ name: 'Y_scale', f: 1 });
    expect(fill.arg).toContainEqual({ name: 'values', ints: [0] });

    for (const format of ['binary', 'text'] as const) {
      const ws = new Workspace();
      const init = parseNetDef(serializeNetDef(m.param_init_net.Proto(), format));
      const pred = parseNetDef(serializeNetDef(m.net.Proto(), format));
      expect(pred).toEqual(m.net.Proto());
      ws.RunNetOnce(init);
      ws.CreateNet(pred);
      ws.RunNet(m.net.Name());
      expect(Array.from(ws.FetchInt8Blob('y').data)).toEqual([105]);
    }
  });
});
