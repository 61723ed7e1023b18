// Forwards one request to the upstream with fetch and Web streams: bodies stream both ways, a stalled upstream is cut off.
import { downstreamResponseHeaders } from './proxy-headers.js';
import { fail, ok, type Result } from './result.js';

export type ForwardFailure = 'unreachable' | 'timeout' | 'client_closed';

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Aborts when the caller goes away; the upstream request is aborted with it. */
  signal: AbortSignal;
}

export interface UpstreamForwarder {
  /** The upstream's response, ready to return as it is; a failure when no response could be had. */
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

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

// Responses up to this size with a Content-Length (and no Content-Encoding to undo) are buffered.
const SMALL_BODY_BYTES = 64 * 1024;

export function isSmallPlainBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  return length !== null && /^\d+$/.test(length) && Number(length) <= SMALL_BODY_BYTES && !headers.has('content-encoding');
}

/** The forwarder on fetch: the Worker's, and anywhere no faster client is given (AppDeps.upstreamForwarder). */
export function createUpstreamForwarder(deps: { timeoutMs: number; fetch?: typeof fetch }): UpstreamForwarder {
  const fetchUpstream = deps.fetch ?? ((input, init) => fetch(input, init));
  return {
    async forward(call) {
      const watchdog = createWatchdog(deps.timeoutMs, call.signal);
      const failure = (error: unknown) => forwardFailure(watchdog, call.signal, describeFetchError(error));
      const headers = new Headers(call.headers);
      if (call.body === null) headers.delete('content-length');
      watchdog.arm();
      let response: Response;
      try {
        response = await fetchUpstream(call.url, {
          method: call.method,
          headers,
          body: call.body && observeChunks(call.body, watchdog.arm),
          // Streams the request body instead of buffering it (required by fetch for stream bodies).
          duplex: 'half',
          // The upstream's redirects are the caller's business.
          redirect: 'manual',
          signal: watchdog.signal,
        } as RequestInit);
      } catch (error) {
        return failure(error);
      }
      const init = { status: response.status, statusText: response.statusText };
      if (response.body && isSmallPlainBody(response.headers)) {
        // A small body of declared length is read whole (still under the watchdog) and answered in one
        // write with its headers, instead of a stream of chunk writes: most API answers are like this.
        // A body that breaks off is answered 502/504 like a failed request: it could not be delivered whole.
        let bytes: Uint8Array<ArrayBuffer>;
        try {
          watchdog.arm();
          bytes = new Uint8Array(await response.arrayBuffer());
        } catch (error) {
          return failure(error);
        }
        watchdog.stop();
        return ok(new Response(bytes, { ...init, headers: downstreamResponseHeaders(response.headers, false) }));
      }
      const body = response.body && observeChunks(response.body, watchdog.arm, watchdog.stop);
      if (body) watchdog.arm();
      else watchdog.stop();
      return ok(new Response(body, { ...init, headers: downstreamResponseHeaders(response.headers, body !== null) }));
    },
  };
}
