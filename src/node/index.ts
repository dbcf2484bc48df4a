// Entry point for Node-only helpers: `import { readNetFile } from 'caffe2-int8/node'`.
export * from './files.js';
