// UpstreamForwarder: how the reverse proxy reaches an upstream (fetch by default, node:http on Node), and the
// pieces every implementation shares: the idle watchdog, why a call failed, the response headers the caller gets.
import { fail, type Result } from '../shared/result.js';

export type ForwardFailure = 'unreachable' | 'timeout' | 'client_closed';

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Aborts when the caller goes away; the upstream request is aborted with it. */
  signal: AbortSignal;
  /** The idle timeout of this call (the service's); default: the forwarder's own. */
  timeoutMs?: number;
}

export interface UpstreamForwarder {
  /**
   * The upstream's response, ready to return as it is (hop-by-hop headers dropped, a decoded body's encoding
   * headers too: `downstreamResponseHeaders`); a failure when no response could be had.
   */
  forward(call: UpstreamCall): Promise<Result<Response, ForwardFailure>>;
}

/**
 * The signal the upstream request runs under: aborted when the caller goes away, or when neither side has
 * moved for `timeoutMs` (no response headers, no request chunk taken, no response chunk given). An idle
 * timeout rather than a deadline, so a large body may take as long as it keeps moving while a hung upstream
 * still fails in bounded time.
 *
 * One controller fed by a listener on the caller's signal, not AbortSignal.any(): on Node 20 a signal from
 * AbortSignal.any() with an abort listener is never collected (nodejs/node#54614, #55328), which leaked
 * ~3 KB per proxied request.
 */
export function createWatchdog(timeoutMs: number, caller: AbortSignal) {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let timedOut = false;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
  };
  const stop = () => {
    stopped = true;
    clear();
  };
  const callerLeft = () => controller.abort(caller.reason);
  if (caller.aborted) callerLeft();
  else caller.addEventListener('abort', callerLeft, { once: true });
  controller.signal.addEventListener('abort', stop, { once: true });
  return {
    signal: controller.signal,
    /** Whether the idle timeout (rather than the caller) ended the call. */
    get timedOut() {
      return timedOut;
    },
    arm() {
      if (stopped) return;
      clear();
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException(`the upstream made no progress for ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
    },
    stop,
  };
}

export type Watchdog = ReturnType<typeof createWatchdog>;

/** Why a call that got no usable answer ended: the idle timeout, the caller leaving, or the upstream (`detail`). */
export function forwardFailure(watchdog: Watchdog, caller: AbortSignal, detail: string): Result<never, ForwardFailure> {
  watchdog.stop();
  if (watchdog.timedOut) return fail('timeout');
  if (caller.aborted) return fail('client_closed');
  return fail('unreachable', detail);
}

/** `stream`, calling `onChunk` for every chunk that passes and `onEnd` when it is done. */
export function observeChunks(stream: ReadableStream<Uint8Array>, onChunk: () => void, onEnd?: () => void) {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onChunk();
        controller.enqueue(chunk);
      },
      flush: onEnd,
    }),
  );
}

// Responses up to this size with a Content-Length (and no Content-Encoding to undo) are buffered.
const SMALL_BODY_BYTES = 64 * 1024;

/** Whether a response of this Content-Length and Content-Encoding is read whole rather than streamed. */
export function isSmallPlainBody(contentLength: string | null | undefined, contentEncoding: string | null | undefined): boolean {
  return (
    contentLength != null && /^\d+$/.test(contentLength) && Number(contentLength) <= SMALL_BODY_BYTES && contentEncoding == null
  );
}

/**
 * Header lines as node:http reads and writes them (`rawHeaders`, `writeHead`, `request`): name, value, name,
 * value… Names in any case, a name possibly on several lines. The header rules work on these lists, so the
 * Node proxy passes headers through without building web `Headers` (bench/README.md: ~12 µs a call); the
 * `Headers` forms below are thin wrappers for fetch and the Worker.
 */
export type HeaderList = string[];

/** A header's value as `Headers#get` reads it: its lines, trimmed, joined (`; ` for Cookie); `lowerName` in lower case. */
export function headerListValue(list: readonly string[], lowerName: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.length !== lowerName.length || name.toLowerCase() !== lowerName) continue;
    const line = list[i + 1]!.trim();
    value = value === undefined ? line : `${value}${lowerName === 'cookie' ? '; ' : ', '}${line}`;
  }
  return value;
}

/** Web `Headers` as a header list (lower-case names, as they iterate). */
export function headerList(headers: Headers): HeaderList {
  const list: HeaderList = [];
  for (const [name, value] of headers) list.push(name, value);
  return list;
}

/** A header list as web `Headers`. */
export function listedHeaders(list: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < list.length; i += 2) headers.append(list[i]!, list[i + 1]!);
  return headers;
}

// RFC 9110 §7.6.1 plus the de-facto ones; every `Proxy-*` header goes too.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** An RFC 9110 §5.6.2 token. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/;

/**
 * A lower-case header name as upstreams may read it: behind WSGI or CGI (`HTTP_X_KEYMINT_ACCOUNT`), with `_`
 * for `-`. Allocates only for a name holding an underscore.
 */
export function canonicalName(name: string): string {
  return name.includes('_') ? name.replaceAll('_', '-') : name;
}

/** The header names a `Connection` header lists (RFC 9110 §7.6.1) besides the usual hop-by-hop ones. */
export function connectionOptions(connection: string | null | undefined): string[] | undefined {
  if (connection == null || HOP_BY_HOP.has(connection.toLowerCase())) return undefined;
  return connection
    .split(',')
    .map((name) => canonicalName(name.trim().toLowerCase()))
    .filter((name) => HTTP_TOKEN.test(name));
}

/** Whether a header (its canonical name) is hop-by-hop, given what `Connection` named. */
export function isHopByHop(name: string, connectionNamed: readonly string[] | undefined): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (connectionNamed !== undefined && connectionNamed.includes(name));
}

/**
 * The upstream's response header lines as the caller gets them: hop-by-hop ones dropped; `decodedBody` when
 * the forwarder decoded the body, whose encoding and encoded length then no longer describe it.
 */
export function downstreamResponseHeaderList(upstream: readonly string[], decodedBody: boolean): HeaderList {
  const connectionNamed = connectionOptions(headerListValue(upstream, 'connection'));
  const decoded = decodedBody && headerListValue(upstream, 'content-encoding') !== undefined;
  const headers: HeaderList = [];
  for (let i = 0; i < upstream.length; i += 2) {
    const raw = upstream[i]!;
    const name = raw.toLowerCase();
    if (isHopByHop(canonicalName(name), connectionNamed)) continue;
    if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    headers.push(raw, upstream[i + 1]!);
  }
  return headers;
}

/** `downstreamResponseHeaderList` over web `Headers`. */
export function downstreamResponseHeaders(upstream: Headers, decodedBody: boolean): Headers {
  return listedHeaders(downstreamResponseHeaderList(headerList(upstream), decodedBody));
}
