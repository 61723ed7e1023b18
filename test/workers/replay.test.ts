// SPEC §8 / §10 on Workers: a private_key_jwt client assertion is single use from every location, because its jti
// record lives in a Durable Object that checks and records it in one step (issue 18).
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { admin, call, createAccount, issuer } from './support/worker-client.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('client assertion replays inside workerd', () => {
  let applicationId: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const account = await createAccount('Replays');
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    const created = await admin('POST', `/accounts/${account.id}/keys`, {
      environment: 'sandbox',
      name: 'assertion signer',
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'main' }] },
    });
    expect(created.status).toBe(201);
    applicationId = ((await created.json()) as { applicationId: string }).applicationId;
  });

  function assertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: applicationId, sub: applicationId, aud: issuer('sandbox'), iat: now, exp: now + 60, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'main' })
      .sign(privateKey);
  }

  const tokenRequest = (clientAssertion: string) =>
    call('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion }),
    });

  it('mints for exactly one of 10 concurrent requests carrying the same assertion', async () => {
    // 10: nine refusals stay under the client's failure limit (10), so every refusal is the replay's own 401.
    const once = await assertion();
    const responses = await Promise.all(Array.from({ length: 10 }, () => tokenRequest(once)));
    const statuses = responses.map(({ status }) => status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(9);
    for (const response of responses.filter(({ status }) => status === 401)) {
      expect((await response.json()) as Record<string, unknown>).toMatchObject({
        error: 'invalid_client',
        error_description: expect.stringMatching(/used before/),
      });
    }
    await Promise.all(responses.filter(({ status }) => status === 200).map((response) => response.body?.cancel()));
    // A fresh assertion is welcome.
    expect((await tokenRequest(await assertion())).status).toBe(200);
  });
});
