// The admin API's wire shapes — zod schemas for the OpenAPI document, and the views that fill them:
// ISO times, and never a secret's hash.
import * as z from 'zod';
import { ENVIRONMENTS } from '../../shared/domain.js';
import type { AccountRecord, KeyRecord, OperationRecord } from '../../ports/key-store.js';
import { describeClientKey, type ClientJwks } from '../../core/client-jwks.js';

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
    lastUsedAt: time.nullable(),
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

export async function keyView(key: KeyRecord): Promise<z.infer<typeof keySchema>> {
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
  };
  if (key.jwks) view.keys = await Promise.all((key.jwks as unknown as ClientJwks).keys.map(describeClientKey));
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
