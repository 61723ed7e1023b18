// OAuth errors as RFC 6749 §5.2 JSON: `{error, error_description}`, never cached.
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  // RFC 8707 §2: a `resource` this server cannot issue a token for.
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'slow_down'
  | 'server_error'
  // RFC 6750 §3.1, for bearer-token callers.
  | 'invalid_token'
  | 'insufficient_scope';

export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export class OAuthError extends Error {
  override name = 'OAuthError';

  constructor(
    readonly status: 400 | 401 | 403 | 405 | 413 | 415 | 429 | 500 | 503,
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
    /** Why, in more detail than the wire code (metrics only; never sent). */
    readonly reason: string = error,
  ) {
    super(`${error}: ${description}`);
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.error, error_description: this.description }), {
      status: this.status,
      headers: { 'Content-Type': 'application/json', ...NO_STORE_HEADERS, ...this.headers },
    });
  }
}

export const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);

/** 429 to a caller whose recent authentication failures reached a limit; `retryAfter` in seconds. */
export const tooManyFailures = (retryAfter: number) =>
  new OAuthError(
    429,
    'slow_down',
    'too many failed client authentications; try again later',
    { 'Retry-After': String(retryAfter) },
    'rate_limited',
  );
