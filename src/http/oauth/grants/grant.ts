// The shape every grant of the token endpoint has (node-oidc-provider's lib/actions/grants/*: one module a grant type).
import type { Context } from 'hono';
import type { IssuedSession } from '../../../core/sessions.js';
import type { KeyRecord } from '../../../ports/key-store.js';
import type { KeyMark } from '../../../ports/key-versions.js';
import type { Environment } from '../../../shared/domain.js';
import type { Services } from '../../services.js';
import type { OAuthParams } from '../form.js';

/** What the token endpoint hands a grant once the client is authenticated and its DPoP proof (if any) verified. */
export interface TokenGrantRequest {
  c: Context;
  services: Services;
  environment: Environment;
  params: OAuthParams;
  /** The authenticated client's key. */
  key: KeyRecord;
  /** The thumbprint of the request's verified DPoP proof, when it had one. */
  jkt: string | undefined;
  /** The key never gets a bearer token (`requireDpop`). */
  requireDpop: boolean;
  /** The mark of the kept row `key` came from, for the session write to check (IssueOptions.whileMark). */
  whileMark: KeyMark | undefined;
}

/** A grant's answer: the session it issued, and RFC 8693's `issued_token_type` when the grant says one. */
export interface TokenGrantAnswer {
  issued: IssuedSession;
  issuedTokenType?: string;
}

export interface TokenGrant {
  grantType: string;
  /** The body parameters the grant reads (besides grant_type and client authentication), for the OpenAPI form. */
  parameters: readonly string[];
  /** Issues the token, or throws the RFC 6749 §5.2 error. */
  handler(request: TokenGrantRequest): Promise<TokenGrantAnswer>;
}
