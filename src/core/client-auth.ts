// Client authentication, one use case for the token, introspection and revocation endpoints and the proxy's Api-Key:
// a registry of methods of one shape behind one failure limit, returning the key or the reason it was refused.
import { addressBucket } from './address-bucket.js';
import { exportJWK, generateKeyPair } from 'jose';
import type { KeyMatch, KeyPair, KeyRecord, KeyStore } from '../ports/key-store.js';
import { clientFailureCounter, type FailureCounter } from '../ports/rate-limiter.js';
import type { Clock } from '../ports/runtime.js';
import type { Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { describeClientAssertionFailure, readAssertionClientId, verifyClientAssertion } from './client-assertion.js';
import type { ClientJwks } from './client-jwks.js';
import type { FailureLimit, RateLimited, WhenCountersUnavailable } from './failure-limit.js';
import type { KeyRows } from './key-rows.js';
import type { KeyMark } from '../ports/key-versions.js';
import type { PublicJwk } from './public-jwk.js';
import type { ReplayGuards } from './replay.js';
import { environmentOfApplicationId, parseApplicationSecret, type SecretHasher } from './secrets.js';

/** What a caller presented, tagged by how. */
export type ClientCredential =
  | { method: 'client_secret_basic'; clientId: string; secret: string }
  | { method: 'client_secret_post'; clientId: string; secret: string }
  /** RFC 7523 §2.2: a JWT signed by one of the key's registered public keys; `client_id` is optional. */
  | { method: 'private_key_jwt'; clientId: string | undefined; assertion: string }
  /** The proxy's `Api-Key`: an application secret alone; the key is found by the secret's HMAC. */
  | { method: 'api_key'; secret: string };

export type ClientAuthMethodName = ClientCredential['method'];

export type ClientAuthFailure =
  | 'malformed_secret'
  | 'other_environment'
  | 'unknown_client'
  | 'wrong_secret'
  | 'disabled'
  | 'expired'
  /** A secret for a private_key_jwt key, or an assertion for a secret key (worded as an unknown client). */
  | 'wrong_method'
  /** An assertion that does not verify; `detail` is the description for the key's owner. */
  | 'invalid_assertion';

/** Why a credential was refused: a failed check, or too many failures before it (then it was not checked). */
export type ClientAuthRefusal = Exclude<ClientAuthResult, { ok: true }>;
export type ClientAuthResult = Result<KeyRecord, ClientAuthFailure> | RateLimited;

/** A key as authentication returns it: which of its pairs proved it, when not the current one. */
type ProvedKey = KeyRecord & { pair?: KeyPair };

/** Which pair of the key authenticated: the previous one only during a roll with overlap (SPEC §9). */
export function usedPair(key: KeyRecord): KeyPair {
  return (key as ProvedKey).pair ?? 'current';
}

/** Where a credential was presented. */
export interface ClientAuthContext {
  /** The caller's address when the runtime knows it, for the per-IP failure counter. */
  ip: string | undefined;
  /** What an assertion's `aud` may name: the environment's issuer, the endpoint called, the token endpoint. */
  audiences?: readonly string[];
  /**
   * Given by a caller that checks a key's mark in its own write (the token endpoint's session write): a kept key row
   * (key-rows.ts) may then prove a client secret without a read of the mark first. When the key authenticate returns
   * came from such a row, `unconfirmed` is that row's mark, which the caller must check (`whileMark`, or
   * `confirmKept`) before it answers; a refusal such a row decided is checked here, before it is counted.
   */
  keptRows?: { unconfirmed?: KeyMark };
}



/** How a method finds the key an application ID names (the store, or the token endpoint's kept rows). */
export type KeyLookup = (applicationId: string) => Promise<KeyMatch | null>;

/** The shape every method has. */
export interface ClientAuthMethod<C extends ClientCredential> {
  /**
   * The application ID the credential names before it is checked, for the per-client failure counter;
   * undefined when it names none (an `Api-Key` secret is tied to no application ID until it matches).
   */
  claimedClientId(credential: C): string | undefined;
  /** The key the credential proves, or why it proves none. */
  verify(environment: Environment, credential: C, context: ClientAuthContext, lookup: KeyLookup): Promise<Result<KeyRecord, ClientAuthFailure>>;
  /**
   * While the failure counters cannot be reached: `refuse` (the outage goes up; the OAuth endpoints need that
   * store anyway and answer 503), or `proceed` unlimited (the proxy's Api-Key needs no store otherwise).
   */
  whenCountersUnavailable: WhenCountersUnavailable;
  /**
   * Whether `verify` may run again for the same attempt (it spends nothing, as an assertion's jti is spent): only
   * then may a kept row answer before its mark is read, since a refusal it decided is verified again.
   */
  repeatable: boolean;
}

type MethodRegistry = { [M in ClientAuthMethodName]: ClientAuthMethod<Extract<ClientCredential, { method: M }>> };

export interface ClientAuthenticator {
  authenticate(environment: Environment, credential: ClientCredential, context: ClientAuthContext): Promise<ClientAuthResult>;
  /** Whether a kept row's mark (ClientAuthContext.keptRows) is still its key's; when not, the key's rows are dropped. */
  confirmKept(environment: Environment, mark: KeyMark): Promise<boolean>;
}

export interface ClientAuthLimits {
  /** Failures per application ID, and per client IP, in one window before attempts are refused unchecked. */
  perClient: number;
  perIp: number;
}

// Longer IDs are never ours; refused before they could name a counter.
const MAX_CLIENT_ID_LENGTH = 128;

export function createClientAuthenticator(deps: {
  keys: KeyStore;
  hasher: SecretHasher;
  clock: Clock;
  failures: FailureLimit;
  limits: ClientAuthLimits;
  /** How an `Api-Key` secret finds its key; a short-lived cache may answer (default: the store). */
  findKeyBySecretHash?: (secretHash: string) => Promise<KeyMatch | null>;
  /** Assertion `jti`s, remembered across nodes (without it, no assertion is accepted). */
  replay?: ReplayGuards;
  /** Key rows kept in memory and checked against each key's mark (key-rows.ts); without them, the store answers. */
  keyRows?: KeyRows;
}): ClientAuthenticator {
  const { keys, hasher, clock, failures, limits } = deps;
  const findKeyBySecretHash = deps.findKeyBySecretHash ?? ((secretHash: string) => keys.findKeyBySecretHash(secretHash));

  /**
   * The match, unless it is the previous pair of a roll whose overlap has ended: that pair is then as unknown as
   * any pair a regenerate replaced (SPEC §9).
   */
  function live(match: KeyMatch | null): KeyMatch | null {
    if (match?.pair === 'previous' && match.key.previous!.expiresAt <= clock.now()) return null;
    return match;
  }

  /** The stored hash of the secret of the pair that matched (null for a key without a secret). */
  function secretHashOf({ key, pair }: KeyMatch): string | null {
    return pair === 'current' ? key.secretHash : key.previous!.secretHash;
  }

  // Either pair of a key (during an overlap) mints for the key itself: the checks below are the key's.
  /** A key proved by the previous pair of a roll says so, for that pair's own lastUsedAt (`usedPair`). */
  function withPair(result: Result<KeyRecord, ClientAuthFailure>, pair: KeyPair): Result<KeyRecord, ClientAuthFailure> {
    if (!result.ok || pair === 'current') return result;
    const proved: ProvedKey = { ...result.value, pair };
    return ok(proved);
  }

  function usable(key: KeyRecord): Result<KeyRecord, ClientAuthFailure> {
    if (key.status !== 'active') return fail('disabled');
    if (key.expiresAt !== null && key.expiresAt <= clock.now()) return fail('expired');
    return ok(key);
  }

  // Does the same hashing work whether or not the application ID exists, so timing tells nothing.
  async function verifyIdAndSecret(environment: Environment, applicationId: string, secret: string, lookup: KeyLookup) {
    const shape = parseApplicationSecret(secret);
    if (!shape.ok) return fail('malformed_secret');
    // Both checks below are answered from the credential's own prefix, without a database read.
    if (shape.value !== environment) return fail('other_environment', shape.value);
    const idEnvironment = environmentOfApplicationId(applicationId);
    if (idEnvironment !== undefined && idEnvironment !== environment) return fail('other_environment', idEnvironment);
    const match = idEnvironment === undefined ? null : live(await lookup(applicationId));
    const found = match !== null && match.key.environment === environment ? match : null;
    // A key without a secret (private_key_jwt) is compared against no hash, as an unknown one is: same work.
    if (!(await hasher.verify(secret, (found && secretHashOf(found)) ?? undefined))) {
      return fail(found === null ? 'unknown_client' : found.key.authMethod === 'private_key_jwt' ? 'wrong_method' : 'wrong_secret');
    }
    return withPair(usable(found!.key), found!.pair);
  }

  async function verifyAssertion(
    environment: Environment,
    credential: Extract<ClientCredential, { method: 'private_key_jwt' }>,
    context: ClientAuthContext,
    lookup: KeyLookup,
  ): Promise<Result<KeyRecord, ClientAuthFailure>> {
    const claimed = readAssertionClientId(credential.assertion);
    if (!claimed.ok) return fail('invalid_assertion', describeClientAssertionFailure(claimed.reason));
    const applicationId = claimed.value;
    if (credential.clientId !== undefined && credential.clientId !== applicationId) {
      return fail('invalid_assertion', describeClientAssertionFailure('wrong_issuer'));
    }
    const idEnvironment = environmentOfApplicationId(applicationId);
    if (idEnvironment !== undefined && idEnvironment !== environment) return fail('other_environment', idEnvironment);
    const match = idEnvironment === undefined ? null : live(await lookup(applicationId));
    const found = match !== null && match.key.environment === environment ? match.key : null;
    const jwks = found?.authMethod === 'private_key_jwt' ? (found.jwks as ClientJwks | null) ?? undefined : undefined;
    const verified = await verifyClientAssertion({
      assertion: credential.assertion,
      // An unknown ID, or a secret key, still costs one signature check, so timing tells nothing.
      jwks: jwks ?? (await throwAwayJwks()),
      clientId: applicationId,
      audiences: context.audiences ?? [],
      now: clock.now(),
      replay: jwks && deps.replay ? deps.replay.clientAssertion(environment, applicationId) : async () => false,
    });
    if (!jwks) return fail(found === null ? 'unknown_client' : 'wrong_method');
    if (!verified.ok) return fail('invalid_assertion', describeClientAssertionFailure(verified.reason, verified.detail));
    return usable(found!);
  }

  const clientSecret: ClientAuthMethod<Extract<ClientCredential, { clientId: string; secret: string }>> = {
    claimedClientId: (credential) => credential.clientId,
    verify: (environment, credential, _context, lookup) => verifyIdAndSecret(environment, credential.clientId, credential.secret, lookup),
    whenCountersUnavailable: 'refuse',
    repeatable: true,
  };

  const methods: MethodRegistry = {
    client_secret_basic: clientSecret,
    client_secret_post: clientSecret,
    private_key_jwt: {
      claimedClientId(credential) {
        if (credential.clientId !== undefined) return credential.clientId;
        const claimed = readAssertionClientId(credential.assertion);
        return claimed.ok ? claimed.value : undefined;
      },
      verify: verifyAssertion,
      whenCountersUnavailable: 'refuse',
      repeatable: false,
    },
    api_key: {
      claimedClientId: () => undefined,
      // Api-Key calls kept working through a session-store outage before they were limited; they still do.
      whenCountersUnavailable: 'proceed',
      repeatable: true,
      async verify(environment, { secret }) {
        const shape = parseApplicationSecret(secret);
        // The checksum and the environment tag are checked before any read.
        if (!shape.ok) return fail('malformed_secret');
        if (shape.value !== environment) return fail('other_environment', shape.value);
        const match = live(await findKeyBySecretHash(await hasher.hash(secret)));
        if (match === null || match.key.environment !== environment) return fail('unknown_client');
        return withPair(usable(match.key), match.pair);
      },
    },
  };

  function methodFor<C extends ClientCredential>(credential: C): ClientAuthMethod<C> {
    return methods[credential.method] as unknown as ClientAuthMethod<C>;
  }

  // The counter names are the Redis keys of docs/storage.md (after the prefix): keep them stable.
  function countersFor(environment: Environment, clientId: string | undefined, ip: string | undefined): FailureCounter[] {
    const counters: FailureCounter[] = [];
    if (clientId !== undefined) counters.push({ key: clientFailureCounter(environment, clientId), limit: limits.perClient });
    if (ip) counters.push({ key: `${environment}:authfail:ip:${addressBucket(ip)}`, limit: limits.perIp });
    return counters;
  }

  return {
    async authenticate(environment, credential, context) {
      const method = methodFor(credential);
      const clientId = method.claimedClientId(credential);
      if (clientId !== undefined && (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH)) {
        return fail('unknown_client');
      }
      // Kept rows answer the application ID the counters are checked for. Its key's mark is asked for when the
      // attempt has its turn, with the counters: not on arrival, as an attempt queued behind others (failure-limit.ts)
      // must see a change answered meanwhile.
      const keyRows = clientId !== undefined && environmentOfApplicationId(clientId) === environment ? deps.keyRows : undefined;
      if (context.keptRows) context.keptRows.unconfirmed = undefined;
      const holder = method.repeatable ? context.keptRows : undefined;
      let unconfirmed: KeyMark | undefined;
      let begun: (() => Promise<KeyMatch | null>) | undefined;
      const begin = (noteMark?: (mark: KeyMark) => void) => void (begun = keyRows!.begin(environment, clientId!, noteMark));
      const lookup: KeyLookup = (applicationId) => (begun && applicationId === clientId ? begun() : keys.findKeyByApplicationId(applicationId));
      const verify = async (): Promise<Result<KeyRecord, ClientAuthFailure>> => {
        const result = await method.verify(environment, credential, context, lookup);
        const mark = unconfirmed;
        if (mark === undefined) return result;
        if (result.ok) {
          holder!.unconfirmed = mark;
          return result;
        }
        // A refusal a kept row decided (a wrong secret for a regenerated key, a disabled one) stands only while the
        // row does: otherwise the store's row decides, with its mark read first.
        if (await keyRows!.confirm(environment, mark)) return result;
        unconfirmed = undefined;
        begin();
        return method.verify(environment, credential, context, lookup);
      };
      return failures.guard(countersFor(environment, clientId, context.ip), verify, {
        whenUnavailable: method.whenCountersUnavailable,
        ...(keyRows && { admitted: () => begin(holder && ((mark) => void (unconfirmed = mark))) }),
      });
    },
    async confirmKept(environment, mark) {
      return deps.keyRows ? deps.keyRows.confirm(environment, mark) : true;
    },
  };
}

// Public keys of every accepted type that no client holds, verified against when no registered key can be.
let throwAway: Promise<ClientJwks> | undefined;
function throwAwayJwks(): Promise<ClientJwks> {
  throwAway ??= (async () => {
    const generate = async (alg: 'ES256' | 'Ed25519' | 'RS256') => {
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      const { kty, crv, x, y, n, e } = await exportJWK(publicKey);
      return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })) as PublicJwk;
    };
    return {
      keys: [
        await generate('ES256'),
        await generate('Ed25519'),
        await generate('RS256'),
      ],
    };
  })();
  return throwAway;
}
