// The Node entry point (package.json maps `caffe2-int8` here under Node): the whole core, worker
// threads for the wasm kernels, and the file helpers (readNetFile, writeNpyFile...).
import './register-threads.js';

export * from '../index.js';
export * from './files.js';
