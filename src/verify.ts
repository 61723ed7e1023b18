// keymint/verify: Hono middleware for services behind keymint, verifying session tokens from the issuer's JWKS.
export {
  sessionAuth,
  type KeymintSession,
  type SessionAuthEnv,
  type SessionAuthOptions,
} from './http/proxy/session-auth.js';
