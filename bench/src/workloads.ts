// The benchmark's workloads, written once by the parent as files every runtime process loads:
// the Caffe2 init/predict nets (.pb), the equivalent ONNX models (uint8 and int8 weights) and
// the uint8 input. Child processes thus measure the runtimes, not the net generator.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeNetDef } from '../../dist/src/index.js';
import { MOBILENET_V2_NAME, mobileNetV2Int8, RESNET50_NAME, resNet50Int8, singleLayerWorkloads, type RandomNet } from '../../dist/examples/random-nets.js';
import { onnxWorkload } from './onnx-model.js';

export interface WorkloadFiles {
  name: string;
  kind: 'layer' | 'net';
  macs: number;
  caffe2: { init: string; predict: string; netName: string; outputName: string; outputDims: number[] };
  onnx: { u8: string; s8: string; input: string; inputName: string; inputDims: number[]; outputName: string; outputDims: number[] };
}

/** Where a runtime process writes a workload's output bytes, for the agreement check. */
export function outputFile(dir: string, runtime: string, threads: number, workload: string): string {
  return join(dir, `${runtime}-t${threads}-${workload}.out`);
}

function selectedNets(only: string | undefined): Array<{ net: RandomNet; kind: 'layer' | 'net' }> {
  const keep = (name: string) => only === undefined || name.includes(only);
  const out: Array<{ net: RandomNet; kind: 'layer' | 'net' }> = [];
  for (const net of singleLayerWorkloads()) if (keep(net.name)) out.push({ net, kind: 'layer' });
  if (keep(MOBILENET_V2_NAME)) out.push({ net: mobileNetV2Int8(), kind: 'net' });
  if (keep(RESNET50_NAME)) out.push({ net: resNet50Int8(), kind: 'net' });
  return out;
}

/** Generates the selected workloads (seeded, so every run is the same) and writes them to dir. */
export function writeWorkloads(dir: string, only: string | undefined): WorkloadFiles[] {
  mkdirSync(dir, { recursive: true });
  return selectedNets(only).map(({ net, kind }) => {
    const file = (suffix: string) => join(dir, `${net.name}.${suffix}`);
    writeFileSync(file('init.pb'), serializeNetDef(net.initNet));
    writeFileSync(file('predict.pb'), serializeNetDef(net.predictNet));
    const u8 = onnxWorkload(net, 'u8');
    const s8 = onnxWorkload(net, 's8');
    writeFileSync(file('u8.onnx'), u8.model);
    writeFileSync(file('s8.onnx'), s8.model);
    writeFileSync(file('input.bin'), u8.input);
    return {
      name: net.name,
      kind,
      macs: net.macs,
      caffe2: { init: file('init.pb'), predict: file('predict.pb'), netName: net.predictNet.name!, outputName: net.outputName, outputDims: [...net.outputDims] },
      onnx: { u8: file('u8.onnx'), s8: file('s8.onnx'), input: file('input.bin'), inputName: u8.inputName, inputDims: u8.inputDims, outputName: u8.outputName, outputDims: u8.outputDims },
    };
  });
}
