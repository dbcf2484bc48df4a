// Registers every op family. Importing the package's entry point does this once.
import { registerOps } from '../src/registry.js';
import { fillOps } from './fill.js';
import { int8ConvOps } from './int8-conv.js';
import { layoutOps } from './layout.js';
import { quantizeOps } from './quantize.js';

let registered = false;

export function registerAllOps(): void {
  if (registered) return;
  registered = true;
  registerOps([...fillOps, ...layoutOps, ...quantizeOps, ...int8ConvOps]);
}
