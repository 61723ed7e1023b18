// Starts a real keymint on a loopback port: real SQLite file, real Redis (when available) or the in-process
// session store (the `node-memory` vitest project), real HTTP; or, in the `node-two-nodes` project, two keymint
// processes on PostgreSQL and Redis Cluster behind an alternating front (test/support/two-node-gateway.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RequestListener, type Server } from 'node:http';
import { inject } from 'vitest';
import { createUpstreamForwarder } from '../../src/core/proxy-forward.js';
import { createApp, type KeymintApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { randomBase62 } from '../../src/shared/encoding.js';
import type { Environment } from '../../src/shared/domain.js';
import { createJsonLogger } from '../../src/runtime/logger.js';
import { createNodeDeps } from '../../src/runtime/node-deps.js';
import { createNodeRequestListener } from '../../src/runtime/node-server.js';
import type { Clock } from '../../src/ports/runtime.js';
import type { ApiKeyWithSecret } from './api-key.js';
import { startTwoNodeGateway } from './two-node-gateway.js';
import { startUpstream, type Upstream } from './upstream.js';

// Key names are unique per account and environment (SPEC §9): helpers number the default one.
let keyNames = 0;

export interface GatewayOptions {
  /** Start the webhook delivery worker, polling this often (left out: deliveries stay in the outbox; two nodes always run it). */
  webhookPollMs?: number;
  /** Extra KEYMINT_* variables. */
  env?: Record<string, string>;
  /**
   * 'redis' needs redis-server (see test/support/redis-server.ts); default: what the vitest project provides
   * as `sessionStore` (vitest.config.ts), else redis when available. Two nodes are always on Redis Cluster.
   */
  sessions?: 'redis' | 'memory';
  clock?: Clock;
  /** Reuse a database directory (to restart on the same data). */
  directory?: string;
  /** The proxy's upstream client: Node's (node:http, the default) or the Worker's (fetch). */
  forwarder?: 'node' | 'fetch';
  /**
   * How requests reach the app: as `npm start` serves them (`node`, the default: the proxy's node:http fast
   * path in front of hono), or every one through app.fetch (`fetch`, the path the Worker runs).
   */
  server?: 'node' | 'fetch';
}

/** The two ways a Node gateway can serve requests, for suites that run against both. */
export const SERVER_PATHS = [
  ['node:http fast path', 'node'],
  ['app.fetch', 'fetch'],
] as const;

export interface Gateway {
  url: string;
  config: Config;
  /** The in-process app (reading it throws for two nodes, which are other processes). */
  app: KeymintApp;
  rootToken: string;
  directory: string;
  logs: string[];
  issuer(environment: Environment): string;
  /** fetch against the gateway; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON admin request with the root token (or `token`). */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  createAccount(name?: string): Promise<{ id: string; name: string }>;
  createKey(
    accountId: string,
    input: { environment: Environment; name?: string; scopes?: string[]; expiresAt?: string },
    token?: string,
  ): Promise<ApiKeyWithSecret>;
  /** client_secret_basic exchange; returns the raw response. */
  exchange(environment: Environment, clientId: string, secret: string, params?: Record<string, string>): Promise<Response>;
  /** Exchange that must succeed; returns the access token. */
  mint(environment: Environment, key: ApiKeyWithSecret, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export type { ApiKeyWithSecret } from './api-key.js';

export const redisUrl = (): string | null => inject('redisUrl') ?? null;

/** Whether startGateway starts two keymint processes behind an alternating front (the `node-two-nodes` project). */
export const runsTwoNodes = (): boolean => inject('gatewayTopology') === 'two-nodes';

/** How many processes serve a test gateway (bounds that hold per process grow with it). */
export const gatewayNodeCount = (): number => (runsTwoNodes() ? 2 : 1);

/** The session store gateways of this vitest project use unless a test asks for one. */
export function defaultSessionStore(): 'redis' | 'memory' {
  return inject('sessionStore') ?? (redisUrl() ? 'redis' : 'memory');
}

export function basic(clientId: string, secret: string): string {
  const encode = (text: string) => encodeURIComponent(text.toWellFormed()).replace(/%20/g, "+");
  return `Basic ${btoa(`${encode(clientId)}:${encode(secret)}`)}`;
}

/** How many of `responses` answered each status: `{ 200: 50, 429: 150 }`. */
export function countStatuses(responses: Response[]): Record<number, number> {
  const counted: Record<number, number> = {};
  for (const response of responses) counted[response.status] = (counted[response.status] ?? 0) + 1;
  return counted;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  if (runsTwoNodes()) {
    const nodes = await startTwoNodeGateway(options);
    return withHttpHelpers(
      Object.defineProperty(nodes, 'app', {
        get() {
          throw new Error('this gateway is two keymint processes: there is no app in the test\'s process');
        },
      }) as typeof nodes & { app: KeymintApp },
    );
  }
  return startInProcessGateway(options);
}

async function startInProcessGateway(options: GatewayOptions): Promise<Gateway> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'keymint-test-'));
  const useRedis = (options.sessions ?? defaultSessionStore()) === 'redis';
  if (useRedis && !redisUrl()) throw new Error('this test needs redis-server');

  // Listening first: the public URL (in every issuer) needs the port.
  let listener: RequestListener | undefined;
  const server: Server = createServer((request, response) => listener!(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const rootToken = `root_${randomBase62(40)}`;
  const config = loadConfig({
    KEYMINT_DATABASE: join(directory, 'keymint.db'),
    KEYMINT_PUBLIC_URL: url,
    KEYMINT_ADMIN_TOKEN: rootToken,
    KEYMINT_REDIS_PREFIX: `t${randomBase62(8)}`,
    ...(useRedis ? { REDIS_URL: redisUrl()! } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const node = await createNodeDeps(
    config,
    createJsonLogger((line) => logs.push(line)),
    options.clock,
    options.webhookPollMs === undefined ? {} : { webhookDeliveries: { intervalMs: options.webhookPollMs } },
  );
  const app = await createApp({
    ...node.deps,
    ...(options.forwarder === 'fetch' && { upstreamForwarder: createUpstreamForwarder({ timeoutMs: config.upstreamTimeoutMs }) }),
  });
  const serving = createNodeRequestListener(app, { fastPath: options.server !== 'fetch' });
  listener = serving.listener;

  return withHttpHelpers({
    url,
    config,
    app,
    rootToken,
    directory,
    logs,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      serving.close();
      await node.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  });
}

type GatewayParts = Pick<Gateway, 'url' | 'config' | 'app' | 'rootToken' | 'directory' | 'logs' | 'close'>;

/** Adds the HTTP helpers to a started gateway (the object itself, so its getters stay). */
function withHttpHelpers(parts: GatewayParts): Gateway {
  const { url, rootToken } = parts;
  const helpers: Omit<Gateway, keyof GatewayParts> = {
    issuer: (environment) => `${url}/${environment}`,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    admin(method, path, body, token = rootToken) {
      return fetch(`${url}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async createAccount(name = 'Acme') {
      const response = await gateway.admin('POST', '/accounts', { name });
      if (response.status !== 201) throw new Error(`createAccount: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string; name: string };
    },
    async createKey(accountId, input, token) {
      const response = await gateway.admin('POST', `/accounts/${accountId}/keys`, { name: `test key ${++keyNames}`, ...input }, token);
      if (response.status !== 201) throw new Error(`createKey: ${response.status} ${await response.text()}`);
      return (await response.json()) as ApiKeyWithSecret;
    },
    exchange(environment, clientId, secret, params = {}) {
      return fetch(`${url}/${environment}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
      });
    },
    async mint(environment, key, scope) {
      const response = await gateway.exchange(environment, key.applicationId, key.applicationSecret, scope ? { scope } : {});
      if (response.status !== 200) throw new Error(`mint: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
  };
  const gateway: Gateway = Object.assign(parts, helpers);
  return gateway;
}

/**
 * A gateway whose sandbox has two services on one upstream (SPEC §7): `orders` at `/orders` with its own audience,
 * the rest at `/` with the default one; and a sandbox key with the scope `orders:read`.
 */
export async function startOrdersAndRestGateway(ordersAudience: string): Promise<{ upstream: Upstream; gateway: Gateway; key: ApiKeyWithSecret }> {
  const upstream = await startUpstream();
  const gateway = await startGateway({
    env: {
      KEYMINT_SERVICES_SANDBOX: JSON.stringify([
        { name: 'orders', path: '/orders', upstream: upstream.url, audience: ordersAudience },
        { name: 'rest', path: '/', upstream: upstream.url },
      ]),
    },
  });
  const account = await gateway.createAccount();
  const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
  return { upstream, gateway, key };
}
