/** Bundles src/runtime/node.ts into `outDir` (default dist/server): keymint.mjs and db/migrations beside it. */
export function buildServer(outDir?: string, options?: { source?: string; name?: string }): Promise<{ entry: string; kib: number }>;
