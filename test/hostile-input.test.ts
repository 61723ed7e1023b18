// Property-based hostile input: thousands of generated requests at the OAuth and admin endpoints.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, redisUrl, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';

const RUNS_PER_GROUP = 2600;

const INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE api_keys; --",
  '{"$ne":null}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\uD800',
  '🦄'.repeat(50),
  'A'.repeat(5000),
];

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(...INJECTIONS),
);
// Percent-encoding of any string, lone surrogates included (they become U+FFFD).
const enc = (value: string) => encodeURIComponent(value.toWellFormed());
// What fetch can put in a header: visible Latin-1 (control characters would never reach the server).
const headerText = text.map((value) => value.replace(/[^\x20-\x7e\xa0-\xff]/g, '').trim());
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
  'application/json; charset=latin1',
);

describe('hostile input', () => {
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  let accountId: string;
  let database: Database.Database;
  let redis: Redis | undefined;

  beforeAll(async () => {
    // High limits so the generated requests reach every path, not just the 429.
    gateway = await startGateway({
      env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '1000000', KEYMINT_AUTH_FAILURES_PER_IP: '1000000' },
    });
    accountId = (await gateway.createAccount()).id;
    key = await gateway.createKey(accountId, { environment: 'sandbox', scopes: ['read'] });
    database = new Database(gateway.config.database, { readonly: true });
    if (redisUrl()) redis = new Redis(redisUrl()!);
  });
  afterAll(async () => {
    database.close();
    redis?.disconnect();
    await gateway.close();
  });

  function rowCounts(): string {
    return JSON.stringify(
      database
        .prepare(
          `select (select count(*) from accounts) a, (select count(*) from admin_tokens) t,
                  (select count(*) from api_keys) k, (select count(*) from operations) o,
                  (select count(*) from signing_keys) s`,
        )
        .get(),
    );
  }

  // Session records and reusable tokens; failure counters and a key's usage counts (SPEC §7 counts
  // `invalid_credentials` refusals) are what a rejection is meant to write.
  async function sessionKeys(): Promise<string[]> {
    if (!redis) return [];
    const keys = await redis.keys(`${gateway.config.redisPrefix}:*`);
    return keys.filter((name) => !name.includes(':authfail:') && !/:usage:\d{8}$/.test(name)).sort();
  }

  async function send(path: string, init: RequestInit) {
    const before = rowCounts();
    const sessionsBefore = await sessionKeys();
    const response = await gateway.fetch(path, init);
    const body = await response.text();
    expect(response.status, `${init.method} ${path} → ${response.status} ${body}`).toBeLessThan(500);
    if (response.status >= 400) {
      expect(rowCounts(), `${init.method} ${path} wrote rows`).toBe(before);
      expect(await sessionKeys(), `${init.method} ${path} wrote session keys`).toEqual(sessionsBefore);
    }
    return { response, body };
  }

  const oauthAuthorization = fc.oneof(
    fc.constant(undefined),
    headerText.map((value) => `Basic ${value}`),
    text.map((value) => `Basic ${btoa(unescape(enc(value)))}`),
    text.map((secret) => basic(key.applicationId, secret)),
    fc.constant('Basic '),
    fc.constant('Basic Og=='),
    headerText.map((value) => `Bearer ${value}`),
  );

  const oauthBody = fc.oneof(
    fc.dictionary(fc.constantFrom('grant_type', 'scope', 'client_id', 'client_secret', 'token', 'token_type_hint', 'x'), text)
      .map((params) => new URLSearchParams(params).toString()),
    fc.array(fc.tuple(fc.constantFrom('grant_type', 'client_id', 'scope', 'token'), text), { maxLength: 6 })
      .map((pairs) => pairs.map(([name, value]) => `${name}=${enc(value)}`).join('&')),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    text,
    fc.integer({ min: 15_000, max: 40_000 }).map((size) => `grant_type=client_credentials&scope=${'a'.repeat(size)}`),
  );

  function checkOAuthShape(status: number, headers: Headers, body: string) {
    if (status < 400) return;
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    const parsed = JSON.parse(body) as { error: unknown; error_description: unknown };
    expect(typeof parsed.error).toBe('string');
    expect(parsed.error).toMatch(/^[a-z_]+$/);
  }

  for (const endpoint of ['token', 'introspect', 'revoke']) {
    it(`never fails, leaks or writes on hostile requests to /oauth/${endpoint}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
          fc.constantFrom('sandbox', 'production'),
          contentType,
          oauthAuthorization,
          oauthBody,
          async (method, environment, type, authorization, body) => {
            const headers: Record<string, string> = {};
            if (type) headers['content-type'] = type;
            if (authorization !== undefined) headers.authorization = authorization;
            const withBody = method !== 'GET';
            const { response, body: answer } = await send(`/${environment}/oauth/${endpoint}`, {
              method,
              headers,
              body: withBody ? body : undefined,
            });
            checkOAuthShape(response.status, response.headers, answer);
          },
        ),
        { numRuns: RUNS_PER_GROUP },
      );
    }, 120_000);
  }

  it('never fails, leaks or writes on hostile requests to the admin API', async () => {
    const paths = fc.oneof(
      fc.constant('/accounts'),
      fc.constant(`/accounts/${'acct_x'}`),
      text.map((id) => `/accounts/${enc(id)}`),
      text.map((id) => `/accounts/${accountId}/keys/${enc(id)}`),
      fc.constant(`/accounts/${accountId}/keys`),
      text.map((cursor) => `/accounts/${accountId}/keys?limit=${enc(cursor)}&cursor=${enc(cursor)}`),
      fc.constant(`/accounts/${accountId}/keys/${key.id}`),
      fc.constant(`/accounts/${accountId}/admin-tokens`),
      text.map((value) => `/accounts/${accountId}/operations?limit=${enc(value)}`),
      fc.constant('/environments/staging/signing-keys'),
    );
    const adminBody = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.record(
        {
          environment: fc.oneof(text, fc.constantFrom('sandbox', 'production')),
          name: fc.oneof(text, fc.integer(), fc.constant(null)),
          scopes: fc.oneof(fc.array(text, { maxLength: 60 }), text),
          expiresAt: fc.oneof(text, fc.constant('2001-01-01T00:00:00Z'), fc.constant(null)),
          role: fc.oneof(text, fc.constant('owner')),
          extra: text,
        },
        { requiredKeys: [] },
      ).map((value) => JSON.stringify(value)),
      text,
      fc.integer({ min: 70_000, max: 90_000 }).map((size) => JSON.stringify({ name: 'x'.repeat(size) })),
    );
    const token = fc.oneof(
      fc.constant(gateway.rootToken),
      fc.constant(undefined),
      headerText.map((value) => `Bearer ${value}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'PATCH', 'DELETE', 'PUT'),
        paths,
        contentType,
        token,
        adminBody,
        async (method, path, type, auth, body) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (auth === gateway.rootToken) headers.authorization = `Bearer ${auth}`;
          else if (auth !== undefined) headers.authorization = auth;
          // Only refusals are checked for writes; don't let the run create real keys or delete the fixture.
          const writes = method !== 'GET' && headers.authorization === `Bearer ${gateway.rootToken}`;
          const safePath = writes && /\/keys\/key_|\/keys$|\/accounts$|admin-tokens/.test(path) ? `${path}/x` : path;
          const { response, body: answer } = await send(`/admin/v1${safePath}`, {
            method,
            headers,
            body: method === 'GET' ? undefined : body,
          });
          if (response.status >= 400) {
            expect(response.headers.get('content-type')).toBe('application/problem+json');
            const problem = JSON.parse(answer) as Record<string, unknown>;
            expect(problem).toMatchObject({ status: response.status });
            expect(typeof problem.type).toBe('string');
            expect(typeof problem.title).toBe('string');
            expect(typeof problem.detail).toBe('string');
          }
        },
      ),
      { numRuns: RUNS_PER_GROUP },
    );
  }, 120_000);
});
