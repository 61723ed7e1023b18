// The dependency rule, http → core → ports ← adapters with shared/ beneath all, checked on every import in src/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const RUNTIME_PACKAGES = /^(node:|hono|@hono\/|drizzle-orm|ioredis|better-sqlite3|@cloudflare\/|pino|prom-client)/;

/**
 * What each folder may import from src/ besides itself (`outside`: db/schema.ts), and whether runtime packages;
 * the wiring (app.ts, services.ts, config.ts, runtime/, cli/) may import anything.
 */
const ALLOWED: Record<string, { folders: string[]; packages: boolean; outside?: boolean }> = {
  shared: { folders: [], packages: false },
  ports: { folders: ['shared'], packages: false },
  core: { folders: ['ports', 'shared'], packages: false },
  adapters: { folders: ['ports', 'shared'], packages: true, outside: true },
  http: { folders: ['core', 'ports', 'shared', 'config.js'], packages: true },
};

// Tests and their support (`testing/` folders: conformance suites, fakes) may reach across layers to build
// their expectations; the rule is for the code that ships.
function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^import|^export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)].map(
    (match) => match[1] ?? match[2]!,
  );
}

describe('the dependency rule', () => {
  const files = sources(SRC);

  it('every layer imports only the layers beneath it, and core, ports and shared no runtime package', () => {
    const broken: string[] = [];
    for (const file of files) {
      const layer = relative(SRC, file).split('/')[0]!;
      const rule = ALLOWED[layer];
      if (!rule) continue;
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = relative(SRC, resolve(dirname(file), specifier)).split('/')[0]!;
          const allowed = target === '..' ? rule.outside === true : target === layer || rule.folders.includes(target);
          if (!allowed) {
            broken.push(`${relative(SRC, file)} → ${specifier}`);
          }
        } else if (!rule.packages && RUNTIME_PACKAGES.test(specifier)) {
          broken.push(`${relative(SRC, file)} → ${specifier}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('only runtime/ and the CLI reach the adapters', () => {
    const reaching = files
      .filter((file) => !/^(runtime|cli|adapters)\//.test(relative(SRC, file)))
      .filter((file) => importsOf(file).some((specifier) => specifier.startsWith('.') && /(^|\/)adapters\//.test(specifier)))
      .map((file) => relative(SRC, file));
    expect(reaching).toEqual([]);
  });
});
