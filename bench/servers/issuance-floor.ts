// The unavoidable work of one token exchange, shared by the two floors of scenario 1 (bare-limit.ts on
// @hono/node-server, raw-limit.ts on node:http alone): parse Basic, HMAC-SHA-256 the secret and compare,
// sign an ES256 JWT, one Redis SET EX. The HMAC and the signature use node:crypto as keymint does on Node
// (the cheapest way there; see src/adapters/node/node-crypto.ts).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair } from 'jose';
import { nodeCrypto } from '../../src/adapters/node/node-crypto.js';

interface Credential {
  applicationId: string;
  applicationSecret: string;
}

export interface FloorAnswer {
  status: number;
  body: string;
}

export const FLOOR_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };

/** The floor's token exchange for one request: its Authorization header and form body in, status and JSON out. */
export async function createIssuanceFloor(port: number): Promise<(authorization: string, body: string) => Promise<FloorAnswer>> {
  const pepper = process.env.PEPPER!;
  const issuer = `http://127.0.0.1:${port}/sandbox`;
  const audience = `${issuer}/api`;
  const lifetime = 3600;
  const credentials = JSON.parse(readFileSync(process.env.CREDENTIALS_FILE!, 'utf8')) as Credential[];
  const hash = (secret: string) => createHmac('sha256', pepper).update(secret).digest();
  // The key table, as a Map: a key look-up is unavoidable, but the floor needs no database round trip.
  const keys = new Map(credentials.map((c) => [c.applicationId, { hash: hash(c.applicationSecret), accountId: 'acct_bare' }]));
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const sign = await nodeCrypto.createJwtSigner(await exportJWK(privateKey), 'ES256');
  const redis = new Redis(process.env.REDIS_URL!, { enableAutoPipelining: false });
  const json = (status: number, value: unknown): FloorAnswer => ({ status, body: JSON.stringify(value) });

  return async function issue(authorization, body) {
    const decoded = atob(authorization.slice(6));
    const colon = decoded.indexOf(':');
    const applicationId = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    const key = keys.get(applicationId);
    const presented = hash(secret);
    if (!key || !timingSafeEqual(presented, key.hash)) return json(401, { error: 'invalid_client' });
    const iat = Math.floor(Date.now() / 1000);
    const jti = randomBytes(18).toString('base64url');
    const scope = form.get('scope') ?? '';
    const claims = { iss: issuer, sub: applicationId, client_id: applicationId, aud: audience, iat, exp: iat + lifetime, jti, scope, acct: key.accountId };
    const token = await sign({ alg: 'ES256', typ: 'at+jwt', kid: 'bare' }, claims);
    await redis.set(`bare:session:${jti}`, JSON.stringify({ jti, applicationId, scope, iat, exp: claims.exp }), 'EX', lifetime);
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope });
  };
}
