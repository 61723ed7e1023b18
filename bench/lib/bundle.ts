// The bundle `npm start` runs (scripts/build-server.mjs), built into bench/.cache so a run never touches dist/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './keymint.js';

export interface Bundle {
  /** The file to run with `node`. */
  entry: string;
  kib: number;
}

export async function buildBundle(): Promise<Bundle | { error: string }> {
  try {
    const { buildServer } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'build-server.mjs')).href)) as {
      buildServer(outDir: string): Promise<Bundle>;
    };
    return await buildServer(join(REPO_ROOT, 'bench', '.cache', 'server'));
  } catch (error) {
    return { error: `bundling failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
