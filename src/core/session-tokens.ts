// Session tokens: RFC 9068 JWTs signed with the environment's active key, verified without any key-table read.
import { errors, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import type { Clock } from '../ports/runtime.js';
import { randomBase62 } from './encoding.js';
import type { Environment } from './environments.js';
import type { SigningKeyring } from './keyring.js';
import { fail, ok, type Result } from './result.js';

export interface SessionClaims {
  iss: string;
  sub: string;
  client_id: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  scope: string;
  env: Environment;
  acct: string;
}

export type TokenRejection = 'malformed' | 'bad_signature' | 'expired' | 'wrong_issuer' | 'wrong_environment';

export interface SessionTokens {
  issuer(environment: Environment): string;
  audience(environment: Environment): string;
  lifetime(environment: Environment): number;
  mint(
    environment: Environment,
    subject: { applicationId: string; accountId: string; scope: string },
  ): Promise<{ token: string; claims: SessionClaims }>;
  /** Stateless: signature, `typ`, `exp`, `iss`, `aud` and `env`. */
  verify(environment: Environment, token: string): Promise<Result<SessionClaims, TokenRejection>>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,1024}$/;

export function createSessionTokens(deps: {
  keyring: SigningKeyring;
  clock: Clock;
  publicUrl: string;
  lifetime: Record<Environment, number>;
}): SessionTokens {
  const { keyring, clock, publicUrl } = deps;
  const issuer = (environment: Environment) => `${publicUrl}/${environment}`;
  // Tokens are for the environment's downstream APIs, which keymint's proxy fronts.
  const audience = (environment: Environment) => `${publicUrl}/${environment}/api`;

  return {
    issuer,
    audience,
    lifetime: (environment) => deps.lifetime[environment],
    async mint(environment, subject) {
      const signingKey = await keyring.activeKey(environment);
      const iat = Math.floor(clock.now() / 1000);
      const claims: SessionClaims = {
        iss: issuer(environment),
        sub: subject.applicationId,
        client_id: subject.applicationId,
        aud: audience(environment),
        iat,
        exp: iat + deps.lifetime[environment],
        jti: randomBase62(24),
        scope: subject.scope,
        env: environment,
        acct: subject.accountId,
      };
      const token = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: signingKey.alg, typ: 'at+jwt', kid: signingKey.kid })
        .sign(signingKey.privateKey);
      return { token, claims };
    },
    async verify(environment, token) {
      if (!JWT_SHAPE.test(token)) return fail('malformed');
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        return fail('malformed');
      }
      if (typeof kid !== 'string') return fail('malformed');
      const key = await keyring.verificationKey(environment, kid);
      // A kid this environment never published: the other environment's token, or a forgery.
      if (!key) return fail('bad_signature');
      try {
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: [key.alg],
          typ: 'at+jwt',
          issuer: issuer(environment),
          audience: audience(environment),
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
        if (payload.env !== environment) return fail('wrong_environment');
        return ok(payload as unknown as SessionClaims);
      } catch (error) {
        if (error instanceof errors.JWTExpired) return fail('expired');
        if (error instanceof errors.JWSSignatureVerificationFailed) return fail('bad_signature');
        if (error instanceof errors.JWTClaimValidationFailed) return fail('wrong_issuer', error.claim);
        if (error instanceof errors.JOSEError) return fail('malformed');
        throw error;
      }
    },
  };
}
