// Runs keymint the way an operator does (`node --import tsx src/runtime/node.ts`) and sets it up over its admin API.
import { fileURLToPath } from 'node:url';
import { startChild, waitFor, type Child } from './children.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Credential {
  applicationId: string;
  applicationSecret: string;
  accountId: string;
}

export interface KeymintOptions {
  port: number;
  database: string;
  redisUrl: string;
  adminToken: string;
  pepper: string;
  /** One KEK per run: the database's signing keys are sealed with it, so every start must reuse it. */
  kek: string;
  issuanceCache: boolean;
  upstream?: string;
  workers?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** A bundled entry to run with plain `node` instead of `node --import tsx src/runtime/node.ts`. */
  bundle?: string;
  /** The checkout to run keymint from (default: this one); for A/B runs against a git worktree. */
  root?: string;
  extraEnv?: Record<string, string>;
  /** A file that gets all of keymint's output (e.g. `--trace-gc` lines); by default only its last lines are kept. */
  outputFile?: string;
}

export interface Keymint {
  url: string;
  child: Child;
  stop(): Promise<void>;
}

export function keymintEnv(options: KeymintOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    KEYMINT_PORT: String(options.port),
    KEYMINT_PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    KEYMINT_DATABASE: options.database,
    REDIS_URL: options.redisUrl,
    KEYMINT_ADMIN_TOKEN: options.adminToken,
    KEYMINT_SECRET_PEPPER: options.pepper,
    KEYMINT_KEK: options.kek,
    KEYMINT_ISSUANCE_CACHE: String(options.issuanceCache),
    // Load comes from one IP and reuses valid credentials; nothing here should ever be rate-limited.
    KEYMINT_AUTH_FAILURES_PER_CLIENT: '1000000',
    KEYMINT_AUTH_FAILURES_PER_IP: '1000000',
    // The per-request access log (info) is a synchronous write to stderr; the benchmark measures the gateway.
    KEYMINT_LOG_LEVEL: 'warn',
    ...(options.upstream && { KEYMINT_UPSTREAM_SANDBOX: options.upstream }),
    ...(options.workers && { KEYMINT_WORKERS: String(options.workers) }),
    ...options.extraEnv,
  };
}

export function spawnKeymint(name: string, options: KeymintOptions): Child {
  const entry = options.bundle ? [options.bundle] : ['--import', 'tsx', 'src/runtime/node.ts'];
  return startChild(name, process.execPath, [...(options.nodeFlags ?? []), ...entry], {
    cwd: options.root ?? REPO_ROOT,
    env: keymintEnv(options),
    ...(options.outputFile && { outputFile: options.outputFile }),
  });
}

export async function startKeymint(name: string, options: KeymintOptions): Promise<Keymint> {
  const child = spawnKeymint(name, options);
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor(`${name} to answer`, async () => ((await fetch(`${url}/sandbox/.well-known/jwks.json`)).ok ? true : undefined), {
    child,
    // Generous: under tsx every process compiles its modules at start, slow on a busy machine.
    timeoutMs: 120_000,
  });
  return { url, child, stop: () => child.stop() };
}

async function admin<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** `count` sandbox keys with scopes read+write and `fields` (limits, an auth method), three per account (the default per-environment limit). */
async function createSandboxKeys<T extends { applicationId: string }>(url: string, adminToken: string, count: number, fields: Record<string, unknown>): Promise<(T & { accountId: string })[]> {
  const keys: (T & { accountId: string })[] = [];
  let accountId = '';
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) accountId = (await admin<{ id: string }>(url, adminToken, 'POST', '/accounts', { name: `bench ${i / 3}` })).id;
    const key = await admin<T>(url, adminToken, 'POST', `/accounts/${accountId}/keys`, {
      environment: 'sandbox',
      name: `bench ${i}`,
      scopes: ['read', 'write'],
      ...fields,
    });
    keys.push({ ...key, accountId });
  }
  return keys;
}

/** `count` keys that authenticate with a secret, with `fields` such as `rateLimit` besides. */
export async function createKeys(url: string, adminToken: string, count: number, fields: Record<string, unknown> = {}): Promise<Credential[]> {
  const keys = await createSandboxKeys<Credential>(url, adminToken, count, fields);
  return keys.map(({ applicationId, applicationSecret, accountId }) => ({ applicationId, applicationSecret, accountId }));
}

/** `count` private_key_jwt keys (RFC 7523) that all trust the one public `jwk`: they have no secret. */
export async function createJwtKeys(url: string, adminToken: string, count: number, jwk: Record<string, unknown>): Promise<{ applicationId: string; accountId: string }[]> {
  const keys = await createSandboxKeys<{ applicationId: string }>(url, adminToken, count, { authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
  return keys.map(({ applicationId, accountId }) => ({ applicationId, accountId }));
}

export function basic(clientId: string, secret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}
