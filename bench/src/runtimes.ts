// The runtimes under test, each opened on one workload's files: ours (caffe2-int8 from the root's
// dist/, with kernels 'wasm' or 'js'), onnxruntime-node (uint8 or int8 weights) and
// onnxruntime-web's wasm backend running in Node.
import { readFileSync } from 'node:fs';
import type { WorkloadFiles } from './workloads.js';

export const RUNTIMES = ['ours-wasm', 'ours-js', 'ort-node', 'ort-node-s8', 'ort-web'] as const;
export type RuntimeId = (typeof RUNTIMES)[number] | 'ours-default';

export interface OpenSession {
  /** Milliseconds to create the net or session (CreateNet / InferenceSession.create). */
  createMs: number;
  run(): unknown;
  /** The output bytes of the last run (NHWC for ours, NCHW for ONNX). */
  output(): Uint8Array;
  close(): Promise<void>;
}

type Ort = typeof import('onnxruntime-node');

export interface Runtime {
  open(w: WorkloadFiles): Promise<OpenSession>;
}

/** The onnxruntime package versions (onnxruntime-common's env.versions) of a runtime, if any. */
export async function ortVersions(id: RuntimeId): Promise<Record<string, string> | undefined> {
  if (!id.startsWith('ort-')) return undefined;
  const ort = id === 'ort-web' ? ((await import('onnxruntime-web')) as unknown as Ort) : (await import('onnxruntime-node')).default;
  return { ...ort.env.versions } as Record<string, string>;
}

const coreEntry = '../../dist/src/index.js';
const nodeEntry = '../../dist/src/node/index.js';

/**
 * Our runtime. The Node entry re-exports the core (and enables worker threads) once it does;
 * until then the core entry supplies what it lacks.
 */
async function oursRuntime(options: { kernels?: 'wasm' | 'js'; threads?: number }): Promise<Runtime> {
  const core = (await import(coreEntry)) as typeof import('../../dist/src/index.js');
  const node = (await import(nodeEntry)) as Partial<typeof core>;
  const Workspace = node.Workspace ?? core.Workspace;
  const parseNetDef = node.parseNetDef ?? core.parseNetDef;
  const ws = new Workspace(options);
  return {
    async open(w) {
      ws.ResetWorkspace();
      ws.RunNetOnce(parseNetDef(readFileSync(w.caffe2.init)));
      const predict = parseNetDef(readFileSync(w.caffe2.predict));
      const t0 = performance.now();
      ws.CreateNet(predict);
      const createMs = performance.now() - t0;
      return {
        createMs,
        run: () => ws.RunNet(w.caffe2.netName),
        output: () => ws.FetchInt8Blob(w.caffe2.outputName).data as Uint8Array,
        close: async () => void ws.ResetWorkspace(),
      };
    },
  };
}

/** A session over ONNX Runtime's common API, fed the same uint8 input on every run. */
function ortRuntime(ort: Ort, weights: 'u8' | 's8', sessionOptions: import('onnxruntime-node').InferenceSession.SessionOptions): Runtime {
  return {
    async open(w) {
      const model = readFileSync(w.onnx[weights]);
      const t0 = performance.now();
      const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', ...sessionOptions });
      const createMs = performance.now() - t0;
      const feeds = { [w.onnx.inputName]: new ort.Tensor('uint8', new Uint8Array(readFileSync(w.onnx.input)), w.onnx.inputDims) };
      let last: Awaited<ReturnType<typeof session.run>> | undefined;
      return {
        createMs,
        run: async () => {
          last = await session.run(feeds);
        },
        output: () => last![w.onnx.outputName]!.data as Uint8Array,
        close: () => session.release(),
      };
    },
  };
}

export async function openRuntime(id: RuntimeId, threads: number): Promise<Runtime> {
  switch (id) {
    case 'ours-wasm':
      return oursRuntime({ kernels: 'wasm', threads });
    case 'ours-js':
      return oursRuntime({ kernels: 'js', threads });
    case 'ours-default':
      return oursRuntime({});
    case 'ort-node':
    case 'ort-node-s8': {
      const ort = (await import('onnxruntime-node')).default;
      const options = { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' } as const;
      return ortRuntime(ort, id === 'ort-node' ? 'u8' : 's8', options);
    }
    case 'ort-web': {
      const ort = (await import('onnxruntime-web')) as unknown as Ort;
      // Read once, when the wasm backend initializes; in Node the threads are worker_threads.
      ort.env.wasm.numThreads = threads;
      return ortRuntime(ort, 'u8', { executionProviders: ['wasm'] });
    }
  }
}
