// The bundle `npm start` runs (scripts/build-server.mjs), built into bench/.cache so a run never touches dist/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './keymint.js';

export interface Bundle {
  /** The file to run with `node`. */
  entry: string;
  kib: number;
}

/** The bundle of the checkout at `root` (this one by default), built into its bench/.cache. */
export async function buildBundle(root = REPO_ROOT): Promise<Bundle | { error: string }> {
  try {
    const { buildServer } = (await import(pathToFileURL(join(root, 'scripts', 'build-server.mjs')).href)) as {
      buildServer(outDir: string): Promise<Bundle>;
    };
    return await buildServer(join(root, 'bench', '.cache', 'server'));
  } catch (error) {
    return { error: `bundling failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
