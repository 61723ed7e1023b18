#!/usr/bin/env node
// Bundles the Node server (src/runtime/node.ts) into one ES module, dist/server/keymint.mjs, with esbuild.
// `npm start` runs it: a process starts in well under half a second, where tsx needs ~1.7 s to compile
// every module at start-up (bench/README.md, "cold start"). Plain JavaScript, so it runs before any build.
import { copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Loaded from node_modules at run time: a native addon, and pino's transports, which start worker
// threads from files they locate on disk (pretty logs on a terminal).
const EXTERNAL = ['better-sqlite3', 'pino', 'pino-pretty', 'thread-stream'];

/**
 * Builds into `outDir` (default dist/server); returns the entry file and its size. `source` is the entry module
 * (the server; the tests also bundle the CLI, src/cli/main.ts, this way), `name` the bundle's file name. The bundle is written
 * beside it and swapped in whole, so a process starting from `outDir` meanwhile (another `npm start`, a
 * KEYMINT_WORKERS primary replacing a worker) never finds it half-written or missing.
 */
export async function buildServer(outDir = join(root, 'dist', 'server'), { source = 'src/runtime/node.ts', name = 'keymint.mjs' } = {}) {
  const staging = `${outDir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const stagedEntry = join(staging, name);
  const result = await esbuild.build({
    entryPoints: [join(root, source)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: stagedEntry,
    external: EXTERNAL,
    sourcemap: 'linked',
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __keymintRequire } from 'node:module'; const require = __keymintRequire(import.meta.url);" },
    logLevel: 'warning',
    metafile: true,
  });
  // The migrations (SQLite's and PostgreSQL's) travel with the bundle (found beside it at start-up).
  mkdirSync(join(staging, 'db'), { recursive: true });
  for (const folder of ['migrations', 'pg-migrations']) {
    cpSync(join(root, 'db', folder), join(staging, 'db', folder), { recursive: true });
  }
  // So does /docs's script, Scalar's standalone bundle (~3.5 MB; served from beside the bundle, never inlined).
  // The path matches BUNDLED_SCRIPT_PATH in src/adapters/node/api-reference-script.ts.
  mkdirSync(join(staging, 'assets'), { recursive: true });
  const referenceScript = createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js');
  copyFileSync(referenceScript, join(staging, 'assets', 'scalar-standalone.js'));
  const retired = `${outDir}.${process.pid}.old`;
  if (existsSync(outDir)) renameSync(outDir, retired);
  renameSync(staging, outDir);
  rmSync(retired, { recursive: true, force: true });
  const entry = join(outDir, name);
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find((file) => file.endsWith('.mjs'))].bytes;
  return { entry, kib: Math.round(bytes / 1024) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { entry, kib } = await buildServer();
  process.stderr.write(`keymint: bundled ${entry.slice(root.length + 1)} (${kib} KiB) in ${Math.round(performance.now() - started)} ms\n`);
}
