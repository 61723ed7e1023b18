// The server bundle (what `npm start` runs) for tests that start many gateway processes: one starts from it in well
// under a second, where tsx compiles every module at start-up (seconds each on a loaded machine).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer } from '../../scripts/build-server.mjs';

export interface ServerBundle {
  /** The node arguments that start it (KeymintProcessOptions.entry). */
  entry: string[];
  remove(): void;
}

/** Builds the bundle into a folder of its own inside node_modules/.cache, so its external packages resolve. */
export async function buildServerBundle(): Promise<ServerBundle> {
  const cache = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'keymint-nodes-'));
  const { entry } = await buildServer(join(outDir, 'server'));
  return { entry: [entry], remove: () => rmSync(outDir, { recursive: true, force: true }) };
}
