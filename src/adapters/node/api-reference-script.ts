// Scalar's standalone browser bundle (@scalar/api-reference, pinned in package.json), read from disk for /docs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ApiReferenceScriptSource } from '../../ports/api-reference-script.js';

/** Where scripts/build-server.mjs copies the bundle, beside dist/server/keymint.mjs. */
export const BUNDLED_SCRIPT_PATH = join('assets', 'scalar-standalone.js');
export const PACKAGE_SCRIPT = '@scalar/api-reference/browser/standalone.js';

/**
 * The script's path: beside the server bundle `npm start` runs (the build copies it there), else in the
 * package under node_modules (tsx, tsc's dist/). Undefined when neither exists (a broken install).
 */
export function findApiReferenceScript(from: string = fileURLToPath(import.meta.url)): string | undefined {
  const besideBundle = join(dirname(from), BUNDLED_SCRIPT_PATH);
  if (existsSync(besideBundle)) return besideBundle;
  try {
    return createRequire(from).resolve(PACKAGE_SCRIPT);
  } catch {
    return undefined;
  }
}

/** Reads and compresses the file once, on the first request for /docs (not at start-up: it is ~3.5 MB). */
export function apiReferenceScriptFrom(path: string): ApiReferenceScriptSource {
  let loading: ReturnType<ApiReferenceScriptSource> | undefined;
  return () => {
    loading ??= (async () => {
      const body = new Uint8Array(await readFile(path));
      const gzipped = new Uint8Array(await promisify(gzip)(body, { level: 9 }));
      const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
      return { version, body, gzipped };
    })().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
