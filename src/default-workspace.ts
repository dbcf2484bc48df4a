// Module-level workspace verbs, so that `workspace.FeedBlob(...)` reads like Caffe2's Python
// module: there is a current workspace ("default" at start) and SwitchWorkspace changes it.
import { Caffe2Error } from './errors.js';
import { Workspace } from './workspace.js';

const workspaces = new Map<string, Workspace>([['default', new Workspace()]]);
let currentName = 'default';

function current(): Workspace {
  return workspaces.get(currentName)!;
}

export const workspace = {
  SwitchWorkspace(name: string, createIfMissing = false): void {
    if (!workspaces.has(name)) {
      if (!createIfMissing) throw new Caffe2Error(`Workspace ${name} does not exist`);
      workspaces.set(name, new Workspace());
    }
    currentName = name;
  },
  CurrentWorkspace: (): string => currentName,
  /** The Workspace object behind the module-level verbs. */
  C: (): Workspace => current(),
  FeedBlob: ((...a: unknown[]) => (current().FeedBlob as (...x: unknown[]) => boolean)(...a)) as Workspace['FeedBlob'],
  FetchBlob: (name: string) => current().FetchBlob(name),
  FetchInt8Blob: (name: string) => current().FetchInt8Blob(name),
  FetchInt8BlobRealVal: (name: string) => current().FetchInt8BlobRealVal(name),
  HasBlob: (name: string) => current().HasBlob(name),
  Blobs: () => current().Blobs(),
  CreateBlob: (name: string) => current().CreateBlob(name),
  ResetWorkspace: () => current().ResetWorkspace(),
  RunNetOnce: (...a: Parameters<Workspace['RunNetOnce']>) => current().RunNetOnce(...a),
  CreateNet: (...a: Parameters<Workspace['CreateNet']>) => current().CreateNet(...a),
  RunNet: (...a: Parameters<Workspace['RunNet']>) => current().RunNet(...a),
  RunOperatorOnce: (...a: Parameters<Workspace['RunOperatorOnce']>) => current().RunOperatorOnce(...a),
  Nets: () => current().Nets(),
};
