// OAuth calls the integration tests share: form posts to introspect/revoke/token, tokeninfo, and a movable clock.
import type { Environment } from '../../src/shared/domain.js';
import type { ApiKeyWithSecret, Gateway } from './gateway.js';
import { basic } from './gateway.js';

export type OAuthEndpoint = 'token' | 'introspect' | 'revoke';

/** POSTs form parameters to `/{env}/oauth/{endpoint}`, authenticating `caller` with client_secret_post. */
export function postForm(
  gateway: Gateway,
  environment: Environment,
  endpoint: OAuthEndpoint,
  params: Record<string, string>,
  caller?: Pick<ApiKeyWithSecret, 'applicationId' | 'applicationSecret'>,
): Promise<Response> {
  return gateway.fetch(`/${environment}/oauth/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...(caller && { client_id: caller.applicationId, client_secret: caller.applicationSecret }),
      ...params,
    }),
  });
}

/** RFC 7662 answer of `environment`'s introspection endpoint for `token`, asked by `caller`. */
export async function introspect(
  gateway: Gateway,
  environment: Environment,
  caller: ApiKeyWithSecret,
  token: string,
): Promise<Record<string, unknown>> {
  const response = await postForm(gateway, environment, 'introspect', { token }, caller);
  if (response.status !== 200) throw new Error(`introspect: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** RFC 7009 revocation by `caller` (client_secret_basic); returns the raw response. */
export function revoke(gateway: Gateway, environment: Environment, caller: ApiKeyWithSecret, token: string): Promise<Response> {
  return gateway.fetch(`/${environment}/oauth/revoke`, {
    method: 'POST',
    headers: {
      authorization: basic(caller.applicationId, caller.applicationSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
}

export function tokenInfo(gateway: Gateway, environment: Environment, token?: string): Promise<Response> {
  return gateway.fetch(`/${environment}/oauth/tokeninfo`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** A clock the test moves by hand; it starts at the real time so Redis TTLs stay in the future. */
export interface TestClock {
  now(): number;
  advance(seconds: number): void;
  /** Where it stopped (`frozen`), or null when it runs with real time; a gateway in another process keeps it from these. */
  readonly frozenAt: number | null;
  /** How far the test advanced it, in milliseconds. */
  readonly offsetMs: number;
}

/** Real time plus what the test advanced; `frozen` stops real time at the moment of creation (exact seconds). */
export function createTestClock(options: { frozen?: boolean } = {}): TestClock {
  const frozenAt = options.frozen ? Date.now() : null;
  let offset = 0;
  return {
    now: () => (frozenAt ?? Date.now()) + offset,
    advance(seconds) {
      offset += seconds * 1000;
    },
    frozenAt,
    get offsetMs() {
      return offset;
    },
  };
}
