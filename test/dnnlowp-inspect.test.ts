// `inspect` on DNNLOWP nets: the weight qparams the pack op chose (or the op will choose for
// float weights), the requantization multipliers and the Relu-rewritten output qparams, checked
// against every dnnlowp golden case's notes (packed_weight_qparams_signed, requant_multiplier,
// relu_output_qparams_rewrite).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeNet, formatNetReport, type OpReport } from '../src/inspect.js';
import { float32Bits } from '../src/quant/float32.js';
import '../src/register-ops.js';
import { loadGoldenCases } from './golden-cases.js';

const WEIGHTED = new Set(['Int8Conv', 'Int8ConvRelu', 'Int8FC', 'Int8FCRelu']);
const sig9 = (v: number) => Number(v.toPrecision(9));

const cases = loadGoldenCases().filter((c) => c.name.startsWith('dnnlowp-') && !c.expect_error);

describe('inspect on the dnnlowp golden cases matches their notes', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const c of cases) {
    const notes = JSON.parse(readFileSync(join(c.dir, 'case.json'), 'utf8')).notes ?? {};
    const checks = ['packed_weight_qparams_signed', 'requant_multiplier', 'relu_output_qparams_rewrite'].filter((k) => notes[k]);
    if (checks.length === 0) continue;
    it(`${c.name}: ${checks.join(', ')}`, () => {
      const report = describeNet(c.predict, c.init);
      expect(report.initError).toBeUndefined();
      const op = report.ops.find((o) => WEIGHTED.has(o.type)) as OpReport;
      expect(op.engine).toBe('DNNLOWP');
      if (notes.packed_weight_qparams_signed) {
        const groups = op.weightGroups ?? [op.weight!];
        expect(groups.map((q) => [sig9(q.scale), q.zeroPoint])).toEqual(notes.packed_weight_qparams_signed);
      }
      if (notes.requant_multiplier) {
        if (notes.dynamic_input_qparams || !op.input) {
          // the input scale is only known at run time (a dynamic Int8Quantize, or a float X into Int8FC)
          expect(op.requantScales).toBeUndefined();
          expect(op.notes.join('\n')).toMatch(/only known at run time/);
        } else {
          expect(op.requantScales!.map(sig9)).toEqual(notes.requant_multiplier);
        }
      }
      if (notes.relu_output_qparams_rewrite) {
        const m = /-> scale=[^(]*\(0x([0-9a-f]+)\) zp=(\d+)/.exec(notes.relu_output_qparams_rewrite[0])!;
        expect(float32Bits(op.output!.scale)).toBe(parseInt(m[1]!, 16));
        expect(op.output!.zeroPoint).toBe(Number(m[2]));
      }
    });
  }
});

describe('inspect text for DNNLOWP ops', () => {
  const byName = (n: string) => cases.find((c) => c.name === n)!;

  it('groupwise conv (dnnlowp-conv3x3-groupwise-g4): weight per group and 4 requantization multipliers', () => {
    const c = byName('dnnlowp-conv3x3-groupwise-g4');
    const text = formatNetReport(describeNet(c.predict, c.init));
    expect(text).toContain('weight per group: scale=0.0012590799 zp=-16; scale=0.0041706655 zp=-25');
    expect(text).toContain('requantization multipliers: 0.00022926075, 0.00075941958, 0.0017295807, 0.0048184539');
    expect(text).toContain('signed int8');
  });

  it('Relu rewrite (dnnlowp-convrelu3x3-zp-rewrite): the output line shows the re-chosen qparams and a note the arguments', () => {
    const c = byName('dnnlowp-convrelu3x3-zp-rewrite');
    const text = formatNetReport(describeNet(c.predict, c.init));
    expect(text).toContain('output: scale=0.030392157 zp=0');
    expect(text).toMatch(/Relu: DNNLOWP re-chooses .*scale=0.050000001 zp=100 -> scale=0.030392157 zp=0/);
    expect(text).toContain('requantization multiplier: 0.0066308118');
  });

  it('packed bias quantized with another in_scale (dnnlowp-conv-packbias-inscale-mismatch) gets a note', () => {
    const c = byName('dnnlowp-conv-packbias-inscale-mismatch');
    const report = describeNet(c.predict, c.init);
    const conv = report.ops.find((o) => o.type === 'Int8Conv')!;
    expect(conv.notes.join('\n')).toMatch(/packed bias was quantized with in_scale=0.050000001, not this input's scale 0.024820788/);
  });

  it('dynamic input (dnnlowp-conv-unpacked-nhwc-dyn-input): float weights\' qparams are shown, the input qparams are run-time', () => {
    const c = byName('dnnlowp-conv-unpacked-nhwc-dyn-input');
    const report = describeNet(c.predict, c.init);
    const quantize = report.ops.find((o) => o.type === 'Int8Quantize')!;
    expect(quantize.output).toBeUndefined();
    expect(quantize.notes.join('\n')).toMatch(/chosen at run time/);
    const conv = report.ops.find((o) => o.type === 'Int8Conv')!;
    expect(conv.weight).toBeDefined();
    expect(conv.notes.join('\n')).toMatch(/quantized by this op on its first run/);
  });
});
