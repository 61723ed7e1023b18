// The reverse proxy's upstream calls over node:http(s) with keep-alive agents: the contract of the core's
// fetch forwarder (core/proxy-forward.ts, which the Worker keeps) at a fraction of the cost. Node 20's fetch
// spent ~370 µs of CPU per small upstream call, about a third of a proxied request (bench/README.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import { urlToHttpOptions } from 'node:url';
import { constants as zlib, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import {
  createWatchdog,
  downstreamResponseHeaderList,
  forwardFailure,
  headerList,
  headerListValue,
  isSmallPlainBody,
  listedHeaders,
  observeChunks,
  type ForwardFailure,
  type HeaderList,
  type UpstreamForwarder,
} from '../../ports/upstream-forwarder.js';
import { ok, type Result } from '../../shared/result.js';

export interface NodeUpstreamForwarder extends UpstreamForwarder {
  /** Closes the idle keep-alive connections. */
  close(): void;
}

// The upstream's encodings that are undone, as fetch does (the caller gets the body decoded); like fetch,
// a body cut short still hands over what it decoded instead of failing at the end.
export function decoderFor(encoding: string | null | undefined) {
  const lenient = { flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH };
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip(lenient);
    case 'deflate':
      return createInflate(lenient);
    case 'br':
      return createBrotliDecompress({ flush: zlib.BROTLI_OPERATION_FLUSH, finishFlush: zlib.BROTLI_OPERATION_FLUSH });
    default:
      return undefined;
  }
}

export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

// A keep-alive connection left idle this long is closed (undici's default), sooner when the upstream's
// `Keep-Alive: timeout=N` says so; without it Node keeps idle sockets until the upstream drops them, and a
// request sent as it does fails. (The agent's timeout only ever closes idle sockets, not busy ones.)
const IDLE_SOCKET_MS = 4_000;
// A connection the upstream closed just as a request went out on it: the request never reached it.
export const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);
// Statuses whose answer has no body (RFC 9110 §15.3.5, §15.3.6, §15.4.5).
export const NO_BODY_STATUS = new Set([204, 205, 304]);

/** Where a call to an upstream URL goes: node:http's connection options, its Host, and the request target. */
export interface UpstreamTarget {
  secure: boolean;
  connection: { protocol: string; hostname: string; port: number | undefined };
  /** The Host header: the host, and the port unless it is the scheme's default. */
  host: string;
  /** The request target: path and query. */
  path: string;
}

/** `url` as node:http reads it (`urlToHttpOptions`, as http.request does with a URL). */
export function upstreamTarget(url: URL): UpstreamTarget {
  const { protocol, hostname, port, path } = urlToHttpOptions(url);
  return { secure: protocol === 'https:', connection: { protocol: protocol!, hostname: hostname!, port: port == null ? undefined : Number(port) }, host: url.host, path: path! };
}

/**
 * The header lines node:http sends upstream: the upstream's own Host, `headers`, and the body framed. Without a
 * body, no Content-Length; with one of unknown length, chunked, whatever the method. Node frames GET, HEAD,
 * DELETE, OPTIONS and CONNECT bodies only when told to: sent raw, the body's bytes would read as a second
 * request on the kept-alive connection, with headers of the caller's choosing.
 */
export function nodeRequestHeaders(headers: readonly string[], host: string, hasBody: boolean): HeaderList {
  const lines: HeaderList = ['Host', host];
  let framed = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      if (!hasBody) continue;
      framed = true;
    }
    lines.push(name, headers[i + 1]!);
  }
  if (hasBody && !framed) lines.push('Transfer-Encoding', 'chunked');
  return lines;
}

/** The keep-alive agents upstream calls go through (also the Node proxy fast path's). */
export function createUpstreamAgents() {
  return {
    http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
}

export function createNodeUpstreamForwarder(deps: { timeoutMs: number }): NodeUpstreamForwarder {
  const agents = createUpstreamAgents();

  return {
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },

    async forward(call): Promise<Result<Response, ForwardFailure>> {
      const watchdog = createWatchdog(call.timeoutMs ?? deps.timeoutMs, call.signal);
      const failure = (error: unknown) => forwardFailure(watchdog, call.signal, errorCode(error));
      const target = upstreamTarget(new URL(call.url));
      const headers = nodeRequestHeaders(headerList(call.headers), target.host, call.body !== null);

      // One request; a GET or HEAD that meets a keep-alive connection the upstream has just closed is sent
      // once more on a new one (Node's advice for `reusedSocket`): nothing of it can have been processed.
      const exchange = (mayRetry: boolean): Promise<IncomingMessage> =>
        new Promise((resolve, reject) => {
          const agent = target.secure ? agents.https : agents.http;
          const options = { ...target.connection, path: target.path, method: call.method, headers, signal: watchdog.signal, agent };
          const request = (target.secure ? httpsRequest : httpRequest)(options, resolve);
          request.once('error', (error) => {
            if (mayRetry && request.reusedSocket && STALE_CONNECTION.has(errorCode(error))) resolve(exchange(false));
            else reject(error);
          });
          if (call.body === null) {
            request.end();
            return;
          }
          const body = Readable.fromWeb(call.body as import('node:stream/web').ReadableStream<Uint8Array>);
          body.on('data', watchdog.arm);
          // Errors on either side end both; the request's own 'error' then rejects.
          pipeline(body, request, () => undefined);
        });

      watchdog.arm();
      let response: IncomingMessage;
      try {
        response = await exchange(call.body === null);
      } catch (error) {
        return failure(error);
      }

      const upstreamHeaders = response.rawHeaders;
      const status = response.statusCode ?? 502;
      const init = { status, statusText: response.statusMessage ?? '' };
      // A status a Response cannot carry (a 1xx, or one outside 200–599), or a header value it refuses, is a
      // broken upstream, as with fetch.
      const answer = (body: BodyInit | null, decoded: boolean) => {
        try {
          return ok(new Response(body, { ...init, headers: listedHeaders(downstreamResponseHeaderList(upstreamHeaders, decoded)) }));
        } catch (error) {
          response.destroy();
          return failure(error);
        }
      };
      if (call.method === 'HEAD' || NO_BODY_STATUS.has(status)) {
        response.resume();
        watchdog.stop();
        return answer(null, false);
      }

      const encoding = headerListValue(upstreamHeaders, 'content-encoding');
      const decoder = decoderFor(encoding);
      if (!decoder && isSmallPlainBody(headerListValue(upstreamHeaders, 'content-length'), encoding)) {
        // A small body of declared length is read whole (still under the watchdog) and answered in one
        // write with its headers. A body that breaks off is a failed request: it could not be delivered whole.
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of response) {
            watchdog.arm();
            chunks.push(chunk as Buffer);
          }
        } catch (error) {
          return failure(error);
        }
        watchdog.stop();
        const bytes = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)) as Uint8Array as Uint8Array<ArrayBuffer>;
        return answer(bytes, false);
      }

      const source: Readable = decoder ? pipeline(response, decoder, () => undefined) : response;
      const body = observeChunks(Readable.toWeb(source) as ReadableStream<Uint8Array>, watchdog.arm, watchdog.stop);
      watchdog.arm();
      return answer(body, decoder !== undefined);
    },
  };
}
