// In-suite fuzzing: seeded mutations of the golden .pb nets (byte flips, truncation, huge varints,
// duplicated runs and fields, splices between files, structured changes to the decoded nets),
// their .pbtxt text forms and the real nets' .pbtxt, the golden .npy inputs and outputs, and
// synthesised single-op nets, each run through the loaders and a Workspace (RunNetOnce init,
// feed, run predict, fetch). Every outcome must be a success or a Caffe2Error (FetchBlob of an
// Int8 blob raises Caffe2's TypeError, which the runner handles as Caffe2 users do); any other
// exception, or a Caffe2Error that merely wraps one, fails the test with the case that caused it.
//
// The seed is fixed and the budget small (a count and a time cap) so CI stays fast; the long
// fuzzer is `npm run fuzz -- --seconds N` (scripts/fuzz.mjs), which also catches hangs and
// memory exhaustion in a child process. Inputs it found are replayed below as regressions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { createRng, FUZZ_LIMITS, failureSignature, loadCorpus, makeCase, mutateBinary, mutateNpy, mutateText, protoFields, runCase, type Corpus } from './fixtures/fuzz-api.js';
import { PROJECT_ROOT } from './golden-cases.js';

const SEED = 20240611;
const MAX_CASES = 1200;
const MAX_MS = 6000;
/** Tighter than the long fuzzer's: each case must be quick here. */
const LIMITS = { ...FUZZ_LIMITS, maxOpWork: 2e7 };

let corpus: Corpus;

beforeAll(() => {
  corpus = loadCorpus(lib);
});

describe('fuzz: mutated golden nets, text nets, .npy files and synthesised nets', () => {
  it('the corpus is there', () => {
    expect(corpus.cases.length).toBeGreaterThan(20);
    expect(corpus.realNets.length).toBeGreaterThan(0);
  });

  it(`seed ${SEED}: up to ${MAX_CASES} cases in ${MAX_MS / 1000} s, every outcome a success or a Caffe2Error`, () => {
    // The two 320x320 cases take a second each even unmutated: leave them to the long fuzzer.
    const weights = new Map(corpus.cases.map((c) => [c.name, c.name.includes('320') ? 0 : 1]));
    const rng = createRng(SEED);
    const failures: string[] = [];
    const outcomes: Record<string, number> = { ok: 0, refused: 0 };
    const formats: Record<string, number> = {};
    const started = Date.now();
    let n = 0;
    for (; n < MAX_CASES && Date.now() - started < MAX_MS; n++) {
      const fc = makeCase(rng, corpus, weights);
      formats[fc.format] = (formats[fc.format] ?? 0) + 1;
      try {
        outcomes[runCase(lib, corpus, fc, LIMITS).outcome]!++;
      } catch (e) {
        failures.push(`case ${n} (${fc.caseName} ${fc.target} ${fc.format} ${fc.mode}, ${fc.mutations.join('+')}): ${failureSignature(e)}\n${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    // The budget must still buy a meaningful run, across every format.
    expect(n).toBeGreaterThan(300);
    expect(outcomes.ok).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(100);
    for (const format of ['pb', 'pbtxt', 'npy']) expect(formats[format] ?? 0, format).toBeGreaterThan(20);
  });
});

describe('fuzz: the mutators themselves', () => {
  it('are deterministic for a seed', () => {
    const c = corpus.cases[0]!;
    const a = mutateBinary(createRng(7), c.predict, [c.init]);
    const b = mutateBinary(createRng(7), c.predict, [c.init]);
    expect(a).toEqual(b);
    expect(mutateText(createRng(8), c.predictText, []).text).toBe(mutateText(createRng(8), c.predictText, []).text);
  });

  it('walk golden nets as protobuf fields (the field-aware mutators need it)', () => {
    for (const c of corpus.cases.slice(0, 10)) {
      const fields = protoFields(c.predict);
      expect(fields, c.name).toBeDefined();
      expect(fields!.length, c.name).toBeGreaterThan(3);
    }
  });

  it('make .npy mutants that parseNpy refuses cleanly or reads', () => {
    const rng = createRng(9);
    const sources = corpus.cases.flatMap((c) => [...c.feeds, ...c.expected].map((x) => x.bytes)).slice(0, 40);
    for (let k = 0; k < 400; k++) {
      const m = mutateNpy(rng, rng.pick(sources));
      try {
        lib.parseNpy(m.bytes, { file: 'm.npy', maxBytes: 1 << 24 });
      } catch (e) {
        expect(e, m.mutations.join('+')).toBeInstanceOf(lib.Caffe2Error);
      }
    }
  });
});

// Inputs fuzzing found (minimised), replayed as regressions: each file under test/fixtures/fuzz/
// is named <golden case or "synth">.<target>.<mode>.<label>.<ext> (a ':' in a target is
// written '~') and must now be a success or a Caffe2Error, quickly. Findings in code other people
// own wait in a test/fixtures/fuzz-open/ folder (not replayed: some hang) until they are fixed.
describe('fuzz regressions (test/fixtures/fuzz)', () => {
  const dir = join(PROJECT_ROOT, 'test', 'fixtures', 'fuzz');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.(pb|pbtxt|npy)$/.test(f));
  } catch {
    files = [];
  }
  it.each(files.length ? files : ['(none yet)'])('%s', (name) => {
    if (!files.length) return;
    const parts = name.split('.');
    const [caseName, target, mode] = parts as [string, string, string];
    const ext = parts[parts.length - 1]!;
    const fc = { caseName: caseName.replace(/~/g, ':'), target: target.replace(/~/g, ':'), format: ext, mode, data: new Uint8Array(readFileSync(join(dir, name))), mutations: [] };
    const t0 = Date.now();
    const r = runCase(lib, corpus, fc, LIMITS);
    expect(['ok', 'refused']).toContain(r.outcome);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
