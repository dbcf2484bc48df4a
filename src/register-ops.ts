// Side-effect import: registers every op of ops/ in the registry.
import { registerAllOps } from '../ops/index.js';

registerAllOps();
