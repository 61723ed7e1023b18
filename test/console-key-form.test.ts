// The console's key forms with limits and private_key_jwt (issues 15, 16, 17) over plain HTTP, each effect checked where
// a user sees it: a rate limit set in the form refuses the call past it at the proxy, a pasted JWK's private key mints a
// token, edits replace limits and public keys; bad limits and bad pastes come back beside their fields.
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { request } from 'node:http';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from './support/admin-auth-suite.js';
import { CLIENT_ASSERTION_TYPE, createAssertionSigner as signer, requestWithAssertion, type AssertionSigner } from './support/client-assertion.js';
import { ConsoleClient } from './support/console-client.js';
import { redisUrl, startGateway, type Gateway } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface ApiKey {
  id: string;
  applicationId: string;
  authMethod: string;
  secretHint: string | null;
  rateLimit: { requests: number; windowSeconds: number } | null;
  quota: { requests: number; period: string } | null;
  tokenRateLimit: { requests: number; windowSeconds: number } | null;
  keys?: Array<{ kid?: string; thumbprint: string }>;
}

/** The HTML a form field's error is shown in, and whether the control is tied to it and focused. */
function fieldError(html: string, field: string): string | undefined {
  return new RegExp(`id="${field}-error">([^<]*)<`).exec(html)?.[1];
}

/** The key's name as the edit form shows it. */
function nameIn(html: string): string {
  return /<input[^>]*\bid="name"[^>]*\bvalue="([^"]*)"/.exec(html)![1]!;
}

function controlOf(html: string, field: string): string {
  return new RegExp(`<(?:input|select|textarea)[^>]*\\bid="${field}"[^>]*>`).exec(html)?.[0] ?? '';
}

describe.skipIf(!redisUrl())('console key forms: limits and private_key_jwt', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let accountId: string;
  let manager: ConsoleClient;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ sessions: 'redis', env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_KEYS_PER_ENVIRONMENT: '50' } });
    accountId = (await gateway.createAccount('Forms Co')).id;
    manager = new ConsoleClient(gateway);
    await manager.signIn(await createAdminToken(gateway, accountId, 'manager'));
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const sandboxPath = () => `/console/accounts/${accountId}/sandbox`;
  const keyPath = (keyId: string) => `/console/accounts/${accountId}/keys/${keyId}`;
  let names = 0;
  const freshName = (prefix: string) => `${prefix}-${++names}`;

  async function apiKey(keyId: string): Promise<ApiKey> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys/${keyId}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ApiKey;
  }

  async function keyCount(): Promise<number> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys?environment=sandbox&limit=100`);
    return ((await response.json()) as { items: unknown[] }).items.length;
  }

  /** Posts the create form; answers the response and, when it made a key, the key's id. */
  async function createInConsole(fields: Record<string, string>) {
    await manager.page(sandboxPath());
    const response = await manager.post(`/console/accounts/${accountId}/keys`, { environment: 'sandbox', name: freshName('form'), ...fields });
    const keyId = /\/keys\/(key_\w+)/.exec(response.headers.get('location') ?? '')?.[1];
    return { response, keyId };
  }

  /** A form POST over node:http that keeps the answer even when the gateway closes the socket before the body is sent. */
  function postEarlyAnswered(path: string, form: Record<string, string>): Promise<{ status: number; contentType: string; body: string }> {
    const cookie = [...manager.cookies].map(([name, stored]) => `${name}=${stored.value}`).join('; ');
    return new Promise((resolve, reject) => {
      const sent = request(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { cookie, origin: gateway.url, 'content-type': 'application/x-www-form-urlencoded' },
      });
      sent.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, contentType: String(response.headers['content-type']), body }));
        response.on('error', reject);
      });
      // Writing into a socket the gateway closed fails; the answer it sent first is what counts (none: fail).
      sent.on('error', (error) => setTimeout(() => reject(error), 1000));
      sent.end(new URLSearchParams(form).toString());
    });
  }

  const mintWithAssertion = async (applicationId: string, by: AssertionSigner) => (await requestWithAssertion(gateway, 'sandbox', applicationId, by)).status;

  describe('limits', () => {
    it('creates a key with a rate limit of 3: the 4th proxied call is refused with 429, and the key page shows every limit', async () => {
      const { response, keyId } = await createInConsole({
        rateLimitRequests: '3',
        rateLimitWindow: '3600',
        quotaRequests: '1000',
        quotaPeriod: 'month',
        tokenRateLimitRequests: '10',
        tokenRateLimitWindow: '60',
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toMatch(/\/secret$/);
      const secret = /id="application-secret">(sk_sbx_\w+)</.exec(await manager.page(`${keyPath(keyId!)}/secret`))![1]!;
      expect(await apiKey(keyId!)).toMatchObject({
        rateLimit: { requests: 3, windowSeconds: 3600 },
        quota: { requests: 1000, period: 'month' },
        tokenRateLimit: { requests: 10, windowSeconds: 60 },
      });

      const calls = [];
      for (let i = 0; i < 4; i++) calls.push(await gateway.fetch(`/sandbox/api/items/${i}`, { headers: { 'api-key': secret } }));
      expect(calls.map((call) => call.status)).toEqual([200, 200, 200, 429]);
      expect(calls[3]!.headers.get('content-type')).toBe('application/problem+json');
      expect(((await calls[3]!.json()) as { code: string }).code).toBe('rate_limited');

      const page = await manager.page(keyPath(keyId!));
      expect(page).toMatch(/<dd class="rate-limit">3 requests per 3600 s<\/dd>/);
      expect(page).toMatch(/<dd class="quota">1000 requests per month<\/dd>/);
      expect(page).toMatch(/<dd class="token-rate-limit">10 requests per 60 s<\/dd>/);
    });

    it('edits limits from their current values, and empty boxes remove them (the proxy passes again)', async () => {
      const { keyId } = await createInConsole({ rateLimitRequests: '1', rateLimitWindow: '3600', quotaRequests: '5', quotaPeriod: 'day' });
      const secret = /id="application-secret">(sk_sbx_\w+)</.exec(await manager.page(`${keyPath(keyId!)}/secret`))![1]!;
      const call = async () => (await gateway.fetch('/sandbox/api/edit', { headers: { 'api-key': secret } })).status;
      expect([await call(), await call()]).toEqual([200, 429]);

      const form = await manager.page(`${keyPath(keyId!)}/edit`);
      expect(controlOf(form, 'rateLimitRequests')).toContain('value="1"');
      expect(controlOf(form, 'rateLimitWindow')).toContain('value="3600"');
      expect(controlOf(form, 'quotaRequests')).toContain('value="5"');
      expect(form).toMatch(/<option value="day" selected/);

      const name = nameIn(form);
      // A form without the limit boxes (a page from before them, a script) leaves the limits alone.
      expect((await manager.post(`${keyPath(keyId!)}/edit`, { name, expiry: 'keep' })).status).toBe(303);
      expect(await apiKey(keyId!)).toMatchObject({ rateLimit: { requests: 1, windowSeconds: 3600 }, quota: { requests: 5, period: 'day' } });
      const saved = await manager.post(`${keyPath(keyId!)}/edit`, { name, expiry: 'keep', quotaRequests: '5', quotaPeriod: 'month', rateLimitRequests: '', rateLimitWindow: '' });
      expect(saved.status).toBe(303);
      expect(await apiKey(keyId!)).toMatchObject({ rateLimit: null, quota: { requests: 5, period: 'month' }, tokenRateLimit: null });
      expect(await call()).toBe(200);
      expect(await manager.page(keyPath(keyId!))).toMatch(/<dd class="rate-limit">none<\/dd>/);
    });

    it('refuses zero, negative, huge, fractional, non-numeric and half-filled limits beside each field, focus on the first, nothing made', async () => {
      const before = await keyCount();
      const { response } = await createInConsole({
        rateLimitRequests: '0',
        rateLimitWindow: '-5',
        quotaRequests: '99999999999999999999',
        quotaPeriod: 'week',
        tokenRateLimitRequests: '2.5',
        tokenRateLimitWindow: '',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(fieldError(html, 'rateLimitRequests')).toBe('Enter a whole number from 1 to 1,000,000.');
      expect(fieldError(html, 'rateLimitWindow')).toBe('Enter a whole number from 1 to 86,400.');
      expect(fieldError(html, 'quotaRequests')).toBe('Enter a whole number from 1 to 1,000,000,000.');
      expect(fieldError(html, 'quotaPeriod')).toBe('Choose per day or per month.');
      expect(fieldError(html, 'tokenRateLimitRequests')).toBe('Enter a whole number from 1 to 1,000,000.');
      expect(fieldError(html, 'tokenRateLimitWindow')).toContain('Fill this in too');
      for (const field of ['rateLimitRequests', 'rateLimitWindow', 'quotaRequests', 'quotaPeriod', 'tokenRateLimitRequests', 'tokenRateLimitWindow']) {
        expect(controlOf(html, field), field).toContain(`aria-describedby="${field}-error"`);
        expect(controlOf(html, field), field).toContain('aria-invalid="true"');
      }
      // Focus on the first field in error, and the values as typed kept.
      expect(html.match(/autofocus/g)).toHaveLength(1);
      expect(controlOf(html, 'rateLimitRequests')).toContain('autofocus');
      expect(controlOf(html, 'quotaRequests')).toContain('value="99999999999999999999"');
      expect(await keyCount()).toBe(before);

      for (const text of ['abc', '1e3', '0x10', '1 000', '+-1']) {
        const again = await createInConsole({ rateLimitRequests: text, rateLimitWindow: '60' });
        expect(again.response.status, text).toBe(400);
        expect(fieldError(await again.response.text(), 'rateLimitRequests'), text).toBe('Enter a whole number from 1 to 1,000,000.');
      }
      // Blank boxes (spaces included) are no limit.
      const blank = await createInConsole({ rateLimitRequests: ' ', rateLimitWindow: '  ', quotaRequests: '', quotaPeriod: 'month' });
      expect(blank.response.status).toBe(303);
      expect(await apiKey(blank.keyId!)).toMatchObject({ rateLimit: null, quota: null, tokenRateLimit: null });
    });

    it("a manager of another account cannot set a limit on this account's key (403 page), and the key is unchanged", async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: freshName('guarded') });
      const other = (await gateway.createAccount('Other Co')).id;
      const stranger = new ConsoleClient(gateway);
      await stranger.signIn(await createAdminToken(gateway, other, 'manager'));
      await stranger.page(`/console/accounts/${other}/sandbox`);
      for (const path of [`${keyPath(key.id)}/edit`, `/console/accounts/${other}/keys/${key.id}/edit`]) {
        const refused = await stranger.post(path, { name: 'taken-over', expiry: 'keep', rateLimitRequests: '1', rateLimitWindow: '1' });
        expect([403, 404]).toContain(refused.status);
        expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      }
      expect(await apiKey(key.id)).toMatchObject({ rateLimit: null });
    });
  });

  describe('private_key_jwt', () => {
    it('creates a key from a pasted JWK: no secret page, its thumbprint and kid shown, and its private key mints a token', async () => {
      const by = await signer('ES256', 'laptop-2026');
      const { response, keyId } = await createInConsole({ authMethod: 'private_key_jwt', jwks: JSON.stringify(by.publicJwk, null, 2) });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(keyPath(keyId!));
      expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('keymint_console_secret='))).toBe(false);

      const page = await manager.page(keyPath(keyId!));
      expect(page).toContain('It has no secret');
      expect(page).toContain(`<code class="thumbprint">${await calculateJwkThumbprint(by.publicJwk)}</code>`);
      expect(page).toContain('<code>laptop-2026</code>');
      expect(page).toContain('no secret: signs assertions with its own keys');
      expect(page).toContain(`client_assertion_type=${CLIENT_ASSERTION_TYPE}`);
      expect(page).not.toContain('$APPLICATION_SECRET');
      // The secret page has nothing to show for it.
      expect((await manager.request('GET', `${keyPath(keyId!)}/secret`)).status).toBe(410);

      const key = await apiKey(keyId!);
      expect(key).toMatchObject({ authMethod: 'private_key_jwt', secretHint: null });
      // openid-client's own private_key_jwt, unmodified.
      const issuer = gateway.issuer('sandbox');
      const config = new client.Configuration({ issuer, token_endpoint: `${issuer}/oauth/token` }, key.applicationId, undefined, client.PrivateKeyJwt({ key: by.privateKey, kid: by.kid }));
      client.allowInsecureRequests(config);
      expect((await client.clientCredentialsGrant(config)).token_type).toBe('bearer');
    });

    it('accepts a JWK Set of Ed25519 and RSA keys; edit replaces them (the dropped key is refused, the new one mints)', async () => {
      const [ed, rsa, next] = await Promise.all([signer('EdDSA', 'ed'), signer('RS256', 'rsa'), signer('ES256', 'next')]);
      const { response, keyId } = await createInConsole({ authMethod: 'private_key_jwt', jwks: JSON.stringify({ keys: [ed.publicJwk, rsa.publicJwk] }) });
      expect(response.status).toBe(303);
      const { applicationId } = await apiKey(keyId!);
      expect(await mintWithAssertion(applicationId, ed)).toBe(200);
      expect(await mintWithAssertion(applicationId, rsa)).toBe(200);
      const page = await manager.page(keyPath(keyId!));
      expect(page).toContain('RSA 2048 bits');
      expect(page).toContain('OKP Ed25519');

      const form = await manager.page(`${keyPath(keyId!)}/edit`);
      // The edit form starts from the public keys the key holds, and offers no secret/JWT choice.
      expect(form).toContain(ed.publicJwk.x!);
      expect(form).not.toContain('name="authMethod"');
      const name = nameIn(form);
      const saved = await manager.post(`${keyPath(keyId!)}/edit`, { name, expiry: 'keep', jwks: JSON.stringify({ keys: [rsa.publicJwk, next.publicJwk] }) });
      expect(saved.status).toBe(303);
      expect((await apiKey(keyId!)).keys?.map((key) => key.kid)).toEqual(['rsa', 'next']);
      expect(await mintWithAssertion(applicationId, ed)).toBe(401);
      expect(await mintWithAssertion(applicationId, next)).toBe(200);

      // Emptied: a private_key_jwt key needs a key; nothing changes.
      const emptied = await manager.post(`${keyPath(keyId!)}/edit`, { name, expiry: 'keep', jwks: '' });
      expect(emptied.status).toBe(400);
      expect(fieldError(await emptied.text(), 'jwks')).toContain('Paste the client’s public key');
      expect(await mintWithAssertion(applicationId, next)).toBe(200);
    });

    it('refuses bad pastes beside the field, never showing a pasted private key back', async () => {
      const by = await signer('ES256', 'k');
      // jose refuses to make one; WebCrypto does.
      const weak = await crypto.subtle.generateKey(
        { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        true,
        ['sign', 'verify'],
      );
      const smallJwk = await exportJWK(weak.publicKey);
      const six = await Promise.all(Array.from({ length: 6 }, (_, i) => signer('ES256', `k${i}`)));
      const cases: Array<[string, string, RegExp]> = [
        ['bad JSON', '{"kty": "EC", ', /^Not valid JSON: paste a JWK or a JWK Set\.$/],
        ['a private key', JSON.stringify(by.privateJwk), /private key \(it has "d"\).*did not keep what you pasted.*exposed/],
        ['a private key in a set', JSON.stringify({ keys: [by.publicJwk, { ...by.privateJwk, kid: 'other' }] }), /^Key 2: this is a private key/],
        ['a symmetric key', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0', kid: 's' }), /^Key 1: symmetric keys \(kty "oct"\) are not accepted/],
        ['RSA of 1024 bits', JSON.stringify(smallJwk), /^Key 1: RSA keys must have 2048 to 8192 bits \(this one has 1024\)/],
        ['six keys', JSON.stringify({ keys: six.map((signer) => signer.publicJwk) }), /^A key may have at most 5 public keys\.$/],
        ['alg none', JSON.stringify({ ...by.publicJwk, alg: 'none' }), /^Key 1: "alg" must be one of ES256/],
        ['an empty set', '{"keys": []}', /^A JWK Set needs at least one key\.$/],
        ['a JSON string', '"hello"', /^Expected a JWK/],
        ['arrays nested 8,000 deep', `{"keys": ${'['.repeat(8_000)}${']'.repeat(8_000)}}`, /^Key 1: /],
        ['nothing', '', /^Paste the client’s public key/],
      ];
      const before = await keyCount();
      for (const [what, pasted, message] of cases) {
        const { response } = await createInConsole({ authMethod: 'private_key_jwt', jwks: pasted });
        expect(response.status, what).toBe(400);
        const html = await response.text();
        expect(fieldError(html, 'jwks')?.replace(/&quot;/g, '"'), what).toMatch(message);
        expect(controlOf(html, 'jwks'), what).toContain('aria-describedby="jwks-error"');
        expect(controlOf(html, 'jwks'), what).toContain('autofocus');
        expect(html, what).toMatch(/id="auth-private_key_jwt" value="private_key_jwt" checked/);
        if (what.includes('private') || what.includes('symmetric')) {
          expect(html, what).not.toContain(by.privateJwk.d!);
          expect(html, what).not.toContain('c2VjcmV0c2VjcmV0c2VjcmV0');
        }
      }
      expect(await keyCount()).toBe(before);

      // A megabyte pasted: refused as too much data, with an HTML page, before the body is read (the gateway answers
      // and closes while it is still being sent, so fetch would only see the closed socket; a browser shows the page).
      const huge = await postEarlyAnswered(`/console/accounts/${accountId}/keys`, {
        _csrf: manager.csrf,
        environment: 'sandbox',
        name: freshName('huge'),
        authMethod: 'private_key_jwt',
        jwks: `{"keys": [${'{"kty":"EC"},'.repeat(90_000)}]}`,
      });
      expect(huge.status).toBe(413);
      expect(huge.contentType).toMatch(/^text\/html/);
      expect(huge.body).toContain('Too much data');
      // A secret key ignores a stray paste (the field belongs to the other choice).
      const secretKey = await createInConsole({ authMethod: 'client_secret', jwks: JSON.stringify(by.publicJwk) });
      expect(secretKey.response.headers.get('location')).toMatch(/\/secret$/);
      expect(await keyCount()).toBe(before + 1);
      const forged = await createInConsole({ authMethod: 'client_assertion' });
      expect(forged.response.status).toBe(400);
    });

    it('regenerates a private_key_jwt key as the API does: a new application ID at once, no overlap choice, no secret page', async () => {
      const by = await signer('ES256', 'roll');
      const { keyId } = await createInConsole({ authMethod: 'private_key_jwt', jwks: JSON.stringify(by.publicJwk) });
      const before = await apiKey(keyId!);
      const confirm = await manager.page(`${keyPath(keyId!)}/regenerate`);
      expect(confirm).toContain('it gets a new application ID, and its public keys stay as they are');
      expect(confirm).not.toContain('name="overlap"');
      expect(confirm).not.toContain('The secret is shown once');

      // An overlap (which the form does not offer) is refused as the API refuses it, changing nothing.
      const forged = await manager.post(`${keyPath(keyId!)}/regenerate`, { overlap: '3600' });
      expect(forged.status).toBe(400);
      expect(await forged.text()).toContain('no secret to keep working');
      expect((await apiKey(keyId!)).applicationId).toBe(before.applicationId);

      const regenerated = await manager.post(`${keyPath(keyId!)}/regenerate`, {});
      expect(regenerated.status).toBe(303);
      expect(regenerated.headers.get('location')).toBe(keyPath(keyId!));
      const after = await apiKey(keyId!);
      expect(after.applicationId).not.toBe(before.applicationId);
      expect(await manager.page(keyPath(keyId!))).toContain('New application ID made');
      expect(await mintWithAssertion(before.applicationId, by)).toBe(401);
      expect(await mintWithAssertion(after.applicationId, by)).toBe(200);
    });
  });
});
