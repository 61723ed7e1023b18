// The admin API's wire shapes — zod schemas for the OpenAPI document, and the views that fill them:
// ISO times, and never a secret's hash.
import * as z from 'zod';
import { ENVIRONMENTS } from '../../shared/domain.js';
import type { AccountRecord, AdminTokenRecord, KeyRecord, OperationRecord } from '../../ports/key-store.js';
import { describeStoredJwks } from '../../core/client-jwks.js';
import { keyLimitFields } from './limit-schemas.js';

const time = z.iso.datetime();
const environment = z.enum(ENVIRONMENTS);

export const accountSchema = z.strictObject({ id: z.string(), name: z.string(), createdAt: time }).meta({ id: 'Account' });

export const keySchema = z
  .strictObject({
    id: z.string(),
    accountId: z.string(),
    environment,
    name: z.string(),
    applicationId: z.string(),
    secretHint: z.string().nullable().meta({ description: 'Last 4 characters of the application secret; null for a key without one.' }),
    scopes: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
    expiresAt: time.nullable(),
    createdAt: time,
    updatedAt: time,
    authMethod: z.enum(['client_secret', 'private_key_jwt']).meta({ description: 'How the client authenticates (SPEC §8)' }),
    requireDpop: z.boolean().meta({ description: 'The key mints only DPoP-bound tokens' }),
    keys: z
      .array(
        z.strictObject({
          kid: z.string().optional(),
          kty: z.enum(['EC', 'OKP', 'RSA']),
          crv: z.string().optional(),
          alg: z.string().optional(),
          bits: z.number().int().optional(),
          thumbprint: z.string().meta({ description: 'RFC 7638 SHA-256 thumbprint, base64url' }),
        }),
      )
      .optional()
      .meta({ description: "A private_key_jwt key's registered public keys, with their thumbprints" }),
    lastUsedAt: time.nullable().meta({ description: 'When the current pair last minted or called (at most a minute behind).' }),
    previous: z
      .strictObject({
        applicationId: z.string(),
        secretHint: z.string(),
        expiresAt: time.meta({ description: 'When the overlap ends and this pair stops minting.' }),
        lastUsedAt: time.nullable().meta({ description: 'When this pair last minted or called: retire it once nothing uses it.' }),
      })
      .nullable()
      .meta({ id: 'PreviousPair', description: 'During a roll with overlap, the replaced pair that still mints; else null.' }),
    ...keyLimitFields,
  })
  .meta({ id: 'ApiKey' });

export const keyWithSecretSchema = keySchema
  .extend({
    applicationSecret: z
      .string()
      .optional()
      .meta({ description: 'Shown this once; only a keyed hash is stored. None for a private_key_jwt key.' }),
  })
  .meta({ id: 'ApiKeyWithSecret' });

export const operationSchema = z
  .strictObject({
    id: z.string(),
    action: z.string(),
    keyId: z.string().nullable(),
    environment: environment.nullable(),
    actor: z.string(),
    at: time,
  })
  .meta({ id: 'Operation' });

const callsByClass = z.strictObject({ '2xx': z.number().int(), '3xx': z.number().int(), '4xx': z.number().int(), '5xx': z.number().int() });
const refusalsByReason = z.strictObject({
  invalid_credentials: z.number().int(),
  rate_limited: z.number().int(),
  quota_exceeded: z.number().int(),
});
const usageCounts = {
  tokens: z.number().int().meta({ description: 'Tokens the token endpoint answered (issuance-cache hits included)' }),
  calls: callsByClass.meta({ description: "Proxied calls by the status class the caller got (the proxy's own 4xx, 502, 504 included)" }),
  refusals: refusalsByReason.meta({
    description:
      'invalid_credentials: token requests naming this key that failed to authenticate; rate_limited / quota_exceeded: calls and token requests refused by its limits',
  }),
};

export const keyUsageSchema = z
  .strictObject({
    keyId: z.string(),
    environment,
    granularity: z.enum(['hour', 'day']),
    from: time,
    to: time,
    points: z.array(z.strictObject({ start: time, ...usageCounts })).meta({ description: 'One per UTC hour or day of [from, to), oldest first' }),
    totals: z.strictObject(usageCounts),
  })
  .meta({ id: 'KeyUsage' });

export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function accountView(account: AccountRecord): z.infer<typeof accountSchema> {
  return { id: account.id, name: account.name, createdAt: iso(account.createdAt) };
}

export const adminTokenSummarySchema = z
  .strictObject({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    role: z.enum(['manager', 'viewer']),
    createdAt: time,
    lastUsedAt: time.nullable().meta({ description: 'When it last authenticated (at most a minute behind).' }),
  })
  .meta({ id: 'AdminTokenSummary' });

export function adminTokenSummaryView(token: Omit<AdminTokenRecord, 'tokenHash'>): z.infer<typeof adminTokenSummarySchema> {
  return {
    id: token.id,
    accountId: token.accountId,
    name: token.name,
    role: token.role,
    createdAt: iso(token.createdAt),
    lastUsedAt: iso(token.lastUsedAt),
  };
}

/**
 * The key as the API shows it. `now` hides a previous pair whose overlap has ended (it no longer mints); without
 * it the pair is shown as stored. Async: a private_key_jwt key's thumbprints are computed (SHA-256).
 */
export async function keyView(key: KeyRecord, now?: number): Promise<z.infer<typeof keySchema>> {
  const previous = key.previous !== null && (now === undefined || key.previous.expiresAt > now) ? key.previous : null;
  const view: z.infer<typeof keySchema> = {
    id: key.id,
    accountId: key.accountId,
    environment: key.environment,
    name: key.name,
    applicationId: key.applicationId,
    secretHint: key.secretHint,
    scopes: key.scopes,
    status: key.status,
    expiresAt: iso(key.expiresAt),
    createdAt: iso(key.createdAt),
    updatedAt: iso(key.updatedAt),
    lastUsedAt: iso(key.lastUsedAt),
    authMethod: key.authMethod,
    requireDpop: key.requireDpop,
    rateLimit: key.rateLimit,
    quota: key.quota,
    tokenRateLimit: key.tokenRateLimit,
    previous: previous && {
      applicationId: previous.applicationId,
      secretHint: previous.secretHint,
      expiresAt: iso(previous.expiresAt),
      lastUsedAt: iso(previous.lastUsedAt),
    },
  };
  if (key.jwks) view.keys = await describeStoredJwks(key.jwks);
  return view;
}

export function operationView(operation: OperationRecord): z.infer<typeof operationSchema> {
  return {
    id: operation.id,
    action: operation.action,
    keyId: operation.keyId,
    environment: operation.environment,
    actor: operation.actor,
    at: iso(operation.at),
  };
}
