// Forwards one request to the upstream with fetch and Web streams: bodies stream both ways, a stalled upstream is cut off.
import {
  createWatchdog,
  downstreamResponseHeaders,
  forwardFailure,
  isSmallPlainBody,
  observeChunks,
  type UpstreamForwarder,
} from '../ports/upstream-forwarder.js';
import { ok } from '../shared/result.js';

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The forwarder on fetch: the Worker's, and anywhere no faster client is given (AppDeps.upstreamForwarder). */
export function createUpstreamForwarder(deps: { timeoutMs: number; fetch?: typeof fetch }): UpstreamForwarder {
  const fetchUpstream = deps.fetch ?? ((input, init) => fetch(input, init));
  return {
    async forward(call) {
      const watchdog = createWatchdog(call.timeoutMs ?? deps.timeoutMs, call.signal);
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
      if (response.body && isSmallPlainBody(response.headers.get('content-length'), response.headers.get('content-encoding'))) {
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
