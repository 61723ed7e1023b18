// Token exchange (RFC 8693) for down-scoping: what a token derived from a live session token of the same client may carry.
//
// The caller is the client the subject token was issued to, so there is no second party: no `act` (RFC 8693
// §4.1 names an actor that is not the subject, and `actor_token` is refused) and no `may_act`. What the
// derived token owes its subject is recorded in its session record instead: `parentJti` and the ancestry
// that lets revoking any ancestor revoke it.
import type { Environment } from '../shared/domain.js';
import { assertNever, fail, ok, type Result } from '../shared/result.js';
import { grantScopes } from './scopes.js';

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** A derived token may itself be exchanged, this many times from the original at most (keeps records small). */
export const MAX_EXCHANGE_DEPTH = 4;

export type TokenExchangeFailure =
  | 'unsupported_token_type'
  | 'unsupported_requested_token_type'
  | 'actor_token_not_supported'
  | 'subject_invalid'
  | 'subject_other_client'
  | 'subject_other_environment'
  | 'subject_expired'
  | 'invalid_scope'
  | 'invalid_target'
  | 'dpop_proof_required'
  | 'dpop_key_mismatch'
  | 'exchange_too_deep';

/** The subject token's verified claims, with what its session record adds. */
export interface ExchangeSubject {
  jti: string;
  client_id: string;
  env: Environment;
  acct: string;
  scope: string;
  aud: string | readonly string[];
  /** Seconds since the epoch. */
  exp: number;
  cnf?: { jkt?: string } | undefined;
  /** From the subject's session record: the jtis it was derived from, nearest first (none for a minted token). */
  ancestors?: readonly string[] | undefined;
}

/** The RFC 8693 §2.1 parameters of the request, as the form carried them. */
export interface ExchangeRequest {
  subjectTokenType: string | undefined;
  requestedTokenType?: string | undefined;
  actorToken?: string | undefined;
  scope?: string | undefined;
  /** Every `resource` parameter (RFC 8707), then every `audience` parameter. */
  resources?: readonly string[];
  audiences?: readonly string[];
}

export interface ExchangeCaller {
  clientId: string;
  environment: Environment;
  /** The key's `requireDpop`: it never gets a bearer token. */
  requireDpop: boolean;
  /** The jkt of the request's verified DPoP proof, when it had one. */
  proofJkt?: string | undefined;
}

/** The audiences of the environment: its default (`${publicUrl}/{env}/api`) and each service's own (SPEC §7). */
export interface EnvironmentAudiences {
  default: string;
  services?: readonly string[];
}

export interface ExchangeDecision {
  scope: string;
  aud: string | string[];
  /** Seconds since the epoch; never later than the subject's. */
  exp: number;
  cnf?: { jkt: string };
  tokenType: 'Bearer' | 'DPoP';
  issuedTokenType: typeof ACCESS_TOKEN_TYPE;
  /** For the derived session record: revoking any of these revokes it. */
  parentJti: string;
  ancestors: string[];
}

// A token for the environment's default audience is accepted by every service (SPEC §7), so it may be
// narrowed to any one service's audience; a token for one audience only to that audience.
function reaches(subjectAudiences: readonly string[], target: string, environment: EnvironmentAudiences): boolean {
  if (subjectAudiences.includes(target)) return true;
  return subjectAudiences.includes(environment.default) && (environment.services ?? []).includes(target);
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.length > 2048 || value.includes('#')) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** RFC 8693 §2.1 and §2.2 for keymint's down-scoping: the derived token is never broader, longer-lived or less bound. */
export function decideTokenExchange(input: {
  subject: ExchangeSubject;
  request: ExchangeRequest;
  caller: ExchangeCaller;
  /** Milliseconds since the epoch. */
  now: number;
  /** The environment's session-token lifetime, in seconds. */
  lifetimeSeconds: number;
  audiences: EnvironmentAudiences;
}): Result<ExchangeDecision, TokenExchangeFailure> {
  const { subject, request, caller } = input;
  if (request.subjectTokenType !== ACCESS_TOKEN_TYPE) return fail('unsupported_token_type');
  if (request.requestedTokenType !== undefined && request.requestedTokenType !== ACCESS_TOKEN_TYPE) {
    return fail('unsupported_requested_token_type');
  }
  if (request.actorToken !== undefined) return fail('actor_token_not_supported');

  if (subject.env !== caller.environment) return fail('subject_other_environment');
  if (subject.client_id !== caller.clientId) return fail('subject_other_client');
  const now = Math.floor(input.now / 1000);
  if (subject.exp <= now) return fail('subject_expired');
  const ancestors = [subject.jti, ...(subject.ancestors ?? [])];
  if (ancestors.length > MAX_EXCHANGE_DEPTH) return fail('exchange_too_deep');

  const granted = grantScopes(request.scope, subject.scope === '' ? [] : subject.scope.split(' '));
  if (!granted.ok) return fail('invalid_scope');

  const subjectAudiences = typeof subject.aud === 'string' ? [subject.aud] : [...subject.aud];
  const targets = [...new Set([...(request.resources ?? []), ...(request.audiences ?? [])])];
  // One target, as at the token endpoint (SPEC §7); it can only narrow what the subject already reaches.
  if (targets.length > 1) return fail('invalid_target');
  const target = targets[0];
  if (target !== undefined && !(isAbsoluteUriWithoutFragment(target) && reaches(subjectAudiences, target, input.audiences))) {
    return fail('invalid_target');
  }
  const audiences = target !== undefined ? [target] : subjectAudiences;

  // A bound subject is exchanged only by its key holder, and what is derived stays bound to that key:
  // otherwise a stolen DPoP token could be traded for a bearer one.
  const boundTo = subject.cnf?.jkt;
  let jkt: string | undefined;
  if (boundTo !== undefined) {
    if (caller.proofJkt === undefined) return fail('dpop_proof_required');
    if (caller.proofJkt !== boundTo) return fail('dpop_key_mismatch');
    jkt = boundTo;
  } else {
    if (caller.requireDpop && caller.proofJkt === undefined) return fail('dpop_proof_required');
    jkt = caller.proofJkt;
  }

  const decision: ExchangeDecision = {
    scope: granted.value.join(' '),
    aud: audiences.length === 1 ? audiences[0]! : audiences,
    exp: Math.min(subject.exp, now + input.lifetimeSeconds),
    tokenType: jkt === undefined ? 'Bearer' : 'DPoP',
    issuedTokenType: ACCESS_TOKEN_TYPE,
    parentJti: subject.jti,
    ancestors,
  };
  if (jkt !== undefined) decision.cnf = { jkt };
  return ok(decision);
}

/**
 * The wire answer (RFC 8693 §2.2.2): an unacceptable subject token is `invalid_request`, with one
 * description for every way it can be unacceptable, so a stolen token teaches nothing about itself.
 */
export function answerTokenExchangeFailure(reason: TokenExchangeFailure): {
  error: 'invalid_request' | 'invalid_scope' | 'invalid_target' | 'invalid_dpop_proof';
  description: string;
} {
  switch (reason) {
    case 'unsupported_token_type':
      return { error: 'invalid_request', description: `subject_token_type must be ${ACCESS_TOKEN_TYPE}` };
    case 'unsupported_requested_token_type':
      return { error: 'invalid_request', description: `requested_token_type may only be ${ACCESS_TOKEN_TYPE}` };
    case 'actor_token_not_supported':
      return { error: 'invalid_request', description: 'actor_token is not supported: only down-scoping by the same client' };
    case 'subject_invalid':
    case 'subject_other_client':
    case 'subject_other_environment':
    case 'subject_expired':
      return { error: 'invalid_request', description: 'the subject_token is not a live session token of this client in this environment' };
    case 'exchange_too_deep':
      return { error: 'invalid_request', description: `a token can be exchanged at most ${MAX_EXCHANGE_DEPTH} times over` };
    case 'invalid_scope':
      return { error: 'invalid_scope', description: "the requested scope must be a subset of the subject_token's scope" };
    case 'invalid_target':
      return { error: 'invalid_target', description: 'resource (or audience) may name one audience that the subject_token already reaches' };
    case 'dpop_proof_required':
      return { error: 'invalid_dpop_proof', description: 'a DPoP proof is required: the subject_token is DPoP-bound, or this key requires DPoP' };
    case 'dpop_key_mismatch':
      return { error: 'invalid_dpop_proof', description: 'the DPoP proof must be signed with the key the subject_token is bound to' };
    default:
      return assertNever(reason);
  }
}
