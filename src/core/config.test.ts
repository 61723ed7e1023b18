// loadConfig (src/config.ts): SPEC §5 defaults, and errors that name the bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, describeDatabase, describeRedis, loadConfig } from '../config.js';

describe('loadConfig', () => {
  it('has the SPEC §5 defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8787,
      publicUrl: 'http://localhost:8787',
      database: './data/keymint.db',
      redis: undefined,
      adminToken: undefined,
      sessionTtl: { sandbox: 3600, production: 3600 },
      keysPerEnvironment: 3,
      keysPerAccount: undefined,
      webhooksAllowPrivate: false,
      webhookTimeoutMs: 15_000,
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
      KEYMINT_KEYS_PER_ACCOUNT: '30',
      KEYMINT_WEBHOOKS_ALLOW_PRIVATE: 'true',
      KEYMINT_WEBHOOK_TIMEOUT_MS: '5000',
    });
    expect(config).toMatchObject({
      keysPerAccount: 30,
      webhooksAllowPrivate: true,
      webhookTimeoutMs: 5000,
      publicUrl: 'https://auth.example.com',
      redis: { kind: 'single', url: 'redis://127.0.0.1:6379' },
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
    ['KEYMINT_KEYS_PER_ACCOUNT', '0'],
    ['KEYMINT_WEBHOOKS_ALLOW_PRIVATE', 'sometimes'],
    ['KEYMINT_WEBHOOK_TIMEOUT_MS', '10'],
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

  describe('the shared session store (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)', () => {
    it('reads one Redis from REDIS_URL, and nothing without any of the three', () => {
      expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380' }).redis).toEqual({ kind: 'single', url: 'rediss://user:pw@cache:6380' });
      expect(loadConfig({}).redis).toBeUndefined();
    });

    it('reads a Redis Cluster: its nodes (IPv6 in brackets), credentials and TLS', () => {
      const config = loadConfig({
        REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[fd00::3]:7002',
        REDIS_USERNAME: 'keymint',
        REDIS_PASSWORD: 's3cret',
        REDIS_TLS: 'true',
      });
      expect(config.redis).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'redis-a', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: 'fd00::3', port: 7002 },
        ],
        username: 'keymint',
        password: 's3cret',
        tls: true,
      });
    });

    it('reads Sentinels with the name of the primary they watch; without the name it names REDIS_SENTINEL_NAME', () => {
      expect(loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'keymint' }).redis).toEqual({
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
        name: 'keymint',
        username: undefined,
        password: undefined,
        tls: false,
      });
      expect(() => loadConfig({ REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_SENTINEL_NAME: must be set with REDIS_SENTINELS/);
      expect(() => loadConfig({ REDIS_SENTINEL_NAME: 'keymint' })).toThrow(/REDIS_SENTINEL_NAME: applies only with REDIS_SENTINELS/);
    });

    it.each([
      [{ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }, 'REDIS_URL and REDIS_CLUSTER_NODES are both set'],
      [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_URL and REDIS_SENTINELS are both set'],
      [{ REDIS_CLUSTER_NODES: 'b:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set'],
    ])('refuses two session stores at once, naming them: %j', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(`set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (${message})`);
    });

    it.each([
      ['REDIS_CLUSTER_NODES', 'redis-a'],
      ['REDIS_CLUSTER_NODES', 'redis-a:7000,'],
      ['REDIS_CLUSTER_NODES', 'redis-a:70000'],
      ['REDIS_CLUSTER_NODES', 'redis://redis-a:7000'],
      ['REDIS_SENTINELS', 's1:26379;s2:26379'],
    ])('names %s for the node list %j', (name, value) => {
      const env = { [name]: value, ...(name === 'REDIS_SENTINELS' && { REDIS_SENTINEL_NAME: 'm' }) };
      expect(() => loadConfig(env)).toThrow(new RegExp(`${name}: must be host:port entries separated by commas`));
    });

    it('refuses credentials and TLS beside REDIS_URL (they belong in the URL) or without any Redis', () => {
      expect(() => loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'pw' })).toThrow(/REDIS_PASSWORD: applies to REDIS_CLUSTER_NODES and REDIS_SENTINELS; put it in REDIS_URL/);
      expect(() => loadConfig({ REDIS_TLS: 'true' })).toThrow(/REDIS_TLS: applies only with REDIS_CLUSTER_NODES or REDIS_SENTINELS/);
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'sometimes' })).toThrow(/REDIS_TLS: must be true or false/);
    });

    it('accepts a Cluster or Sentinels as the shared store PostgreSQL needs', () => {
      const postgres = {
        KEYMINT_DATABASE: 'postgres://keymint:pw@db:5432/keymint',
        KEYMINT_ADMIN_TOKEN: 'root_0123456789abcdefghijklmnopqrstuv',
        KEYMINT_SECRET_PEPPER: 'pepper_0123456789abcdefghijklmnopqrstuv',
      };
      expect(loadConfig({ ...postgres, REDIS_CLUSTER_NODES: 'a:7000' }).redis?.kind).toBe('cluster');
      expect(loadConfig({ ...postgres, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }).redis?.kind).toBe('sentinel');
      expect(() => loadConfig(postgres)).toThrow(/REDIS_CLUSTER_NODES or REDIS_SENTINELS serve as well/);
    });

    it('shows the store without its password', () => {
      expect(describeRedis(loadConfig({ REDIS_URL: 'redis://:hunter2@cache:6379/0' }).redis!)).toBe('redis://:***@cache:6379/0');
      expect(describeRedis(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,[::1]:7001', REDIS_PASSWORD: 'hunter2' }).redis!)).toBe(
        'Redis Cluster a:7000,[::1]:7001',
      );
      expect(describeRedis(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_PASSWORD: 'hunter2' }).redis!)).toBe(
        'Redis Sentinel s:26379 (primary m)',
      );
    });
  });
});
