// POST /{env}/oauth/token — RFC 6749's checklist: no caching, the body, client authentication, the grant type,
// the DPoP proof (RFC 9449), then the grant (client credentials, RFC 8693 token exchange), answering RFC 9068 session tokens.
import { createRoute } from '../openapi/route.js';
import type { Context, Handler } from 'hono';
import * as z from 'zod';
import { CLIENT_SECURITY, environmentParams, json, oauthErrors } from '../openapi/shared.js';
import { invalidRequest, NO_STORE_HEADERS, OAuthError } from '../errors/oauth-error.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { StaleKeyError } from '../../ports/key-versions.js';
import type { ClientAuthContext } from '../../core/client-auth.js';
import type { KeyRecord } from '../../ports/key-store.js';
import type { KeyRef } from '../../ports/key-ref.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '../../core/token-exchange.js';
import { keyLimits } from '../../core/key-limits.js';
import { mintRefusal } from '../errors/limit-refusals.js';
import { limitHeaders } from '../rate-limit-fields.js';
import { authenticateClient } from './client-auth.js';
import { readDpopProof, tokenRequestDpopRefusal } from './dpop.js';
import { readOAuthParams, type OAuthParams } from './form.js';
import { TOKEN_GRANTS } from './grants/index.js';

export const tokenResponseSchema = z
  .strictObject({
    access_token: z.string().meta({ description: 'RFC 9068 JWT (typ at+jwt)' }),
    token_type: z.enum(['Bearer', 'DPoP']).meta({ description: 'DPoP when the request carried a DPoP proof: the token is bound to its key (cnf.jkt)' }),
    expires_in: z.number().int(),
    scope: z.string(),
    issued_token_type: z.literal(ACCESS_TOKEN_TYPE).optional().meta({ description: 'Token exchange only (RFC 8693 §2.2.1)' }),
  })
  .meta({ id: 'TokenResponse' });

const optionalText = (description: string) => z.string().optional().meta({ description });

export const tokenRoute = createRoute({
  method: 'post',
  path: '/{env}/oauth/token',
  tags: ['OAuth'],
  summary: 'Exchange client credentials for a session token, or a session token for a narrower one (RFC 8693)',
  security: CLIENT_SECURITY,
  request: {
    params: environmentParams,
    headers: z.object({
      DPoP: optionalText('RFC 9449 proof (htm POST, htu this endpoint): the token is bound to its key and typed DPoP'),
    }),
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({
            grant_type: z.enum(['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE]),
            scope: optionalText("Space-delimited subset of the key's scopes (of the subject token's, for an exchange); default all"),
            client_id: z.string().optional(),
            client_secret: z.string().optional(),
            client_assertion_type: optionalText('urn:ietf:params:oauth:client-assertion-type:jwt-bearer (private_key_jwt keys)'),
            client_assertion: optionalText('RFC 7523 JWT signed with one of the key’s registered keys'),
            subject_token: optionalText('Token exchange: a live session token of this client'),
            subject_token_type: optionalText(`Token exchange: ${ACCESS_TOKEN_TYPE}`),
            requested_token_type: optionalText(`Token exchange: ${ACCESS_TOKEN_TYPE} (the default)`),
            resource: optionalText(
              "RFC 8707. Client credentials: the audience of one of the environment's services; the token's aud is then that URI and only that service accepts it (default: the environment's default audience, which every service accepts). Token exchange: one audience the subject token already reaches",
            ),
            audience: optionalText('Token exchange: the same as resource'),
          }),
        },
      },
    },
  },
  responses: {
    200: json(tokenResponseSchema, "A session token (with the RateLimit fields when the key has a tokenRateLimit)"),
    ...oauthErrors(400, 401, 413, 429, 503),
  },
});

function refusalReason(error: unknown): string {
  if (error instanceof OAuthError) return error.reason;
  if (error instanceof StoreUnavailableError) return 'temporarily_unavailable';
  return 'server_error';
}

/**
 * RFC 9449 §5: the proof of a token request, checked after client authentication (so an unknown caller
 * cannot spend jtis); its thumbprint binds the token. Answers the fresh nonce the answer should carry. The proof is
 * verified once per request, however many times the request is answered for (its jti is spent by the first).
 */
function dpopCheck(c: Context, services: Services, environment: Environment) {
  let verifying: ReturnType<Services['dpop']['verifyTokenRequestProof']> | undefined;
  return async (key: KeyRecord) => {
    const proof = readDpopProof(c);
    if (proof === undefined) {
      if (key.requireDpop) throw tokenRequestDpopRefusal('proof_required', undefined);
      return { jkt: undefined, nonce: undefined };
    }
    verifying ??= services.dpop.verifyTokenRequestProof(environment, proof, `${services.tokens.issuer(environment)}/oauth/token`);
    const verified = await verifying;
    if (!verified.ok) {
      const nonce = verified.reason === 'use_nonce' ? await services.dpop.issueNonce(environment) : undefined;
      throw tokenRequestDpopRefusal(verified.reason, verified.detail, nonce);
    }
    const nonce = verified.value.nonce === 'recent' ? await services.dpop.issueNonce(environment) : undefined;
    return { jkt: verified.value.jkt, nonce };
  };
}

/** One answer to a token request (there is a second when a kept key row turns out stale). */
interface Attempt {
  /** Given: a kept key row may authenticate the client before its mark is read (ClientAuthContext.keptRows). */
  keptRows?: ClientAuthContext['keptRows'];
  /** The key whose minting budget refused the answer, counted once the refusal is the one answered. */
  limited?: KeyRef;
}

export function tokenEndpoint(services: Services, environment: Environment): Handler {
  /** Whether the attempt's key is as it is now: an unconfirmed kept row's mark is read (once); false drops its rows. */
  async function stillKept(attempt: Attempt): Promise<boolean> {
    const mark = attempt.keptRows?.unconfirmed;
    if (mark === undefined) return true;
    attempt.keptRows!.unconfirmed = undefined;
    return services.clients.confirmKept(environment, mark);
  }

  /**
   * Answers the request once. With `attempt.keptRows`, a kept key row may authenticate the client before its mark is
   * read (core/key-rows.ts): the session write then checks the mark (StaleKeyError when the key changed), and a
   * refusal after authentication is checked by the caller (`confirmKept`) before it is answered.
   */
  async function answer(c: Context, params: OAuthParams, checkDpop: ReturnType<typeof dpopCheck>, attempt: Attempt) {
    const key = await authenticateClient(c, services, environment, params, attempt.keptRows);
    const grantType = params.get('grant_type');
    if (grantType === undefined) throw invalidRequest('grant_type is required');
    const grant = TOKEN_GRANTS.get(grantType);
    if (!grant) {
      throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be one of ${[...TOKEN_GRANTS.keys()].join(', ')}`);
    }
    const dpop = await checkDpop(key);
    const keyRef = { environment, keyId: key.id };
    // Before the issuance cache: every token answered (by either grant) counts against the key's minting budget.
    const { tokenRateLimit } = keyLimits(key);
    // Spent only for the key as it is now: a kept row's key is checked first, so a request answered again after
    // a change is not charged twice.
    if (tokenRateLimit && !(await stillKept(attempt))) throw new StaleKeyError(key.id);
    const decision = tokenRateLimit && (await services.keyLimiter.admitMint(keyRef, tokenRateLimit));
    if (decision && !decision.allowed) {
      attempt.limited = keyRef;
      throw mintRefusal(decision);
    }
    const { issued, issuedTokenType } = await grant.handler({
      c,
      services,
      environment,
      params,
      key,
      jkt: dpop.jkt,
      requireDpop: key.requireDpop,
      whileMark: attempt.keptRows?.unconfirmed,
    });
    services.metrics.tokenMinted(environment, issued.cache);
    services.usageCounts.count(keyRef, 'tokens');
    return c.json(
      {
        access_token: issued.accessToken,
        token_type: issued.tokenType,
        expires_in: issued.expiresIn,
        scope: issued.scope,
        ...(issuedTokenType !== undefined && { issued_token_type: issuedTokenType }),
      },
      200,
      { ...NO_STORE_HEADERS, ...(decision && limitHeaders(decision)), ...(dpop.nonce !== undefined && { 'DPoP-Nonce': dpop.nonce }) },
    );
  }

  return async function token(c) {
    let attempt: Attempt = { keptRows: {} };
    try {
      const params = await readOAuthParams(c);
      const checkDpop = dpopCheck(c, services, environment);
      try {
        return await answer(c, params, checkDpop, attempt);
      } catch (error) {
        // What a kept row decided stands only while its key's mark does; otherwise the request is answered again
        // from the store's row (a signature made for a stale row is thrown away).
        if (!(error instanceof OAuthError || error instanceof StaleKeyError)) throw error;
        // (A session write that found the mark moved left it unread here: reading it drops the key's kept rows.)
        const stale = !(await stillKept(attempt)) || error instanceof StaleKeyError;
        if (!stale) throw error;
        attempt = {};
        return await answer(c, params, checkDpop, attempt);
      }
    } catch (error) {
      if (attempt.limited) services.usageCounts.count(attempt.limited, 'rate_limited');
      services.metrics.tokenRefused(environment, refusalReason(error));
      throw error;
    }
  };
}
