import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  describeClientAssertionFailure,
  readAssertionClientId,
  verifyClientAssertion,
  type ClientAssertionCheck,
  type ClientAssertionFailure,
} from './client-assertion.js';
import { readClientJwks, type ClientJwks } from './client-jwks.js';
import { toBase64Url, utf8 } from '../shared/encoding.js';
import { recordingReplay, type RecordingReplay } from './testing/recording-replay.js';

const CLIENT = 'app_sbx_4Jr9c2Hq8LmNpQ1sT5vW7xYz';
const ISSUER = 'https://keymint.test/sandbox';
const TOKEN_ENDPOINT = 'https://keymint.test/sandbox/oauth/token';
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;

const ec = await generateKeyPair('ES256', { extractable: true });
const ed = await generateKeyPair('Ed25519', { extractable: true });
const rsa = await generateKeyPair('RS256', { extractable: true });
// The same RSA key pair, held for RSA-PSS.
const rsaPss = (await importJWK(await exportJWK(rsa.privateKey), 'PS256')) as CryptoKey;
const stranger = await generateKeyPair('ES256', { extractable: true });

async function jwksOf(keys: object[]): Promise<ClientJwks> {
  const read = await readClientJwks({ keys });
  if (!read.ok) throw new Error(read.detail);
  return read.value.jwks;
}

const registered = await jwksOf([
  { ...(await exportJWK(ec.publicKey)), kid: 'ec-1' },
  { ...(await exportJWK(ed.publicKey)), kid: 'ed-1' },
  { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1' },
]);

let jtiCounter = 0;
function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: CLIENT, sub: CLIENT, aud: ISSUER, iat: NOW_S, exp: NOW_S + 60, jti: `jti-${++jtiCounter}`, ...overrides };
}

function sign(key: CryptoKey, header: JWTHeaderParameters, payload: JWTPayload = claims()): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

function unsigned(header: object, payload: object, signature = ''): string {
  const part = (value: object) => toBase64Url(utf8(JSON.stringify(value)));
  return `${part(header)}.${part(payload)}.${signature}`;
}

describe('verifyClientAssertion', () => {
  let replay: RecordingReplay;
  let seen: Map<string, number>;
  let check: (assertion: string, overrides?: Partial<ClientAssertionCheck>) => ReturnType<typeof verifyClientAssertion>;

  beforeEach(() => {
    replay = recordingReplay();
    seen = replay.seen;
    check = (assertion, overrides = {}) =>
      verifyClientAssertion({
        assertion,
        jwks: registered,
        clientId: CLIENT,
        audiences: [ISSUER, TOKEN_ENDPOINT],
        now: NOW,
        replay,
        ...overrides,
      });
  });

  async function refused(assertion: string, overrides?: Partial<ClientAssertionCheck>): Promise<ClientAssertionFailure> {
    const result = await check(assertion, overrides);
    if (result.ok) throw new Error('expected a refusal');
    return result.reason;
  }

  it.each([
    ['ES256', ec.privateKey, 'ec-1'],
    ['EdDSA', ed.privateKey, 'ed-1'],
    ['Ed25519', ed.privateKey, 'ed-1'],
    ['RS256', rsa.privateKey, 'rsa-1'],
    ['PS256', rsaPss, 'rsa-1'],
  ] as const)('accepts an assertion signed with %s by a registered key', async (alg, key, kid) => {
    const payload = claims();
    const result = await check(await sign(key, { alg, kid }, payload));
    expect(result).toEqual({ ok: true, value: { alg, kid, jti: payload.jti, exp: payload.exp } });
  });

  it('accepts aud as the endpoint URL, or as an array naming one accepted audience', async () => {
    expect((await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ aud: TOKEN_ENDPOINT })))).ok).toBe(true);
    expect((await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ aud: ['https://other', TOKEN_ENDPOINT] })))).ok).toBe(true);
  });

  it('with no kid, tries the keys whose type fits the algorithm', async () => {
    const result = await check(await sign(ed.privateKey, { alg: 'EdDSA' }));
    expect(result).toMatchObject({ ok: true, value: { kid: 'ed-1' } });
  });

  it('with no kid, tries every key of that type until one verifies', async () => {
    const second = await generateKeyPair('ES256', { extractable: true });
    const jwks = await jwksOf([await exportJWK(ec.publicKey), await exportJWK(second.publicKey)]);
    expect((await check(await sign(second.privateKey, { alg: 'ES256' }), { jwks })).ok).toBe(true);
  });

  it('refuses a kid the client never registered', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-2' }))).toBe('unknown_key');
  });

  it('refuses an algorithm that does not fit the key its kid names, or any registered key', async () => {
    expect(await refused(await sign(ed.privateKey, { alg: 'EdDSA', kid: 'ec-1' }))).toBe('wrong_algorithm');
    const ecOnly = await jwksOf([await exportJWK(ec.publicKey)]);
    expect(await refused(await sign(rsa.privateKey, { alg: 'RS256' }), { jwks: ecOnly })).toBe('wrong_algorithm');
  });

  it('uses a key that names its alg for that algorithm only', async () => {
    const psOnly = await jwksOf([{ ...(await exportJWK(rsa.publicKey)), alg: 'PS256' }]);
    expect((await check(await sign(rsaPss, { alg: 'PS256' }), { jwks: psOnly })).ok).toBe(true);
    expect(await refused(await sign(rsa.privateKey, { alg: 'RS256' }), { jwks: psOnly })).toBe('wrong_algorithm');
  });

  it('refuses alg none, HMAC and algorithms outside the four', async () => {
    expect(await refused(unsigned({ alg: 'none' }, claims()))).toBe('wrong_algorithm');
    expect(await refused(unsigned({ alg: 'none', kid: 'ec-1' }, claims(), 'c2ln'))).toBe('wrong_algorithm');
    const hmacKey = new TextEncoder().encode('x'.repeat(32));
    expect(await refused(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'ec-1' }).sign(hmacKey))).toBe('wrong_algorithm');
    const p384 = await generateKeyPair('ES384');
    expect(await refused(await sign(p384.privateKey, { alg: 'ES384' }))).toBe('wrong_algorithm');
  });

  it('refuses a signature by a key other than the registered one, under a registered kid', async () => {
    expect(await refused(await sign(stranger.privateKey, { alg: 'ES256', kid: 'ec-1' }))).toBe('bad_signature');
    expect(await refused(await sign(stranger.privateKey, { alg: 'ES256' }))).toBe('bad_signature');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-1' })).split('.');
    const forged = `${header}.${toBase64Url(utf8(JSON.stringify(claims({ sub: 'app_sbx_someone_else' }))))}.${signature}`;
    expect(await refused(forged)).toBe('bad_signature');
  });

  it('refuses an assertion whose iss or sub is not the client', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ iss: 'app_sbx_other' })))).toBe('wrong_issuer');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ sub: 'app_sbx_other' })))).toBe('wrong_issuer');
  });

  it('refuses an audience that names neither the issuer nor the endpoint', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ aud: 'https://keymint.test/production' })))).toBe('wrong_audience');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ aud: ['https://a', 'https://b'] })))).toBe('wrong_audience');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ aud: [] })))).toBe('wrong_audience');
  });

  it('requires exp and jti (and iss, sub, aud), naming the missing claim', async () => {
    const noExp = claims();
    delete noExp.exp;
    const result = await check(await sign(ec.privateKey, { alg: 'ES256' }, noExp));
    expect(result).toEqual({ ok: false, reason: 'missing_claim', detail: 'exp' });
    const noJti = claims();
    delete noJti.jti;
    expect(await check(await sign(ec.privateKey, { alg: 'ES256' }, noJti))).toEqual({ ok: false, reason: 'missing_claim', detail: 'jti' });
  });

  it('refuses claims of the wrong type', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, { ...claims(), exp: String(NOW_S + 60) } as unknown as JWTPayload))).toBe('malformed');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, { ...claims(), jti: 7 } as unknown as JWTPayload))).toBe('malformed');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ jti: 'j'.repeat(513) })))).toBe('malformed');
  });

  it('refuses an expired assertion, allowing 30 s of clock skew', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ iat: NOW_S - 120, exp: NOW_S - 31 })))).toBe('expired');
    expect((await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ iat: NOW_S - 120, exp: NOW_S - 29 })))).ok).toBe(true);
  });

  it('refuses an exp more than five minutes ahead', async () => {
    expect((await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ exp: NOW_S + 300 })))).ok).toBe(true);
    expect(await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ exp: NOW_S + 3600 })))).toEqual({
      ok: false,
      reason: 'lifetime_too_long',
      detail: '300',
    });
  });

  it('refuses an assertion issued, or valid from, the future', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ iat: NOW_S + 120, exp: NOW_S + 180 })))).toBe('not_yet_valid');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ nbf: NOW_S + 120, exp: NOW_S + 180 })))).toBe('not_yet_valid');
    expect((await check(await sign(ec.privateKey, { alg: 'ES256' }, claims({ iat: NOW_S + 10 })))).ok).toBe(true);
  });

  it('accepts a jti once and remembers it until exp plus the skew', async () => {
    const assertion = await sign(ec.privateKey, { alg: 'ES256' }, claims({ jti: 'only-once', exp: NOW_S + 120 }));
    expect((await check(assertion)).ok).toBe(true);
    expect(await refused(assertion)).toBe('replayed');
    expect(seen.get('only-once')).toBe(NOW_S + 120 + 30);
  });

  it('does not spend the jti of an assertion refused for another reason', async () => {
    await refused(await sign(stranger.privateKey, { alg: 'ES256' }, claims({ jti: 'forged' })));
    await refused(await sign(ec.privateKey, { alg: 'ES256' }, claims({ jti: 'late', exp: NOW_S - 60 })));
    expect(seen.size).toBe(0);
  });

  it('refuses a 100 KB assertion before parsing it, and anything that is not a compact JWS', async () => {
    const huge = await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-1' }, claims({ padding: 'x'.repeat(100_000) }));
    expect(huge.length).toBeGreaterThan(100_000);
    expect(await refused(huge)).toBe('too_large');
    expect(await refused('x'.repeat(100_000))).toBe('too_large');
    expect(await refused('a.b')).toBe('malformed');
    expect(await refused('a.b.c.d.e')).toBe('malformed');
    expect(await refused('e30.e30.e30 ')).toBe('malformed');
    expect(await refused(`${toBase64Url(utf8('not json'))}.e30.c2ln`)).toBe('malformed');
  });

  it('refuses a DPoP proof or an access token signed by the client key', async () => {
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256', typ: 'dpop+jwt' }))).toBe('malformed');
    expect(await refused(await sign(ec.privateKey, { alg: 'ES256', typ: 'at+jwt' }))).toBe('malformed');
  });
});

describe('readAssertionClientId', () => {
  it('reads the claimed client (sub, else iss) without trusting it', async () => {
    expect(readAssertionClientId(await sign(stranger.privateKey, { alg: 'ES256' }))).toEqual({ ok: true, value: CLIENT });
    expect(readAssertionClientId(unsigned({ alg: 'ES256' }, { iss: 'app_sbx_x' }, 'c2ln'))).toEqual({ ok: true, value: 'app_sbx_x' });
    expect(readAssertionClientId(unsigned({ alg: 'ES256' }, { sub: 5 }, 'c2ln'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(readAssertionClientId('x'.repeat(9000))).toMatchObject({ ok: false, reason: 'too_large' });
  });
});

describe('describeClientAssertionFailure', () => {
  const reasons: ClientAssertionFailure[] = [
    'too_large',
    'malformed',
    'wrong_algorithm',
    'unknown_key',
    'bad_signature',
    'missing_claim',
    'wrong_issuer',
    'wrong_audience',
    'expired',
    'lifetime_too_long',
    'not_yet_valid',
    'replayed',
  ];

  it('words every reason as printable text that fits a header (no double quote, no backslash)', () => {
    for (const reason of reasons) expect(describeClientAssertionFailure(reason)).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  });

  it('does not tell a forger whether the kid exists', () => {
    expect(describeClientAssertionFailure('unknown_key')).toBe(describeClientAssertionFailure('bad_signature'));
  });

  it('names the missing claim and the lifetime limit for the key owner', () => {
    expect(describeClientAssertionFailure('missing_claim', 'jti')).toBe('the client_assertion must carry jti');
    expect(describeClientAssertionFailure('lifetime_too_long', '300')).toMatch(/at most 300 seconds ahead/);
  });
});
