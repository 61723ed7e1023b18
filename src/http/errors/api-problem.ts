// Admin API errors as RFC 9457 problem details, with a closed set of codes.
export type ProblemCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'limit_exceeded'
  | 'name_taken'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'internal_error';

const TITLES: Record<ProblemCode, string> = {
  invalid_request: 'Invalid request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  limit_exceeded: 'Limit exceeded',
  name_taken: 'Name taken',
  rate_limited: 'Too many requests',
  quota_exceeded: 'Quota exceeded',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  unavailable: 'Service unavailable',
  bad_gateway: 'Bad gateway',
  gateway_timeout: 'Gateway timeout',
  internal_error: 'Internal error',
};

export interface ProblemIssue {
  path: string;
  message: string;
}

export class ApiProblem extends Error {
  override name = 'ApiProblem';

  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    /** `members`: extension members (RFC 9457 §3.2) beside the standard ones. */
    readonly extra: { issues?: ProblemIssue[]; headers?: Record<string, string>; members?: Record<string, unknown> } = {},
  ) {
    super(`${code}: ${detail}`);
  }

  toResponse(): Response {
    const body = {
      type: `urn:keymint:problem:${this.code}`,
      title: TITLES[this.code],
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.extra.issues && { issues: this.extra.issues }),
      ...this.extra.members,
    };
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...this.extra.headers },
    });
  }
}

export const notFound = (detail = 'no such resource') => new ApiProblem(404, 'not_found', detail);
