import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  answerTokenExchangeFailure,
  decideTokenExchange,
  MAX_EXCHANGE_DEPTH,
  type ExchangeCaller,
  type ExchangeRequest,
  type ExchangeSubject,
  type TokenExchangeFailure,
} from './token-exchange.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const CLIENT = 'app_sbx_4Jr9c2Hq8LmNpQ1sT5vW7xYz';
const API = 'https://keymint.test/sandbox/api';
// A service's own audience (SPEC §7).
const ORDERS = 'https://orders.keymint.test';
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

const subject: ExchangeSubject = {
  jti: 'parent-jti',
  client_id: CLIENT,
  env: 'sandbox',
  acct: 'acct_1',
  scope: 'orders:read orders:write stock',
  aud: API,
  exp: NOW_S + 1800,
};
const caller: ExchangeCaller = { clientId: CLIENT, environment: 'sandbox', requireDpop: false };
const request: ExchangeRequest = { subjectTokenType: ACCESS_TOKEN_TYPE };

function decide(overrides: { subject?: Partial<ExchangeSubject>; request?: Partial<ExchangeRequest>; caller?: Partial<ExchangeCaller> } = {}) {
  return decideTokenExchange({
    subject: { ...subject, ...overrides.subject },
    request: { ...request, ...overrides.request },
    caller: { ...caller, ...overrides.caller },
    now: NOW,
    lifetimeSeconds: 3600,
    audiences: { default: API, services: [ORDERS] },
  });
}

function refusal(overrides: Parameters<typeof decide>[0]): TokenExchangeFailure {
  const result = decide(overrides);
  if (result.ok) throw new Error('expected a refusal');
  return result.reason;
}

describe('decideTokenExchange', () => {
  it('by default derives a token with the subject’s scope, audience and expiry, recording its parent', () => {
    expect(decide()).toEqual({
      ok: true,
      value: {
        scope: 'orders:read orders:write stock',
        aud: API,
        exp: NOW_S + 1800,
        tokenType: 'Bearer',
        issuedTokenType: ACCESS_TOKEN_TYPE,
        parentJti: 'parent-jti',
        ancestors: ['parent-jti'],
      },
    });
  });

  it('narrows the scope to a requested subset', () => {
    expect(decide({ request: { scope: 'stock orders:read' } })).toMatchObject({ ok: true, value: { scope: 'orders:read stock' } });
  });

  it('refuses a scope the subject does not carry, or a malformed one', () => {
    expect(refusal({ request: { scope: 'orders:read admin' } })).toBe('invalid_scope');
    expect(refusal({ request: { scope: 'orders:read "x"' } })).toBe('invalid_scope');
    expect(refusal({ subject: { scope: '' }, request: { scope: 'stock' } })).toBe('invalid_scope');
  });

  it('never outlives the subject, nor the environment’s lifetime', () => {
    expect(decide({ subject: { exp: NOW_S + 5 } })).toMatchObject({ ok: true, value: { exp: NOW_S + 5 } });
    expect(decide({ subject: { exp: NOW_S + 86_400 } })).toMatchObject({ ok: true, value: { exp: NOW_S + 3600 } });
  });

  it('refuses an expired subject', () => {
    expect(refusal({ subject: { exp: NOW_S } })).toBe('subject_expired');
  });

  it('refuses the subject token of another client or environment', () => {
    expect(refusal({ subject: { client_id: 'app_sbx_someoneElse' } })).toBe('subject_other_client');
    expect(refusal({ subject: { env: 'production' } })).toBe('subject_other_environment');
  });

  it('keeps the audience when resource or audience names it', () => {
    expect(decide({ request: { resources: [API] } })).toMatchObject({ ok: true, value: { aud: API } });
    expect(decide({ request: { resources: [API], audiences: [API] } })).toMatchObject({ ok: true, value: { aud: API } });
  });

  it('narrows the default audience to one service’s audience, never the reverse', () => {
    expect(decide({ request: { resources: [ORDERS] } })).toMatchObject({ ok: true, value: { aud: ORDERS } });
    expect(decide({ subject: { aud: ORDERS }, request: { audiences: [ORDERS] } })).toMatchObject({ ok: true, value: { aud: ORDERS } });
    expect(refusal({ subject: { aud: ORDERS }, request: { resources: [API] } })).toBe('invalid_target');
  });

  it('refuses a target the subject does not reach, more than one target, or one that is no absolute URI', () => {
    expect(refusal({ request: { resources: ['https://keymint.test/production/api'] } })).toBe('invalid_target');
    expect(refusal({ request: { audiences: ['orders-service'] } })).toBe('invalid_target');
    expect(refusal({ request: { resources: [`${ORDERS}#frag`] } })).toBe('invalid_target');
    expect(refusal({ request: { resources: [API, ORDERS] } })).toBe('invalid_target');
  });

  it('narrows a subject with several audiences to the one requested', () => {
    expect(decide({ subject: { aud: [API, ORDERS] }, request: { resources: [ORDERS] } })).toMatchObject({ ok: true, value: { aud: ORDERS } });
    expect(decide({ subject: { aud: [API, ORDERS] } })).toMatchObject({ ok: true, value: { aud: [API, ORDERS] } });
  });

  it('refuses other token types and actor tokens', () => {
    expect(refusal({ request: { subjectTokenType: 'urn:ietf:params:oauth:token-type:refresh_token' } })).toBe('unsupported_token_type');
    expect(refusal({ request: { subjectTokenType: undefined } })).toBe('unsupported_token_type');
    expect(refusal({ request: { requestedTokenType: 'urn:ietf:params:oauth:token-type:id_token' } })).toBe('unsupported_requested_token_type');
    expect(decide({ request: { requestedTokenType: ACCESS_TOKEN_TYPE } }).ok).toBe(true);
    expect(refusal({ request: { actorToken: 'eyJ...' } })).toBe('actor_token_not_supported');
  });

  describe('DPoP', () => {
    it('keeps a bound subject bound to its key, and requires a proof by that key', () => {
      expect(decide({ subject: { cnf: { jkt: JKT } }, caller: { proofJkt: JKT } })).toMatchObject({
        ok: true,
        value: { cnf: { jkt: JKT }, tokenType: 'DPoP' },
      });
      expect(refusal({ subject: { cnf: { jkt: JKT } } })).toBe('dpop_proof_required');
      expect(refusal({ subject: { cnf: { jkt: JKT } }, caller: { proofJkt: 'another-key' } })).toBe('dpop_key_mismatch');
    });

    it('binds what an unbound subject yields when the request carries a proof', () => {
      expect(decide({ caller: { proofJkt: JKT } })).toMatchObject({ ok: true, value: { cnf: { jkt: JKT }, tokenType: 'DPoP' } });
    });

    it('gives a key that requires DPoP no bearer token', () => {
      expect(refusal({ caller: { requireDpop: true } })).toBe('dpop_proof_required');
      expect(decide({ caller: { requireDpop: true, proofJkt: JKT } })).toMatchObject({ ok: true, value: { tokenType: 'DPoP' } });
    });
  });

  it('carries the ancestry on, nearest first, and stops at the depth limit', () => {
    expect(decide({ subject: { jti: 'child', ancestors: ['root'] } })).toMatchObject({
      ok: true,
      value: { parentJti: 'child', ancestors: ['child', 'root'] },
    });
    const deep = Array.from({ length: MAX_EXCHANGE_DEPTH - 1 }, (_, index) => `a${index}`);
    expect(decide({ subject: { ancestors: deep } }).ok).toBe(true);
    expect(refusal({ subject: { ancestors: [...deep, 'one-more'] } })).toBe('exchange_too_deep');
  });
});

describe('answerTokenExchangeFailure', () => {
  const reasons: TokenExchangeFailure[] = [
    'unsupported_token_type',
    'unsupported_requested_token_type',
    'actor_token_not_supported',
    'subject_invalid',
    'subject_other_client',
    'subject_other_environment',
    'subject_expired',
    'invalid_scope',
    'invalid_target',
    'dpop_proof_required',
    'dpop_key_mismatch',
    'exchange_too_deep',
  ];

  it('answers every reason with an RFC 8693 / RFC 9449 error code and printable words', () => {
    for (const reason of reasons) {
      const answer = answerTokenExchangeFailure(reason);
      expect(['invalid_request', 'invalid_scope', 'invalid_target', 'invalid_dpop_proof']).toContain(answer.error);
      expect(answer.description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
    }
  });

  it('says the same about every unacceptable subject token', () => {
    const words = new Set(
      (['subject_invalid', 'subject_other_client', 'subject_other_environment', 'subject_expired'] as const).map(
        (reason) => answerTokenExchangeFailure(reason).description,
      ),
    );
    expect(words.size).toBe(1);
    expect(answerTokenExchangeFailure('subject_other_client').error).toBe('invalid_request');
  });
});
