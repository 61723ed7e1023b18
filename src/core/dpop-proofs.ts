// The gateway's DPoP checks (RFC 9449) over the shared replay store and, when turned on, server nonces: a proof at the token endpoint, a bound token at a resource.
import type { Hmac } from '../ports/crypto.js';
import type { Clock } from '../ports/runtime.js';
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import { ok, type Result } from '../shared/result.js';
import { createDpopNonces, type DpopNonces } from './dpop-nonce.js';
import {
  verifyDpopPresentation,
  verifyDpopProof,
  type DpopPresentation,
  type DpopProofFailure,
  type DpopRefusal,
  type VerifiedDpopProof,
} from './dpop.js';
import type { ReplayGuards } from './replay.js';

/** What a resource answers with an accepted presentation: a fresh `DPoP-Nonce` when the proof's was getting old. */
export interface AcceptedPresentation {
  proof: VerifiedDpopProof | undefined;
  freshNonce?: string;
}

export interface DpopProofs {
  /** Whether every proof must carry a nonce this gateway issued (KEYMINT_DPOP_NONCES). */
  readonly noncesRequired: boolean;
  /** A proof sent with a token request (`htm` POST, `htu` the token endpoint's public URL). */
  verifyTokenRequestProof(environment: Environment, proof: string, url: string): Promise<Result<VerifiedDpopProof, DpopProofFailure>>;
  /** An access token presented at a resource: see `verifyDpopPresentation`. */
  verifyPresentation(
    environment: Environment,
    presented: Pick<DpopPresentation, 'scheme' | 'accessToken' | 'cnf' | 'proof' | 'method' | 'url'>,
  ): Promise<Result<AcceptedPresentation, DpopRefusal>>;
  /** A nonce for a `DPoP-Nonce` header now; undefined while nonces are off. */
  issueNonce(environment: Environment): Promise<string | undefined>;
}

export function createDpopProofs(deps: {
  replay: ReplayGuards;
  clock: Clock;
  /** Keyed with a secret every node shares (derived from the pepper); undefined turns nonces off. */
  nonceHmac?: Hmac | undefined;
}): DpopProofs {
  const { replay, clock } = deps;
  const nonces: Partial<Record<Environment, DpopNonces>> = {};
  if (deps.nonceHmac) {
    for (const environment of ENVIRONMENTS) nonces[environment] = createDpopNonces(deps.nonceHmac, { context: environment });
  }

  async function issueNonce(environment: Environment): Promise<string | undefined> {
    return nonces[environment]?.issue(clock.now());
  }

  return {
    noncesRequired: deps.nonceHmac !== undefined,
    verifyTokenRequestProof(environment, proof, url) {
      return verifyDpopProof({
        proof,
        method: 'POST',
        url,
        now: clock.now(),
        replay: replay.dpopProof(environment),
        ...(nonces[environment] && { nonces: nonces[environment] }),
      });
    },
    async verifyPresentation(environment, presented) {
      // Field by field: `...presented` here made V8 keep every proxied request's objects until the next full GC
      // (bench/README.md, round 6).
      const verified = await verifyDpopPresentation({
        scheme: presented.scheme,
        accessToken: presented.accessToken,
        cnf: presented.cnf,
        proof: presented.proof,
        method: presented.method,
        url: presented.url,
        now: clock.now(),
        replay: replay.dpopProof(environment),
        nonces: nonces[environment],
      });
      if (!verified.ok) return verified;
      const accepted: AcceptedPresentation = { proof: verified.value };
      if (verified.value?.nonce === 'recent') accepted.freshNonce = (await issueNonce(environment))!;
      return ok(accepted);
    },
    issueNonce,
  };
}
