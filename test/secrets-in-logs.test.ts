// Secrets stay secret: the whole output of a real `node src/runtime/node.ts` process through a key's
// lifecycle never contains an application secret, an admin token, a session token, a DPoP proof or a
// token-exchange subject.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basic, redisUrl } from './support/gateway.js';
import { spawnKeymint } from './support/keymint-process.js';
import { freePort } from './support/redis-server.js';
import { proofKey, signProof } from './support/dpop.js';

describe('log output', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-logs-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('never shows a secret, an admin token, a session token or a DPoP proof, and secret-bearing answers are no-store', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const seen: string[] = [];
    const keymint = spawnKeymint({ directory, port, env: { REDIS_URL: redisUrl() ?? '', KEYMINT_PUBLIC_URL: base } });
    const output = () => keymint.output();
    try {
      await keymint.ready();
      for (let attempt = 0; attempt < 100 && !output().includes('root admin token file'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The generated root token is written to a 0600 file and only its path is logged.
      const root = readFileSync(join(directory, 'admin-token'), 'utf8').trim();
      expect(output()).toContain(join(directory, 'admin-token'));

      seen.push(root);
      const admin = async (method: string, path: string, body?: unknown, token = root) => {
        const response = await fetch(`${base}/admin/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { response, body: response.status === 204 ? null : await response.json() };
      };
      const oauth = (path: string, auth: string, params: Record<string, string>) =>
        fetch(`${base}/sandbox/oauth/${path}`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params),
        });

      const account = (await admin('POST', '/accounts', { name: 'Acme' })).body.id as string;
      const adminToken = await admin('POST', `/accounts/${account}/admin-tokens`, { name: 'ops', role: 'manager' });
      expect(adminToken.response.headers.get('cache-control')).toBe('no-store');
      seen.push(adminToken.body.token);

      const created = await admin('POST', `/accounts/${account}/keys`, { environment: 'sandbox', name: 'k' }, adminToken.body.token);
      expect(created.response.headers.get('cache-control')).toBe('no-store');
      const { id, applicationId } = created.body;
      seen.push(created.body.applicationSecret);

      const exchanged = await oauth('token', basic(applicationId, created.body.applicationSecret), { grant_type: 'client_credentials' });
      expect(exchanged.headers.get('cache-control')).toBe('no-store');
      const token = ((await exchanged.json()) as { access_token: string }).access_token;
      seen.push(token);
      // A wrong secret and a malformed one, which an attacker would send.
      // One character off (and never the same character again).
      const wrong = (created.body.applicationSecret as string).replace(/.$/, (last) => (last === 'x' ? 'y' : 'x'));
      seen.push(wrong);
      expect((await oauth('token', basic(applicationId, wrong), { grant_type: 'client_credentials' })).status).toBe(401);
      expect((await oauth('introspect', basic(applicationId, created.body.applicationSecret), { token })).status).toBe(200);
      await fetch(`${base}/sandbox/oauth/tokeninfo`, { headers: { authorization: `Bearer ${token}x` } });

      // SPEC §8: DPoP proofs (accepted, replayed and refused), a bound token, and a token derived by exchange.
      const dpopKey = await proofKey('ES256');
      const tokenProof = await signProof(dpopKey, { htm: 'POST', htu: `${base}/sandbox/oauth/token` });
      seen.push(tokenProof);
      const dpopToken = (body: Record<string, string>, proof: string) =>
        fetch(`${base}/sandbox/oauth/token`, {
          method: 'POST',
          headers: { authorization: basic(applicationId, created.body.applicationSecret), dpop: proof, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body),
        });
      const boundAnswer = await dpopToken({ grant_type: 'client_credentials' }, tokenProof);
      expect(boundAnswer.status).toBe(200);
      const bound = ((await boundAnswer.json()) as { access_token: string }).access_token;
      seen.push(bound);
      expect((await dpopToken({ grant_type: 'client_credentials' }, tokenProof)).status).toBe(400);
      const infoProof = await signProof(dpopKey, { htm: 'GET', htu: `${base}/sandbox/oauth/tokeninfo`, accessToken: bound });
      seen.push(infoProof);
      const tokenInfo = (proof: string) => fetch(`${base}/sandbox/oauth/tokeninfo`, { headers: { authorization: `DPoP ${bound}`, dpop: proof } });
      expect((await tokenInfo(infoProof)).status).toBe(200);
      expect((await tokenInfo(infoProof)).status).toBe(401);
      const exchangeProof = await signProof(dpopKey, { htm: 'POST', htu: `${base}/sandbox/oauth/token` });
      seen.push(exchangeProof);
      const derivedAnswer = await dpopToken(
        { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: bound, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
        exchangeProof,
      );
      expect(derivedAnswer.status).toBe(200);
      seen.push(((await derivedAnswer.json()) as { access_token: string }).access_token);
      const refusedExchange = await oauth('token', basic(applicationId, created.body.applicationSecret), {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: `${bound}x`,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
      expect(refusedExchange.status).toBe(400);

      const regenerated = await admin('POST', `/accounts/${account}/keys/${id}/regenerate`);
      expect(regenerated.response.headers.get('cache-control')).toBe('no-store');
      seen.push(regenerated.body.applicationSecret);
      await admin('POST', `/accounts/${account}/keys/${id}/revoke-sessions`);
      await admin('POST', `/accounts/${account}/keys/${id}/disable`);
      await admin('DELETE', `/accounts/${account}/keys/${id}`);
      await admin('GET', '/accounts/acct_x', undefined, `${root}x`);
    } finally {
      await keymint.stop();
    }
    expect(output().length).toBeGreaterThan(0);
    expect(seen).toHaveLength(11);
    // Not the whole value, and not a telling part of it either.
    for (const secret of seen) expect(output()).not.toContain(secret.slice(0, 24));
    const leaks = (output().match(/(sk_(sbx|prd)_[0-9A-Za-z]{20,}|kmat_[0-9A-Za-z]{20,}|eyJ[\w-]+\.[\w-]+\.[\w-]+)/g) ?? []);
    expect(leaks).toEqual([]);
  }, 60_000);
});
