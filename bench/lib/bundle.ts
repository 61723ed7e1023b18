// A single-file build of the Node entry (esbuild, which tsx already brings), to measure a start-up without tsx.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './keymint.js';

export interface Bundle {
  /** The file to run with `node`. */
  entry: string;
  kib: number;
}

/**
 * Bundles src/runtime/node.ts with its dependencies (better-sqlite3, a native addon, stays external) under
 * bench/.cache/bundle/. The migrations folder is found relative to the module (`../../../db/migrations` from
 * src/adapters/node/), so the bundle sits at that depth and db/migrations is copied beside it.
 */
export async function buildBundle(): Promise<Bundle | { error: string }> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    return { error: `esbuild is not installed (${String(error)})` };
  }
  const root = join(REPO_ROOT, 'bench', '.cache', 'bundle');
  rmSync(root, { recursive: true, force: true });
  const entry = join(root, 'src', 'adapters', 'node', 'keymint.mjs');
  try {
    const result = await esbuild.build({
      entryPoints: [join(REPO_ROOT, 'src', 'runtime', 'node.ts')],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: entry,
      external: ['better-sqlite3'],
      // CommonJS dependencies inside an ES module bundle still call require().
      banner: { js: "import { createRequire as __keymintRequire } from 'node:module'; const require = __keymintRequire(import.meta.url);" },
      logLevel: 'silent',
      metafile: true,
    });
    mkdirSync(join(root, 'db'), { recursive: true });
    cpSync(join(REPO_ROOT, 'db', 'migrations'), join(root, 'db', 'migrations'), { recursive: true });
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    return { entry, kib: Math.round(bytes / 1024) };
  } catch (error) {
    return { error: `esbuild failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
