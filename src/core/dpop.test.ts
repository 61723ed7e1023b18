import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Base64Url } from './digest.js';
import { createDpopNonces } from './dpop-nonce.js';
import {
  answerDpopRefusal,
  checkDpopBinding,
  normalizeHtu,
  verifyDpopPresentation,
  verifyDpopProof,
  type DpopProofCheck,
  type DpopProofFailure,
  type DpopRefusal,
} from './dpop.js';
import { toBase64Url, utf8 } from '../shared/encoding.js';
import { recordingReplay, type RecordingReplay } from './testing/recording-replay.js';
import { webCrypto } from './web-crypto.js';

const URL_TOKEN = 'https://keymint.test/sandbox/oauth/token';
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;

interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function proofKey(alg: 'ES256' | 'Ed25519' | 'RS256'): Promise<ProofKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
}

const ec = await proofKey('ES256');
const ed = await proofKey('Ed25519');
const rsa = await proofKey('RS256');
const rsaPss = (await importJWK(await exportJWK(rsa.privateKey), 'PS256')) as CryptoKey;
const other = await proofKey('ES256');

let jtiCounter = 0;
function claims(overrides: JWTPayload = {}): JWTPayload {
  return { jti: `proof-${++jtiCounter}`, htm: 'POST', htu: URL_TOKEN, iat: NOW_S, ...overrides };
}

function prove(
  key: ProofKey = ec,
  payload: JWTPayload = claims(),
  header: Partial<JWTHeaderParameters> = {},
  signer: CryptoKey = key.privateKey,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header }).sign(signer);
}

function unsigned(header: object, payload: object): string {
  const part = (value: object) => toBase64Url(utf8(JSON.stringify(value)));
  return `${part(header)}.${part(payload)}.`;
}

describe('verifyDpopProof', () => {
  let replay: RecordingReplay;
  let seen: Map<string, number>;
  let verify: (proof: string, overrides?: Partial<DpopProofCheck>) => ReturnType<typeof verifyDpopProof>;

  beforeEach(() => {
    replay = recordingReplay();
    seen = replay.seen;
    verify = (proof, overrides = {}) =>
      verifyDpopProof({
        proof,
        method: 'POST',
        url: URL_TOKEN,
        now: NOW,
        replay,
        ...overrides,
      });
  });

  async function refused(proof: string, overrides?: Partial<DpopProofCheck>): Promise<DpopProofFailure> {
    const result = await verify(proof, overrides);
    if (result.ok) throw new Error('expected a refusal');
    return result.reason;
  }

  it.each([
    ['ES256', ec, ec.privateKey],
    ['EdDSA', ed, ed.privateKey],
    ['Ed25519', ed, ed.privateKey],
    ['RS256', rsa, rsa.privateKey],
    ['PS256', rsa, rsaPss],
  ] as const)('accepts a %s proof and answers the RFC 7638 thumbprint of its key as jkt', async (alg, key, signer) => {
    const payload = claims();
    const result = await verify(await prove(key, payload, { alg }, signer));
    expect(result).toEqual({ ok: true, value: { jkt: await calculateJwkThumbprint(key.jwk), jti: payload.jti, iat: NOW_S, alg } });
  });

  it('refuses a proof signed by a private key other than the one in its jwk header', async () => {
    expect(await refused(await prove(ec, claims(), {}, other.privateKey))).toBe('bad_signature');
  });

  it('refuses alg none and symmetric algorithms', async () => {
    expect(await refused(unsigned({ alg: 'none', typ: 'dpop+jwt', jwk: ec.jwk }, claims()))).toBe('wrong_algorithm');
    const secret = utf8('s'.repeat(32));
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: toBase64Url(secret) } as JWK })
      .sign(secret);
    expect(await refused(hs)).toBe('wrong_algorithm');
  });

  it('refuses an algorithm that does not fit the key in the header', async () => {
    expect(await refused(await prove(ec, claims(), { alg: 'EdDSA' }, ed.privateKey))).toBe('wrong_algorithm');
  });

  it('refuses a proof whose jwk header is the private key', async () => {
    const leaked = await exportJWK(ec.privateKey);
    expect(leaked.d).toBeDefined();
    expect(await refused(await prove({ privateKey: ec.privateKey, jwk: leaked }))).toBe('private_key');
  });

  it('refuses a missing, symmetric, weak or unsupported jwk header', async () => {
    const withoutJwk = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' }).sign(ec.privateKey);
    expect(await refused(withoutJwk)).toBe('invalid_jwk');
    const p384 = await proofKey('ES256');
    expect(await refused(await prove({ ...p384, jwk: { ...p384.jwk, crv: 'P-384' } }))).toBe('invalid_jwk');
    const weak = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const weakJwk = await exportJWK(weak.publicKey);
    const weakProof = unsigned({ alg: 'RS256', typ: 'dpop+jwt', jwk: weakJwk }, claims()) + 'c2ln';
    expect(await refused(weakProof)).toBe('invalid_jwk');
    expect(await refused(await prove({ ...ec, jwk: { ...ec.jwk, y: ec.jwk.x } }))).toBe('invalid_jwk');
  });

  it('refuses a proof whose typ is not dpop+jwt', async () => {
    expect(await refused(await prove(ec, claims(), { typ: 'JWT' }))).toBe('wrong_type');
    const untyped = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', jwk: ec.jwk }).sign(ec.privateKey);
    expect(await refused(untyped)).toBe('wrong_type');
  });

  it('refuses a proof for another method', async () => {
    expect(await refused(await prove(ec, claims({ htm: 'GET' })))).toBe('wrong_method');
    expect(await refused(await prove(ec, claims({ htm: 'post' })))).toBe('wrong_method');
  });

  it('refuses a proof for another URL: path, host, scheme or port', async () => {
    for (const htu of [
      'https://keymint.test/sandbox/oauth/introspect',
      'https://keymint.test/production/oauth/token',
      'https://evil.test/sandbox/oauth/token',
      'http://keymint.test/sandbox/oauth/token',
      'https://keymint.test:8443/sandbox/oauth/token',
      'https://keymint.test/sandbox/oauth/token/',
      'not a url',
    ]) {
      expect(await refused(await prove(ec, claims({ htu })))).toBe('wrong_url');
    }
  });

  it('compares htu without query or fragment and after RFC 3986 normalisation', async () => {
    const api = 'https://keymint.test/sandbox/api/~ana/orders?page=2';
    for (const htu of [
      'https://keymint.test/sandbox/api/~ana/orders',
      'HTTPS://KEYMINT.TEST:443/sandbox/api/%7eana/orders?page=3#x',
      'https://keymint.test/sandbox/api/./x/../%7Eana/orders',
    ]) {
      expect((await verify(await prove(ec, claims({ htm: 'GET', htu })), { method: 'GET', url: api })).ok).toBe(true);
    }
  });

  it('refuses a stale iat and one from the future, within the window and the skew', async () => {
    expect(await refused(await prove(ec, claims({ iat: NOW_S - 61 })))).toBe('stale');
    expect((await verify(await prove(ec, claims({ iat: NOW_S - 59 })))).ok).toBe(true);
    expect(await refused(await prove(ec, claims({ iat: NOW_S + 16 })))).toBe('from_future');
    expect((await verify(await prove(ec, claims({ iat: NOW_S + 14 })))).ok).toBe(true);
  });

  it('accepts a jti once, remembered until the proof could no longer pass the iat check', async () => {
    const proof = await prove(ec, claims({ jti: 'once', iat: NOW_S - 10 }));
    expect((await verify(proof)).ok).toBe(true);
    expect(await refused(proof)).toBe('replayed');
    expect(seen.get('once')).toBe(NOW_S - 10 + 60 + 1);
  });

  it('does not spend the jti of a proof refused for another reason', async () => {
    await refused(await prove(ec, claims({ jti: 'wrong-url', htu: 'https://evil.test/' })));
    await refused(await prove(ec, claims({ jti: 'forged' }), {}, other.privateKey));
    expect(seen.size).toBe(0);
  });

  it('with an access token, requires ath to be its SHA-256', async () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const resource = { method: 'GET', url: 'https://keymint.test/sandbox/api/orders', accessToken: token };
    const good = claims({ htm: 'GET', htu: resource.url, ath: await sha256Base64Url(token) });
    expect((await verify(await prove(ec, good), resource)).ok).toBe(true);
    expect(await refused(await prove(ec, { ...good, jti: 'x1', ath: await sha256Base64Url(`${token}x`) }), resource)).toBe('wrong_ath');
    const { ath: _ath, ...withoutAth } = good;
    expect(await refused(await prove(ec, { ...withoutAth, jti: 'x2' }), resource)).toBe('wrong_ath');
  });

  it('requires jti, htm, htu and iat, naming the one missing', async () => {
    for (const name of ['jti', 'htm', 'htu', 'iat'] as const) {
      const payload = claims();
      delete payload[name];
      expect(await verify(await prove(ec, payload))).toEqual({ ok: false, reason: 'missing_claim', detail: name });
    }
    expect(await refused(await prove(ec, { ...claims(), iat: `${NOW_S}` } as unknown as JWTPayload))).toBe('malformed');
  });

  it('refuses a 100 KB proof before parsing it, and what is not a compact JWS', async () => {
    const huge = await prove(ec, claims({ padding: 'x'.repeat(100_000) }));
    expect(await refused(huge)).toBe('too_large');
    expect(await refused('a.b')).toBe('malformed');
    // Two DPoP headers, joined by a comma as the Fetch API joins them.
    const one = await prove();
    expect(await refused(`${one}, ${await prove()}`)).toBe('malformed');
  });

  describe('with server nonces on', () => {
    it('asks for a nonce when the proof has none, or a bad one; accepts a good one', async () => {
      const nonces = createDpopNonces(await webCrypto.createHmac('nonce-secret-0123456789abcdefghijkl'), { context: 'sandbox' });
      expect(await verify(await prove(), { nonces })).toEqual({ ok: false, reason: 'use_nonce', detail: 'missing' });
      expect(await verify(await prove(ec, claims({ nonce: 'made.up' })), { nonces })).toEqual({ ok: false, reason: 'use_nonce', detail: 'invalid' });
      const fresh = await nonces.issue(NOW);
      expect(await verify(await prove(ec, claims({ nonce: fresh })), { nonces })).toMatchObject({ ok: true, value: { nonce: 'current' } });
      const older = await nonces.issue(NOW - 60_000);
      expect(await verify(await prove(ec, claims({ nonce: older })), { nonces })).toMatchObject({ ok: true, value: { nonce: 'recent' } });
      const expired = await nonces.issue(NOW - 180_000);
      expect(await refused(await prove(ec, claims({ nonce: expired })), { nonces })).toBe('use_nonce');
    });

    it('leaves nonces alone when they are off', async () => {
      const result = await verify(await prove(ec, claims({ nonce: 'anything' })));
      expect(result.ok && result.value.nonce).toBe(undefined);
    });
  });

  it('treats an expected URL that is not http(s) as the caller’s mistake', async () => {
    await expect(verify(await prove(), { url: '/sandbox/oauth/token' })).rejects.toThrow(TypeError);
  });
});

describe('normalizeHtu', () => {
  it('drops query, fragment and default port; lower-cases scheme and host; refuses user info and other schemes', () => {
    expect(normalizeHtu('HTTPS://Keymint.Test:443/a/%7e/%2f?q#f')).toBe('https://keymint.test/a/~/%2F');
    expect(normalizeHtu('http://keymint.test:80')).toBe('http://keymint.test/');
    expect(normalizeHtu('https://user:pw@keymint.test/a')).toBeUndefined();
    expect(normalizeHtu('ftp://keymint.test/a')).toBeUndefined();
    expect(normalizeHtu('/relative')).toBeUndefined();
  });
});

describe('checkDpopBinding', () => {
  const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

  it('accepts a bound token only as DPoP with a proof by its key', () => {
    expect(checkDpopBinding({ scheme: 'DPoP', cnf: { jkt }, proofJkt: jkt })).toEqual({ ok: true, value: undefined });
    expect(checkDpopBinding({ scheme: 'Bearer', cnf: { jkt } })).toMatchObject({ ok: false, reason: 'bound_token_as_bearer' });
    expect(checkDpopBinding({ scheme: 'DPoP', cnf: { jkt } })).toMatchObject({ ok: false, reason: 'proof_required' });
    expect(checkDpopBinding({ scheme: 'DPoP', cnf: { jkt }, proofJkt: `${jkt}x` })).toMatchObject({ ok: false, reason: 'key_mismatch' });
  });

  it('accepts an unbound token only as Bearer', () => {
    expect(checkDpopBinding({ scheme: 'Bearer' })).toEqual({ ok: true, value: undefined });
    expect(checkDpopBinding({ scheme: 'DPoP', proofJkt: jkt })).toMatchObject({ ok: false, reason: 'unbound_token_as_dpop' });
    expect(checkDpopBinding({ scheme: 'DPoP', cnf: {}, proofJkt: jkt })).toMatchObject({ ok: false, reason: 'unbound_token_as_dpop' });
  });
});

describe('verifyDpopPresentation', () => {
  const API = 'https://keymint.test/sandbox/api/orders';
  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  let replay: RecordingReplay;
  let boundTo: string;
  beforeEach(async () => {
    replay = recordingReplay();
    boundTo = await calculateJwkThumbprint(ec.jwk);
  });
  const apiProof = async (key: ProofKey = ec, overrides: JWTPayload = {}) =>
    prove(key, claims({ htm: 'GET', htu: API, ath: await sha256Base64Url(token), ...overrides }));
  const present = (scheme: 'Bearer' | 'DPoP', proof: string | undefined, bound = true) =>
    verifyDpopPresentation({ scheme, accessToken: token, cnf: bound ? { jkt: boundTo } : undefined, proof, method: 'GET', url: API, now: NOW, replay });

  it('accepts a bound token as DPoP with a proof for this request by its key, once', async () => {
    const proof = await apiProof();
    expect(await present('DPoP', proof)).toMatchObject({ ok: true, value: { jkt: boundTo } });
    expect(await present('DPoP', proof)).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('refuses a bound token as Bearer, and as DPoP without a proof, with another key’s or for another method; only the other key’s valid proof spends its jti', async () => {
    expect(await present('Bearer', await apiProof())).toMatchObject({ ok: false, reason: 'bound_token_as_bearer' });
    expect(await present('DPoP', undefined)).toMatchObject({ ok: false, reason: 'proof_required' });
    expect(await present('DPoP', await apiProof(other))).toMatchObject({ ok: false, reason: 'key_mismatch' });
    expect(await present('DPoP', await apiProof(ec, { htm: 'POST' }))).toMatchObject({ ok: false, reason: 'wrong_method' });
    expect(replay.seen.size).toBe(1);
  });

  it('passes an unbound token as Bearer (a proof beside it ignored) and refuses it as DPoP before the proof', async () => {
    expect(await present('Bearer', await apiProof(), false)).toEqual({ ok: true, value: undefined });
    expect(await present('DPoP', await apiProof(), false)).toMatchObject({ ok: false, reason: 'unbound_token_as_dpop' });
    expect(replay.seen.size).toBe(0);
  });
});

describe('answerDpopRefusal', () => {
  const reasons: DpopRefusal[] = [
    'too_large',
    'malformed',
    'wrong_type',
    'wrong_algorithm',
    'invalid_jwk',
    'private_key',
    'bad_signature',
    'missing_claim',
    'wrong_method',
    'wrong_url',
    'stale',
    'from_future',
    'wrong_ath',
    'use_nonce',
    'replayed',
    'proof_required',
    'key_mismatch',
    'bound_token_as_bearer',
    'unbound_token_as_dpop',
  ];

  it('words every refusal as text that fits a WWW-Authenticate quoted string', () => {
    for (const reason of reasons) expect(answerDpopRefusal(reason).description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  });

  it('maps proof problems to invalid_dpop_proof, a missing nonce to use_dpop_nonce, token misuse to invalid_token', () => {
    expect(answerDpopRefusal('replayed').error).toBe('invalid_dpop_proof');
    expect(answerDpopRefusal('key_mismatch').error).toBe('invalid_dpop_proof');
    expect(answerDpopRefusal('use_nonce').error).toBe('use_dpop_nonce');
    expect(answerDpopRefusal('bound_token_as_bearer').error).toBe('invalid_token');
    expect(answerDpopRefusal('unbound_token_as_dpop').error).toBe('invalid_token');
    expect(answerDpopRefusal('stale', '60').description).toMatch(/more than 60 seconds old/);
  });
});
