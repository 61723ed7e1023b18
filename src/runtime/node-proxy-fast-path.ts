// The reverse proxy's Node fast path: ANY /{env}/api/* answered straight on node:http, through the same core
// and http/proxy calls as http/proxy/reverse-proxy.ts, without web Request, Response or AbortSignal objects;
// every other request (and every odd spelling of a proxy path) goes to the hono app. bench/README.md has
// what this saves; test/proxy*.test.ts run against both paths.
import { request as httpRequest, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { Context, ErrorHandler } from 'hono';
import { getPath } from 'hono/utils/url';
import type { KeymintApp } from '../app.js';
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import { upstreamRequestHeaderList } from '../core/proxy-headers.js';
import { downstreamResponseHeaderList, headerList, headerListValue, isSmallPlainBody, type HeaderList } from '../ports/upstream-forwarder.js';
import {
  createUpstreamAgents,
  decoderFor,
  errorCode,
  NO_BODY_STATUS,
  nodeRequestHeaders,
  STALE_CONNECTION,
  upstreamTarget,
  type UpstreamTarget,
} from '../adapters/node/http-forwarder.js';
import { REQUEST_ID, routeLabel } from '../http/observability.js';
import { admitProxyCall, upstreamFailure, type AdmittedCall } from '../http/proxy/admission.js';
import type { AppEnv } from '../http/services.js';

export interface NodeProxyFastPath {
  /** Serves the proxy's requests, hands every other one to `fallback`. */
  listener: RequestListener;
  /** Closes the idle upstream connections. */
  close(): void;
}

const PREFIXES = ENVIRONMENTS.map((environment) => [environment, `/${environment}/api`] as const);

/** The environment whose proxy prefix `path` starts with, followed by `/`, `?` or nothing. */
function proxyEnvironment(path: string): Environment | undefined {
  for (const [environment, prefix] of PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const next = path.charCodeAt(prefix.length);
    if (Number.isNaN(next) || next === 0x2f || next === 0x3f) return environment;
  }
  return undefined;
}

/**
 * `c.req.raw` as the checks read it: whether the caller has gone. A class, so the getter is its prototype's: written as
 * a getter in the context's object literal, it made V8 (Node 20) keep every proxied request's objects past the young
 * generation until the next full GC (`--trace-gc`: ~1.3 MB promoted and a ~5 ms scavenge every ~60 ms under load, with
 * the spread in `forward` below and the one in core/dpop-proofs.ts; bench/README.md, round 6).
 */
class CallerSignal {
  constructor(private readonly outgoing: ServerResponse) {}
  get signal(): { aborted: boolean } {
    return { aborted: this.outgoing.destroyed && !this.outgoing.writableFinished };
  }
}

/**
 * What the proxy's http/ helpers read of a hono Context — `c.req.header()`, the URL (a DPoP proof's `htu`), the
 * connection for the client's address (`getConnInfo`), the path, method and request id for the app's error handler, and whether the
 * caller has gone (`c.req.raw.signal.aborted`) — over a node request.
 */
function proxyContext(incoming: IncomingMessage, outgoing: ServerResponse, url: URL, path: string, requestId: string): Context<AppEnv> {
  const context = {
    req: {
      header: (name: string) => headerListValue(incoming.rawHeaders, name.toLowerCase()),
      url: url.href,
      path,
      method: incoming.method,
      raw: new CallerSignal(outgoing),
    },
    env: { incoming },
    get: (key: string) => (key === 'requestId' ? requestId : undefined),
  };
  return context as unknown as Context<AppEnv>;
}

/** Why an upstream call gave no usable answer, as the Web forwarders say it (core/proxy-forward.ts). */
class UpstreamFailure extends Error {
  constructor(readonly reason: 'timeout' | 'unreachable' | 'client_closed', readonly detail: string) {
    super(`${reason}: ${detail}`);
  }
}

/** The whole body of a small upstream answer; rejects when it breaks off. */
function readWhole(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    response.once('error', reject);
    response.once('close', () => {
      if (!response.complete) reject(new Error('the upstream closed the connection in the middle of the body'));
    });
  });
}

/**
 * Header lines with the request id and the call's own fields (the RateLimit fields of a key with limits, a fresh
 * DPoP nonce when there is one) set, in place of any the upstream sent.
 */
function withOwnHeaders(lines: HeaderList, requestId: string, own: Record<string, string>): HeaderList {
  const replaced = Object.keys(own).map((name) => name.toLowerCase());
  for (let i = lines.length - 2; i >= 0; i -= 2) {
    const name = lines[i]!;
    if ((name.length === 12 && name.toLowerCase() === 'x-request-id') || (replaced.length > 0 && replaced.includes(name.toLowerCase()))) {
      lines.splice(i, 2);
    }
  }
  for (const name in own) lines.push(name, own[name]!);
  lines.push('X-Request-Id', requestId);
  return lines;
}

export function createNodeProxyFastPath(app: KeymintApp, fallback: RequestListener): NodeProxyFastPath {
  const services = app.services;
  const { config, logger, metrics } = services;
  // The app's own onError: one place decides how a fault is answered, logged and counted, on both paths.
  const answerError = (app as unknown as { errorHandler: ErrorHandler<AppEnv> }).errorHandler;
  const agents = createUpstreamAgents();
  // Each configured upstream's URL, parsed once.
  const targets = new Map<string, UpstreamTarget>();
  const targetOf = (upstream: string) => {
    let target = targets.get(upstream);
    if (!target) targets.set(upstream, (target = upstreamTarget(new URL(upstream))));
    return target;
  };

  /** Forwards one admitted call and writes the answer; throws (an answer to give) before writing anything. */
  async function forward(incoming: IncomingMessage, outgoing: ServerResponse, call: AdmittedCall, url: URL, c: Context<AppEnv>, requestId: string): Promise<number> {
    const { caller } = call;
    const method = incoming.method ?? 'GET';
    const sent = upstreamRequestHeaderList(incoming.rawHeaders, caller, {
      clientIp: services.clientIp(c),
      host: c.req.header('host'),
      proto: url.protocol.replace(/:$/, ''),
      trustedProxies: config.trustedProxies,
    });
    // GET and HEAD carry no body (as on the hono path).
    const bodyless = method === 'GET' || method === 'HEAD';
    const { secure, connection, host, path: prefix } = targetOf(call.service.upstream);
    const headers = nodeRequestHeaders(sent, host, !bodyless);
    // Field by field: `...connection` here kept each request's objects until a full GC (see CallerSignal).
    const options = {
      protocol: connection.protocol,
      hostname: connection.hostname,
      port: connection.port,
      path: `${prefix === '/' ? '' : prefix}${call.pathAndQuery}`,
      method,
      headers,
      agent: secure ? agents.https : agents.http,
    };

    let timedOut = false;
    let clientGone = false;
    let current: ReturnType<typeof httpRequest> | undefined;
    const onClientClose = () => {
      if (outgoing.writableFinished) return;
      clientGone = true;
      current?.destroy();
    };
    outgoing.once('close', onClientClose);
    const failure = (error: unknown) =>
      new UpstreamFailure(timedOut ? 'timeout' : clientGone ? 'client_closed' : 'unreachable', errorCode(error));

    // One request; a GET or HEAD that meets a keep-alive connection the upstream has just closed is sent once
    // more on a new one. The idle timeout is the socket's: no byte either way for timeoutMs ends the call.
    const exchange = (mayRetry: boolean): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const request = (secure ? httpsRequest : httpRequest)(options, resolve);
        current = request;
        request.setTimeout(call.timeoutMs, () => {
          timedOut = true;
          request.destroy(new Error(`the upstream made no progress for ${call.timeoutMs} ms`));
        });
        // `on`, not `once`: a request that is retried or destroyed may report more than one error.
        request.on('error', (error) => {
          if (mayRetry && request.reusedSocket && STALE_CONNECTION.has(errorCode(error))) resolve(exchange(false));
          else reject(error);
        });
        if (clientGone) request.destroy();
        if (bodyless) request.end();
        else incoming.pipe(request);
      });

    let response: IncomingMessage;
    try {
      response = await exchange(bodyless);
      // A status a web Response cannot carry: a broken upstream, as with fetch.
      if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode > 599) {
        throw new Error(`status ${response.statusCode}`);
      }
    } catch (error) {
      current?.destroy();
      throw failure(error);
    }
    const status = response.statusCode;
    const upstreamHeaders = response.rawHeaders;
    /** Writes the answer's head; a header value node:http refuses to send (as fetch would) is a broken upstream. */
    const writeHead = (decoded: boolean) => {
      try {
        outgoing.writeHead(status, withOwnHeaders(downstreamResponseHeaderList(upstreamHeaders, decoded), requestId, call.answerHeaders));
      } catch (error) {
        current?.destroy();
        throw failure(error);
      }
      call.settle(status);
    };

    if (method === 'HEAD' || NO_BODY_STATUS.has(status)) {
      writeHead(false);
      response.resume();
      outgoing.end();
      return status;
    }
    const encoding = headerListValue(upstreamHeaders, 'content-encoding');
    const decoder = decoderFor(encoding);
    if (!decoder && isSmallPlainBody(headerListValue(upstreamHeaders, 'content-length'), encoding)) {
      let body: Buffer;
      try {
        body = await readWhole(response);
      } catch (error) {
        current?.destroy();
        throw failure(error);
      }
      writeHead(false);
      outgoing.end(body);
      return status;
    }
    writeHead(decoder !== undefined);
    // Streamed both ways with back-pressure; an upstream that breaks off (or goes idle) cuts the client's
    // connection, the one way left to say the body is incomplete.
    const done = (error: NodeJS.ErrnoException | null) => {
      if (error) outgoing.destroy();
    };
    if (decoder) pipeline(response, decoder, outgoing, done);
    else pipeline(response, outgoing, done);
    return status;
  }

  /** A web Response (an error answer) written to `outgoing`. */
  async function writeAnswer(outgoing: ServerResponse, answer: Response, requestId: string): Promise<number> {
    const body = Buffer.from(await answer.arrayBuffer());
    const headers = headerList(answer.headers);
    if (!answer.headers.has('content-length')) headers.push('content-length', String(body.length));
    if (outgoing.headersSent || outgoing.destroyed) return answer.status;
    outgoing.writeHead(answer.status, withOwnHeaders(headers, requestId, {}));
    outgoing.end(body);
    return answer.status;
  }

  async function serveProxy(incoming: IncomingMessage, outgoing: ServerResponse, environment: Environment, url: URL) {
    const started = performance.now();
    const presented = headerListValue(incoming.rawHeaders, 'x-request-id');
    const requestId = presented !== undefined && REQUEST_ID.test(presented) ? presented : crypto.randomUUID();
    // The path as hono's router and access log read it (decoded), and the route it matches.
    const path = getPath({ url: url.href } as Request);
    const route = path === `/${environment}/api` ? path : `/${environment}/api/*`;
    const c = proxyContext(incoming, outgoing, url, path, requestId);
    let status: number;
    let call: AdmittedCall | undefined;
    try {
      call = await admitProxyCall(c, services, environment, url, incoming.method ?? 'GET');
      status = await forward(incoming, outgoing, call, url, c, requestId);
    } catch (caught) {
      let error = caught;
      if (caught instanceof UpstreamFailure && call) {
        error = upstreamFailure(services, call, caught, { environment, method: incoming.method, path: url.pathname });
      }
      try {
        status = await writeAnswer(outgoing, await answerError(error as Error, c), requestId);
      } catch (fault) {
        logger.error('unhandled error', { requestId, method: incoming.method, path, error: String((fault as Error).stack ?? fault) });
        outgoing.destroy();
        status = 500;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.requestObserved(routeLabel(route), incoming.method ?? 'GET', status, seconds);
    logger.info('request', { requestId, method: incoming.method, path, status, ms: Math.round(seconds * 10_000) / 10 });
  }

  return {
    listener(incoming, outgoing) {
      const environment = proxyEnvironment(incoming.url ?? '');
      const host = headerListValue(incoming.rawHeaders, 'host');
      if (environment === undefined || host === undefined) return fallback(incoming, outgoing);
      const scheme = (incoming.socket as Socket & { encrypted?: boolean }).encrypted ? 'https' : 'http';
      let url: URL;
      try {
        url = new URL(`${scheme}://${host}${incoming.url}`);
      } catch {
        return fallback(incoming, outgoing);
      }
      // Only what the router would give the proxy, spelled plainly: a Host that is not just a host, or a
      // path whose dot segments lead elsewhere (`/sandbox/api/../oauth/token`), is the app's to answer.
      if (url.host !== host.toLowerCase() || proxyEnvironment(url.pathname) !== environment) return fallback(incoming, outgoing);
      void serveProxy(incoming, outgoing, environment, url);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
