// loadConfig (src/config.ts): SPEC §5 defaults, and errors that name the bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('loadConfig', () => {
  it('has the SPEC §5 defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8787,
      publicUrl: 'http://localhost:8787',
      database: './data/keymint.db',
      redisUrl: undefined,
      adminToken: undefined,
      sessionTtl: { sandbox: 3600, production: 3600 },
      keysPerEnvironment: 3,
      upstreams: { sandbox: undefined, production: undefined },
      secretPepper: undefined,
      kek: undefined,
      authFailuresPerClient: 10,
      authFailuresPerIp: 100,
      issuanceCache: true,
      directKeyAuth: true,
      strictSessions: false,
    });
  });

  it('derives the public URL from the port', () => {
    expect(loadConfig({ KEYMINT_PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
  });

  it('reads the documented variables', () => {
    const config = loadConfig({
      KEYMINT_PUBLIC_URL: 'https://auth.example.com/',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEYMINT_SESSION_TTL: '600',
      KEYMINT_KEYS_PER_ENVIRONMENT: '5',
      KEYMINT_AUTH_FAILURES_PER_CLIENT: '4',
      KEYMINT_ISSUANCE_CACHE: 'false',
      KEYMINT_STRICT_SESSIONS: 'true',
    });
    expect(config).toMatchObject({
      publicUrl: 'https://auth.example.com',
      redisUrl: 'redis://127.0.0.1:6379',
      sessionTtl: { sandbox: 600, production: 600 },
      keysPerEnvironment: 5,
      authFailuresPerClient: 4,
      issuanceCache: false,
      strictSessions: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ KEYMINT_PORT: '', KEYMINT_SESSION_TTL: '' })).toMatchObject({ port: 8787, sessionTtl: { sandbox: 3600 } });
  });

  it.each([
    ['KEYMINT_PORT', 'eighty'],
    ['KEYMINT_PUBLIC_URL', 'ftp://example.com'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['KEYMINT_SESSION_TTL', '-5'],
    ['KEYMINT_KEYS_PER_ENVIRONMENT', '0'],
    ['KEYMINT_ADMIN_TOKEN', 'short'],
    ['KEYMINT_SECRET_PEPPER', 'short'],
    ['KEYMINT_KEK', 'not-base64'],
    ['KEYMINT_AUTH_FAILURES_PER_CLIENT', '1.5'],
    ['KEYMINT_ISSUANCE_CACHE', 'maybe'],
    ['KEYMINT_STRICT_SESSIONS', 'on?'],
  ])('names %s in the error for %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('names every bad variable at once', () => {
    let message = '';
    try {
      loadConfig({ KEYMINT_PORT: 'x', KEYMINT_SESSION_TTL: 'y' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('KEYMINT_PORT');
    expect(message).toContain('KEYMINT_SESSION_TTL');
  });
});
