// The package entry: the gateway as a Hono app over injected ports, its configuration, and the verification middleware.
export { createApp, type KeymintApp } from './app.js';
export type { AppDeps } from './services.js';
export { ConfigError, loadConfig, type Config } from './config.js';
export type { Environment } from './shared/domain.js';
export type { KeyStore } from './ports/key-store.js';
export type { RateLimiter } from './ports/rate-limiter.js';
export type { Clock, Defer, Logger } from './ports/runtime.js';
export type { SessionStore } from './ports/session-store.js';
export type { SigningKeyStore } from './ports/signing-key-store.js';
export { sessionAuth, type KeymintSession, type SessionAuthEnv, type SessionAuthOptions } from './verify.js';
