// Every KEYMINT_* variable in one zod schema; loadConfig(record) validates a whole environment at once.
import * as z from 'zod';
import { ENVIRONMENTS, SIGNING_ALGORITHMS, type Environment, type SigningAlgorithm } from './shared/domain.js';
import { isScopeToken } from './core/scopes.js';
import { formatConfigIssue, parseServiceTables, routeRulesSchema, type ServiceTables } from './config/services.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((url) => url.replace(/\/+$/, ''));
const lifetime = wholeNumber(60, 86_400).optional();

const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
});
// The file's text; config/services.ts reads its two formats (route rules, or services) per environment.
const routesFile = z.string().transform((path, ctx) => {
  try {
    return readTextFile(path);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot be read: ${(error as Error).message}` });
    return z.NEVER;
  }
});

// Sync and without a static Node import, so the Workers bundle stays free of node:fs (where it fails instead).
function readTextFile(path: string): string {
  type Fs = { readFileSync(path: string, encoding: 'utf8'): string };
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const fs = host.process?.getBuiltinModule?.('node:fs') as Fs | undefined;
  if (!fs) throw new Error('this runtime has no file system; use KEYMINT_ROUTES_SANDBOX and KEYMINT_ROUTES_PRODUCTION');
  return fs.readFileSync(path, 'utf8');
}

/** The variables that each configure a session store every node shares; at most one may be set. */
const SHARED_SESSION_STORES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;
/** Settings of a Redis Cluster or Sentinel connection (a REDIS_URL carries its own). */
const REDIS_CONNECTION_SETTINGS = ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS'] as const;

/** One Redis node or sentinel: `host:port`, an IPv6 host in brackets (`[::1]:6379`). */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where the shared session store lives: one Redis, a Redis Cluster, or the primary a group of Sentinels names. */
export type RedisConnection =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: RedisNode[] } & RedisCredentials)
  | ({ kind: 'sentinel'; sentinels: RedisNode[]; name: string } & RedisCredentials);

export interface RedisCredentials {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

const NODE_ENTRY = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** `host:port,host:port`: at least one entry, each a host (name, IPv4 or bracketed IPv6) and a port 1-65535. */
const redisNodes = z.string().transform((list, ctx) => {
  const nodes: RedisNode[] = [];
  for (const entry of list.split(',').map((part) => part.trim())) {
    const match = NODE_ENTRY.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      ctx.addIssue({ code: 'custom', message: `must be host:port entries separated by commas (${JSON.stringify(entry)} is not one)` });
      return z.NEVER;
    }
    nodes.push({ host: match[1] ?? match[2]!, port });
  }
  return nodes;
});

/** KEYMINT_DATABASE names PostgreSQL, rather than a SQLite file, when it is a postgres:// or postgresql:// URL. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** KEYMINT_DATABASE as logs and messages may show it: a PostgreSQL URL loses its password. */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  const url = parseUrl(database);
  if (!url) return 'postgres://(a URL that cannot be parsed)';
  if (url.password) url.password = '***';
  return url.toString();
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

const schema = z.object({
  KEYMINT_PORT: wholeNumber(0, 65_535).default(8787),
  KEYMINT_PUBLIC_URL: httpUrl.optional(),
  KEYMINT_DATABASE: z
    .string()
    .refine((database) => isPostgresUrl(database) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(database), {
      error: 'must be a SQLite file path or a postgres:// (postgresql://) URL',
    })
    .refine((database) => !isPostgresUrl(database) || parseUrl(database) !== undefined, { error: 'is not a valid PostgreSQL URL' })
    .default('./data/keymint.db'),
  KEYMINT_DATABASE_POOL: wholeNumber(1, 1000).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_CLUSTER_NODES: redisNodes.optional(),
  REDIS_SENTINELS: redisNodes.optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[\x21-\x7e]{1,256}$/, { error: 'must be the name the sentinels monitor the primary under (no spaces)' })
    .optional(),
  REDIS_USERNAME: z.string().max(256).optional(),
  REDIS_PASSWORD: z.string().max(4096).optional(),
  REDIS_TLS: flag.optional(),
  KEYMINT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'must be 1-32 letters, digits, _ or -' })
    .default('km'),
  KEYMINT_ADMIN_TOKEN: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  KEYMINT_SESSION_TTL: wholeNumber(60, 86_400).default(3600),
  KEYMINT_SESSION_TTL_SANDBOX: lifetime,
  KEYMINT_SESSION_TTL_PRODUCTION: lifetime,
  KEYMINT_KEYS_PER_ENVIRONMENT: wholeNumber(1, 1000).default(3),
  KEYMINT_KEYS_PER_ACCOUNT: wholeNumber(1, 100_000).optional(),
  KEYMINT_WEBHOOKS_ALLOW_PRIVATE: flag.default(false),
  KEYMINT_WEBHOOK_TIMEOUT_MS: wholeNumber(100, 60_000).default(15_000),
  KEYMINT_UPSTREAM_SANDBOX: httpUrl.optional(),
  KEYMINT_UPSTREAM_PRODUCTION: httpUrl.optional(),
  KEYMINT_UPSTREAM_TIMEOUT_MS: wholeNumber(1, 3_600_000).default(30_000),
  KEYMINT_ROUTES_SANDBOX: json.pipe(routeRulesSchema).optional(),
  KEYMINT_ROUTES_PRODUCTION: json.pipe(routeRulesSchema).optional(),
  KEYMINT_ROUTES_FILE: routesFile.optional(),
  // JSON arrays of services, read by config/services.ts (it names the variable and the field of each problem).
  KEYMINT_SERVICES_SANDBOX: z.string().optional(),
  KEYMINT_SERVICES_PRODUCTION: z.string().optional(),
  KEYMINT_SECRET_PEPPER: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  KEYMINT_KEK: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, { error: 'must be 32 bytes in base64 or base64url (openssl rand -base64 32)' })
    .optional(),
  KEYMINT_AUTH_FAILURES_PER_CLIENT: wholeNumber(1, 1_000_000).default(10),
  KEYMINT_AUTH_FAILURES_PER_IP: wholeNumber(1, 1_000_000).default(100),
  KEYMINT_TRUSTED_PROXIES: wholeNumber(0, 10).default(0),
  KEYMINT_ISSUANCE_CACHE: flag.default(true),
  KEYMINT_DIRECT_KEY_AUTH: flag.default(true),
  KEYMINT_STRICT_SESSIONS: flag.default(false),
  KEYMINT_DPOP_NONCES: flag.default(false),
  KEYMINT_SIGNING_ALG: z.enum(SIGNING_ALGORITHMS).default('ES256'),
  KEYMINT_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  KEYMINT_WORKERS: wholeNumber(1, 64).default(1),
  KEYMINT_SIGNING_KEY_ROTATION_DAYS: wholeNumber(0, 3650).default(30),
  KEYMINT_SCOPES: z
    .string()
    .transform((list) => list.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().refine(isScopeToken, { error: 'is not a valid scope name' })))
    .optional(),
}).superRefine((env, ctx) => {
  if (isPostgresUrl(env.KEYMINT_DATABASE)) {
    // Several nodes share one PostgreSQL: nothing may live in a file beside the database, or in one process.
    const required = (name: string, what: string) =>
      ctx.addIssue({ code: 'custom', path: [name], message: `must be set when KEYMINT_DATABASE is a PostgreSQL URL (${what})` });
    if (!env.KEYMINT_ADMIN_TOKEN) required('KEYMINT_ADMIN_TOKEN', 'every node must accept the same root token');
    if (!env.KEYMINT_SECRET_PEPPER) required('KEYMINT_SECRET_PEPPER', 'every node must hash secrets alike');
    if (!SHARED_SESSION_STORES.some((name) => env[name])) {
      required(
        'REDIS_URL',
        'sessions, the issuance cache and rate limits must be shared by the nodes; REDIS_CLUSTER_NODES or REDIS_SENTINELS serve as well',
      );
    }
  }
  const stores = SHARED_SESSION_STORES.filter((name) => env[name]);
  if (stores.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [stores[1]!],
      message: `set only one of ${SHARED_SESSION_STORES.join(', ')} (${stores.join(' and ')} are both set)`,
    });
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'must be set with REDIS_SENTINELS (the name the sentinels monitor the primary under)' });
  }
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'applies only with REDIS_SENTINELS' });
  }
  if (!env.REDIS_CLUSTER_NODES && !env.REDIS_SENTINELS) {
    for (const name of REDIS_CONNECTION_SETTINGS) {
      if (env[name] === undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: env.REDIS_URL
          ? 'applies to REDIS_CLUSTER_NODES and REDIS_SENTINELS; put it in REDIS_URL instead (redis://user:password@host:port, rediss:// for TLS)'
          : 'applies only with REDIS_CLUSTER_NODES or REDIS_SENTINELS',
      });
    }
  }
  if (env.KEYMINT_ROUTES_FILE && (env.KEYMINT_ROUTES_SANDBOX || env.KEYMINT_ROUTES_PRODUCTION)) {
    ctx.addIssue({
      code: 'custom',
      path: ['KEYMINT_ROUTES_FILE'],
      message: 'set either KEYMINT_ROUTES_FILE or KEYMINT_ROUTES_SANDBOX/KEYMINT_ROUTES_PRODUCTION, not both',
    });
  }
});

export interface Config {
  port: number;
  publicUrl: string;
  /** A SQLite file path, or a postgres:// URL (isPostgresUrl). */
  database: string;
  /** Connections to PostgreSQL per process. */
  databasePool: number;
  /** The shared session store (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS); undefined: in process. */
  redis: RedisConnection | undefined;
  redisPrefix: string;
  adminToken: string | undefined;
  sessionTtl: Record<Environment, number>;
  keysPerEnvironment: number;
  /** Keys per account over both environments; undefined when only the per-environment limit applies. */
  keysPerAccount: number | undefined;
  /** Webhooks may be delivered to loopback, private, link-local… addresses too (otherwise public ones only). */
  webhooksAllowPrivate: boolean;
  /** How long one webhook delivery attempt waits for the receiver's status line. */
  webhookTimeoutMs: number;
  /** How long the proxy waits for any progress from an upstream before answering 504, unless a service sets its own. */
  upstreamTimeoutMs: number;
  /**
   * Each environment's upstream services (SPEC §7), from KEYMINT_SERVICES_{ENV}, KEYMINT_ROUTES_FILE or the older
   * KEYMINT_UPSTREAM_{ENV} + KEYMINT_ROUTES_{ENV}; none: the proxy answers 404.
   */
  services: ServiceTables;
  secretPepper: string | undefined;
  kek: string | undefined;
  authFailuresPerClient: number;
  authFailuresPerIp: number;
  /** Reverse proxies in front of keymint whose X-Forwarded-For entries are trusted (0: use the socket). */
  trustedProxies: number;
  issuanceCache: boolean;
  directKeyAuth: boolean;
  strictSessions: boolean;
  /** Every DPoP proof must carry a nonce from a `DPoP-Nonce` header this gateway issued (RFC 9449 §8). */
  dpopNonces: boolean;
  signingAlg: SigningAlgorithm;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** HTTP worker processes (node:cluster) sharing the port; 1 serves from this process. */
  workers: number;
  /** Rotate an environment's signing key once it is this many days old; 0 turns scheduled rotation off. */
  signingKeyRotationDays: number;
  /** The scopes keys may hold; undefined when any well-formed scope is allowed. */
  scopes: string[] | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a variable record (process.env, a Worker's env); throws ConfigError naming each bad variable. */
export function loadConfig(record: Record<string, unknown>): Config {
  // An empty variable means unset, as in most shells' `VAR=` habits.
  const present = Object.fromEntries(
    Object.entries(record).filter(([name, value]) => name in schema.shape && value !== '' && value !== undefined),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    // Inside a JSON value, say where: `KEYMINT_ROUTES_SANDBOX: [0].path: …`.
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.length > 0 ? (issue.path as (string | number)[]) : ['?'],
      message: issue.message,
    }));
    throw configError(issues);
  }
  const env = parsed.data;
  const publicUrl = env.KEYMINT_PUBLIC_URL ?? `http://localhost:${env.KEYMINT_PORT}`;
  const services = parseServiceTables({
    services: { sandbox: env.KEYMINT_SERVICES_SANDBOX, production: env.KEYMINT_SERVICES_PRODUCTION },
    routesFile: env.KEYMINT_ROUTES_FILE,
    upstreams: { sandbox: env.KEYMINT_UPSTREAM_SANDBOX, production: env.KEYMINT_UPSTREAM_PRODUCTION },
    routes: { sandbox: env.KEYMINT_ROUTES_SANDBOX, production: env.KEYMINT_ROUTES_PRODUCTION },
    upstreamTimeoutMs: env.KEYMINT_UPSTREAM_TIMEOUT_MS,
    publicUrl,
  });
  if (!services.ok) throw configError(services.issues);
  return {
    port: env.KEYMINT_PORT,
    publicUrl,
    database: env.KEYMINT_DATABASE,
    databasePool: env.KEYMINT_DATABASE_POOL,
    redis: redisConnection(env),
    redisPrefix: env.KEYMINT_REDIS_PREFIX,
    adminToken: env.KEYMINT_ADMIN_TOKEN,
    sessionTtl: {
      sandbox: env.KEYMINT_SESSION_TTL_SANDBOX ?? env.KEYMINT_SESSION_TTL,
      production: env.KEYMINT_SESSION_TTL_PRODUCTION ?? env.KEYMINT_SESSION_TTL,
    },
    keysPerEnvironment: env.KEYMINT_KEYS_PER_ENVIRONMENT,
    keysPerAccount: env.KEYMINT_KEYS_PER_ACCOUNT,
    webhooksAllowPrivate: env.KEYMINT_WEBHOOKS_ALLOW_PRIVATE,
    webhookTimeoutMs: env.KEYMINT_WEBHOOK_TIMEOUT_MS,
    upstreamTimeoutMs: env.KEYMINT_UPSTREAM_TIMEOUT_MS,
    services: services.value,
    secretPepper: env.KEYMINT_SECRET_PEPPER,
    kek: env.KEYMINT_KEK,
    authFailuresPerClient: env.KEYMINT_AUTH_FAILURES_PER_CLIENT,
    authFailuresPerIp: env.KEYMINT_AUTH_FAILURES_PER_IP,
    trustedProxies: env.KEYMINT_TRUSTED_PROXIES,
    issuanceCache: env.KEYMINT_ISSUANCE_CACHE,
    directKeyAuth: env.KEYMINT_DIRECT_KEY_AUTH,
    strictSessions: env.KEYMINT_STRICT_SESSIONS,
    dpopNonces: env.KEYMINT_DPOP_NONCES,
    signingAlg: env.KEYMINT_SIGNING_ALG,
    signingKeyRotationDays: env.KEYMINT_SIGNING_KEY_ROTATION_DAYS,
    logLevel: env.KEYMINT_LOG_LEVEL,
    workers: env.KEYMINT_WORKERS,
    scopes: env.KEYMINT_SCOPES,
  };
}

function configError(issues: { path: readonly (string | number)[]; message: string }[]): ConfigError {
  return new ConfigError(`invalid configuration:\n${issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`);
}

function redisConnection(env: z.infer<typeof schema>): RedisConnection | undefined {
  if (env.REDIS_URL) return { kind: 'single', url: env.REDIS_URL };
  const credentials = { username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD, tls: env.REDIS_TLS ?? false };
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...credentials };
  if (env.REDIS_SENTINELS) return { kind: 'sentinel', sentinels: env.REDIS_SENTINELS, name: env.REDIS_SENTINEL_NAME!, ...credentials };
  return undefined;
}

/** The session store as logs and messages may show it: no password. */
export function describeRedis(connection: RedisConnection): string {
  const list = (nodes: RedisNode[]) => nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  switch (connection.kind) {
    case 'single': {
      const url = parseUrl(connection.url);
      if (url?.password) url.password = '***';
      return url?.toString() ?? 'redis://(a URL that cannot be parsed)';
    }
    case 'cluster':
      return `Redis Cluster ${list(connection.nodes)}`;
    case 'sentinel':
      return `Redis Sentinel ${list(connection.sentinels)} (primary ${connection.name})`;
  }
}

export function longestSessionTtl(config: Config): number {
  return Math.max(...ENVIRONMENTS.map((environment) => config.sessionTtl[environment]));
}
