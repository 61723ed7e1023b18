// loadConfig (src/config.ts): SPEC §5 defaults, and errors that name the bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, describeDatabase, loadConfig } from '../config.js';

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
      dpopNonces: false,
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
      KEYMINT_DPOP_NONCES: 'true',
    });
    expect(config).toMatchObject({
      publicUrl: 'https://auth.example.com',
      redisUrl: 'redis://127.0.0.1:6379',
      sessionTtl: { sandbox: 600, production: 600 },
      keysPerEnvironment: 5,
      authFailuresPerClient: 4,
      issuanceCache: false,
      strictSessions: true,
      dpopNonces: true,
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
    ['KEYMINT_DPOP_NONCES', 'sometimes'],
    ['KEYMINT_DATABASE_POOL', '0'],
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

  describe('with PostgreSQL (KEYMINT_DATABASE=postgres://…)', () => {
    const shared = {
      KEYMINT_DATABASE: 'postgresql://keymint:pw@db.internal:5432/keymint',
      KEYMINT_ADMIN_TOKEN: 'root_0123456789abcdefghijklmnopqrstuv',
      KEYMINT_SECRET_PEPPER: 'pepper_0123456789abcdefghijklmnopqrstuv',
      REDIS_URL: 'redis://redis.internal:6379',
    };

    it('takes the URL and a pool size (default 10)', () => {
      expect(loadConfig(shared)).toMatchObject({ database: shared.KEYMINT_DATABASE, databasePool: 10 });
      expect(loadConfig({ ...shared, KEYMINT_DATABASE_POOL: '25' }).databasePool).toBe(25);
    });

    it.each([
      ['KEYMINT_ADMIN_TOKEN', /KEYMINT_ADMIN_TOKEN: must be set when KEYMINT_DATABASE is a PostgreSQL URL/],
      ['KEYMINT_SECRET_PEPPER', /KEYMINT_SECRET_PEPPER: must be set when KEYMINT_DATABASE is a PostgreSQL URL/],
      ['REDIS_URL', /REDIS_URL: must be set when KEYMINT_DATABASE is a PostgreSQL URL \(sessions/],
    ])('refuses to start without %s, naming it', (name, message) => {
      const { [name as keyof typeof shared]: _, ...rest } = shared;
      expect(() => loadConfig(rest)).toThrow(ConfigError);
      expect(() => loadConfig(rest)).toThrow(message);
    });

    it.each([
      ['mysql://root@db/keymint', 'KEYMINT_DATABASE: must be a SQLite file path or a postgres:// (postgresql://) URL'],
      ['postgres://[not a host', 'KEYMINT_DATABASE: is not a valid PostgreSQL URL'],
    ])('refuses KEYMINT_DATABASE=%s', (database, message) => {
      expect(() => loadConfig({ ...shared, KEYMINT_DATABASE: database })).toThrow(message);
    });

    it('names every missing variable at once', () => {
      expect(() => loadConfig({ KEYMINT_DATABASE: shared.KEYMINT_DATABASE })).toThrow(
        /KEYMINT_ADMIN_TOKEN[^]*KEYMINT_SECRET_PEPPER[^]*REDIS_URL/,
      );
    });

    it('keeps the password out of what logs show', () => {
      expect(describeDatabase(shared.KEYMINT_DATABASE)).toBe('postgresql://keymint:***@db.internal:5432/keymint');
      expect(describeDatabase('./data/keymint.db')).toBe('./data/keymint.db');
    });
  });
});
