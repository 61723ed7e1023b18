// A client that hangs up in the middle of its request body is a client abort (499 at info), not a server error.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface LogLine {
  level: string;
  message: string;
  method?: string;
  path?: string;
  status?: number;
  requestId?: string;
}

/**
 * Over a real socket: the request head, then part of the body it announced, then the connection destroyed.
 * `sent` resolves once the part is written; the socket is destroyed when `hangUp` is called.
 */
async function sendHalfABody(gatewayUrl: string, path: string, headers: Record<string, string>, hangUp: () => Promise<void>) {
  const { hostname, port } = new URL(gatewayUrl);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // Under the OAuth endpoints' 16 KiB body limit, so that the body is read rather than refused at once.
  const head = Object.entries({ host: `${hostname}:${port}`, 'content-length': '8000', ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.on('error', () => undefined);
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  socket.write('x'.repeat(2000));
  await hangUp();
  socket.destroy();
}

const settle = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('a client that hangs up mid-body', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let token: string;
  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
    const account = await gateway.createAccount();
    token = await gateway.mint('sandbox', await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['files:write'] }));
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const lines = () => gateway.logs.map((text) => JSON.parse(text) as LogLine);

  async function accessLine(requestId: string): Promise<LogLine> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const line = lines().find((entry) => entry.message === 'request' && entry.requestId === requestId);
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no access-log line for ${requestId}:\n${gateway.logs.join('\n')}`);
  }

  it('is logged at info with status 499 and counted as 499, at the token endpoint, the admin API and the proxy', async () => {
    await sendHalfABody(
      gateway.url,
      '/sandbox/oauth/token',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'abandoned-token' },
      settle(100),
    );
    await sendHalfABody(
      gateway.url,
      '/admin/v1/accounts',
      { 'content-type': 'application/json', authorization: `Bearer ${gateway.rootToken}`, 'x-request-id': 'abandoned-admin' },
      settle(100),
    );
    // The proxy is streaming the upload to the upstream when the client goes.
    await sendHalfABody(
      gateway.url,
      '/sandbox/api/upload',
      {
        'content-type': 'application/octet-stream',
        authorization: `Bearer ${token}`,
        'x-test-id': 'abandoned-upload',
        'x-request-id': 'abandoned-upload',
      },
      async () => void (await (await upstream.request('abandoned-upload')).firstChunk),
    );

    for (const [requestId, path, route] of [
      ['abandoned-token', '/sandbox/oauth/token', '/{env}/oauth/token'],
      ['abandoned-admin', '/admin/v1/accounts', '/admin/v1/accounts'],
      ['abandoned-upload', '/sandbox/api/upload', '/{env}/api/*'],
    ] as const) {
      expect(await accessLine(requestId), path).toMatchObject({ level: 'info', method: 'POST', path, status: 499 });
      const metrics = await (await gateway.fetch('/metrics')).text();
      const counted = new RegExp(
        `keymint_http_request_duration_seconds_count\\{route="${route.replace(/[{}*/]/g, '\\$&')}",method="POST",status="499"\\} 1\\b`,
      );
      expect(metrics, route).toMatch(counted);
    }
    const metrics = await (await gateway.fetch('/metrics')).text();
    expect(metrics).not.toMatch(/keymint_http_request_duration_seconds_count\{[^}]*status="5\d\d"\}/);
    // Nothing went wrong on keymint's side: no error line, no warning about the upstream.
    expect(lines().filter((line) => line.level === 'error' || line.message === 'upstream unreachable')).toEqual([]);
    // The upstream's request was abandoned with the client's.
    await (await upstream.request('abandoned-upload')).closed;
  });
});
