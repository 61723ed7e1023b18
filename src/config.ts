// Every KEYMINT_* variable in one zod schema; loadConfig(record) validates a whole environment at once.
import * as z from 'zod';
import { ENVIRONMENTS, type Environment } from './core/environments.js';
import { isScopeToken } from './core/scopes.js';

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

const schema = z.object({
  KEYMINT_PORT: wholeNumber(0, 65_535).default(8787),
  KEYMINT_PUBLIC_URL: httpUrl.optional(),
  KEYMINT_DATABASE: z.string().default('./data/keymint.db'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  KEYMINT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'must be 1-32 letters, digits, _ or -' })
    .default('km'),
  KEYMINT_ADMIN_TOKEN: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  KEYMINT_SESSION_TTL: wholeNumber(60, 86_400).default(3600),
  KEYMINT_SESSION_TTL_SANDBOX: lifetime,
  KEYMINT_SESSION_TTL_PRODUCTION: lifetime,
  KEYMINT_KEYS_PER_ENVIRONMENT: wholeNumber(1, 1000).default(3),
  KEYMINT_UPSTREAM_SANDBOX: httpUrl.optional(),
  KEYMINT_UPSTREAM_PRODUCTION: httpUrl.optional(),
  KEYMINT_SECRET_PEPPER: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  KEYMINT_KEK: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, { error: 'must be 32 bytes in base64 or base64url (openssl rand -base64 32)' })
    .optional(),
  KEYMINT_AUTH_FAILURES_PER_CLIENT: wholeNumber(1, 1_000_000).default(10),
  KEYMINT_AUTH_FAILURES_PER_IP: wholeNumber(1, 1_000_000).default(100),
  KEYMINT_ISSUANCE_CACHE: flag.default(true),
  KEYMINT_DIRECT_KEY_AUTH: flag.default(true),
  KEYMINT_STRICT_SESSIONS: flag.default(false),
  KEYMINT_SIGNING_ALG: z.enum(['ES256', 'EdDSA']).default('ES256'),
  KEYMINT_SIGNING_KEY_ROTATION_DAYS: wholeNumber(0, 3650).default(30),
  KEYMINT_SCOPES: z
    .string()
    .transform((list) => list.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().refine(isScopeToken, { error: 'is not a valid scope name' })))
    .optional(),
});

export type SigningAlgorithm = 'ES256' | 'EdDSA';

export interface Config {
  port: number;
  publicUrl: string;
  database: string;
  redisUrl: string | undefined;
  redisPrefix: string;
  adminToken: string | undefined;
  sessionTtl: Record<Environment, number>;
  keysPerEnvironment: number;
  upstreams: Record<Environment, string | undefined>;
  secretPepper: string | undefined;
  kek: string | undefined;
  authFailuresPerClient: number;
  authFailuresPerIp: number;
  issuanceCache: boolean;
  directKeyAuth: boolean;
  strictSessions: boolean;
  signingAlg: SigningAlgorithm;
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
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0] ?? '?')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    port: env.KEYMINT_PORT,
    publicUrl: env.KEYMINT_PUBLIC_URL ?? `http://localhost:${env.KEYMINT_PORT}`,
    database: env.KEYMINT_DATABASE,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.KEYMINT_REDIS_PREFIX,
    adminToken: env.KEYMINT_ADMIN_TOKEN,
    sessionTtl: {
      sandbox: env.KEYMINT_SESSION_TTL_SANDBOX ?? env.KEYMINT_SESSION_TTL,
      production: env.KEYMINT_SESSION_TTL_PRODUCTION ?? env.KEYMINT_SESSION_TTL,
    },
    keysPerEnvironment: env.KEYMINT_KEYS_PER_ENVIRONMENT,
    upstreams: { sandbox: env.KEYMINT_UPSTREAM_SANDBOX, production: env.KEYMINT_UPSTREAM_PRODUCTION },
    secretPepper: env.KEYMINT_SECRET_PEPPER,
    kek: env.KEYMINT_KEK,
    authFailuresPerClient: env.KEYMINT_AUTH_FAILURES_PER_CLIENT,
    authFailuresPerIp: env.KEYMINT_AUTH_FAILURES_PER_IP,
    issuanceCache: env.KEYMINT_ISSUANCE_CACHE,
    directKeyAuth: env.KEYMINT_DIRECT_KEY_AUTH,
    strictSessions: env.KEYMINT_STRICT_SESSIONS,
    signingAlg: env.KEYMINT_SIGNING_ALG,
    signingKeyRotationDays: env.KEYMINT_SIGNING_KEY_ROTATION_DAYS,
    scopes: env.KEYMINT_SCOPES,
  };
}

export function longestSessionTtl(config: Config): number {
  return Math.max(...ENVIRONMENTS.map((environment) => config.sessionTtl[environment]));
}
