// A private_key_jwt client's JWK Set as an admin submits it (one JWK or a set of 1–5), and each key's thumbprint for display.
import * as z from 'zod';
import type { StoredJwks } from '../ports/key-store.js';
import { fail, ok, type Result } from '../shared/result.js';
import {
  checkPublicJwk,
  defaultAlgorithm,
  importPublicJwk,
  jwkMaterial,
  jwkThumbprint,
  privateMemberOf,
  rsaKeyBits,
  type PublicJwk,
} from './public-jwk.js';

export const MAX_CLIENT_KEYS = 5;

/** What a private_key_jwt key stores: public keys only, as `checkPublicJwk` kept them. */
export interface ClientJwks {
  keys: PublicJwk[];
}

/** One key as the admin API, the console and the CLI show it. */
export interface ClientKeyView {
  kid?: string;
  kty: PublicJwk['kty'];
  crv?: string;
  alg?: string;
  /** RSA modulus size. */
  bits?: number;
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string;
}

const optionalText = z.string().optional();

/** One public JWK; the declared members document the shape, `checkPublicJwk` decides. */
export const publicJwkSchema = z
  .looseObject({
    kty: z.string(),
    crv: optionalText,
    x: optionalText,
    y: optionalText,
    n: optionalText,
    e: optionalText,
    kid: optionalText,
    alg: optionalText,
    use: optionalText,
  })
  .transform((value, ctx): PublicJwk => {
    const checked = checkPublicJwk(value);
    if (checked.ok) return checked.value;
    ctx.addIssue({ code: 'custom', message: checked.detail ?? checked.reason, input: value });
    return z.NEVER;
  });

const jwkSetSchema = z
  .object({
    keys: z
      .array(publicJwkSchema)
      .min(1, 'a JWK Set needs at least one key')
      .max(MAX_CLIENT_KEYS, `a key may have at most ${MAX_CLIENT_KEYS} public keys`),
  })
  .superRefine((set, ctx) => {
    const kids = new Set<string>();
    const materials = new Set<string>();
    set.keys.forEach((key, index) => {
      if (key.kid !== undefined) {
        if (kids.has(key.kid)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'kid'], message: `kid "${key.kid}" is used twice` });
        kids.add(key.kid);
      }
      const material = jwkMaterial(key);
      if (materials.has(material)) ctx.addIssue({ code: 'custom', path: ['keys', index], message: 'the same key is listed twice' });
      materials.add(material);
    });
  });

function isBareJwk(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('keys' in value) && 'kty' in value;
}

/** A single JWK or a JWK Set (`{"keys": […]}`), always answered as a set. */
export const clientJwksSchema = z.preprocess((value) => (isBareJwk(value) ? { keys: [value] } : value), jwkSetSchema);

/** Every problem zod found, one line each, with where it is (`keys.1.kid: …`). */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      // Neither an object with a kty nor one with a keys array.
      if (issue.code === 'invalid_type' && (issue.path.length === 0 || (issue.path.length === 1 && issue.path[0] === 'keys'))) {
        return 'expected a JWK ({"kty": …}) or a JWK Set ({"keys": […]})';
      }
      return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** JSON text parsed, anything else as it is; undefined for text that is not JSON. */
function parsedJson(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}

/**
 * Whether what was submitted holds a private (or symmetric) key, whatever else is wrong with it: a form must not
 * show it back, and whoever pasted it should treat it as exposed.
 */
export function holdsPrivateKey(input: unknown): boolean {
  const value = parsedJson(input);
  const candidates = isBareJwk(value) ? [value] : (value as { keys?: unknown } | undefined)?.keys;
  return (
    Array.isArray(candidates) &&
    candidates.some((key) => typeof key === 'object' && key !== null && privateMemberOf(key as Record<string, unknown>) !== undefined)
  );
}

/**
 * Reads a JWK Set as the admin API, the console and the CLI receive it (parsed JSON, or text to parse),
 * checks that WebCrypto accepts every key, and answers the set to store with the view to show.
 */
export async function readClientJwks(input: unknown): Promise<Result<{ jwks: ClientJwks; keys: ClientKeyView[] }, 'invalid_jwks'>> {
  const value = parsedJson(input);
  if (value === undefined) return fail('invalid_jwks', 'not valid JSON: paste a JWK or a JWK Set');
  const parsed = clientJwksSchema.safeParse(value);
  if (!parsed.success) return fail('invalid_jwks', describeIssues(parsed.error));
  const jwks: ClientJwks = { keys: parsed.data.keys };
  const keys: ClientKeyView[] = [];
  for (const [index, key] of jwks.keys.entries()) {
    if (!(await importPublicJwk(key, defaultAlgorithm(key)))) {
      return fail('invalid_jwks', `keys.${index}: not a valid public key (the point is not on its curve, or the numbers do not form a key)`);
    }
    keys.push(await describeClientKey(key));
  }
  return ok({ jwks, keys });
}

export async function describeClientKey(key: PublicJwk): Promise<ClientKeyView> {
  const view: ClientKeyView = { kty: key.kty, thumbprint: await jwkThumbprint(key) };
  if (key.kid !== undefined) view.kid = key.kid;
  if (key.kty !== 'RSA') view.crv = key.crv;
  if (key.alg !== undefined) view.alg = key.alg;
  if (key.kty === 'RSA') view.bits = rsaKeyBits(key);
  return view;
}


/** The public keys a private_key_jwt key holds, as they are shown (none for a secret key). */
export function describeStoredJwks(jwks: StoredJwks | null): Promise<ClientKeyView[]> {
  return Promise.all(((jwks as unknown as ClientJwks | null)?.keys ?? []).map(describeClientKey));
}
