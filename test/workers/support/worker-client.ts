// Calls the Worker under test (src/runtime/worker.ts through SELF) the way an outside client would.
import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import type { Environment } from '../../../src/shared/domain.js';

/** The origin tests call; with KEYMINT_PUBLIC_URL unset, issuers derive from it. */
export const ORIGIN = 'https://keymint.example';

import type { ApiKeyWithSecret } from '../../support/api-key.js';

// Key names are unique per account and environment (SPEC §9): helpers number the default one.
let keyNames = 0;

export type KeyWithSecret = ApiKeyWithSecret;

export interface Caller {
  applicationId: string;
  applicationSecret: string;
}

export const rootToken = (): string => env.KEYMINT_ADMIN_TOKEN;

export function issuer(environment: Environment): string {
  return `${ORIGIN}/${environment}`;
}

export function call(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, init);
}

/** RFC 6749 §2.3.1: form-urlencode id and secret, then base64 the pair. */
export function basic(clientId: string, secret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(clientId)}:${encode(secret)}`)}`;
}

/** A JSON admin request (root token unless `token` is given). */
export function admin(method: string, path: string, body?: unknown, token: string = rootToken()): Promise<Response> {
  return call(`/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectStatus<T>(response: Response, status: number, what: string): Promise<T> {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function createAccount(name = 'Acme'): Promise<{ id: string; name: string }> {
  return expectStatus(await admin('POST', '/accounts', { name }), 201, 'create account');
}

export async function createAdminToken(accountId: string, role: 'manager' | 'viewer'): Promise<string> {
  const created = await expectStatus<{ token: string }>(
    await admin('POST', `/accounts/${accountId}/admin-tokens`, { name: `${role} token`, role }),
    201,
    'create admin token',
  );
  return created.token;
}

export async function createKey(
  accountId: string,
  input: { environment: Environment; name?: string; scopes?: string[]; expiresAt?: string },
  token?: string,
): Promise<KeyWithSecret> {
  return expectStatus(
    await admin('POST', `/accounts/${accountId}/keys`, { name: `test key ${++keyNames}`, ...input }, token),
    201,
    'create key',
  );
}

/** POSTs form parameters to `/{env}/oauth/{endpoint}`, authenticating `caller` with client_secret_post. */
export function postForm(
  environment: Environment,
  endpoint: 'token' | 'introspect' | 'revoke',
  params: Record<string, string>,
  caller?: Caller,
): Promise<Response> {
  return call(`/${environment}/oauth/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...(caller && { client_id: caller.applicationId, client_secret: caller.applicationSecret }),
      ...params,
    }),
  });
}

/** client_secret_basic exchange; returns the raw response. */
export function exchange(
  environment: Environment,
  clientId: string,
  secret: string,
  params: Record<string, string> = {},
): Promise<Response> {
  return call(`/${environment}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
}

/** An exchange that must succeed; returns the access token. */
export async function mint(environment: Environment, key: Caller, params: Record<string, string> = {}): Promise<string> {
  const body = await expectStatus<{ access_token: string }>(
    await exchange(environment, key.applicationId, key.applicationSecret, params),
    200,
    'mint',
  );
  return body.access_token;
}

export async function introspect(environment: Environment, caller: Caller, token: string): Promise<Record<string, unknown>> {
  return expectStatus(await postForm(environment, 'introspect', { token }, caller), 200, 'introspect');
}

export function tokenInfo(environment: Environment, token: string): Promise<Response> {
  return call(`/${environment}/oauth/tokeninfo`, { headers: { authorization: `Bearer ${token}` } });
}

/** Asserts an RFC 9457 problem answer and returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

/** Asserts an RFC 6749 §5.2 error answer and returns its body. */
export async function expectOAuthError(response: Response, status: number, error: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ error, error_description: expect.any(String) });
  return body;
}
