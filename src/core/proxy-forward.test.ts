import { describe, expect, it } from 'vitest';
import type { UpstreamCall } from '../ports/upstream-forwarder.js';
import { createUpstreamForwarder } from './proxy-forward.js';

function call(): UpstreamCall {
  return { url: 'http://upstream.test/v1/items', method: 'GET', headers: new Headers(), body: null, signal: new AbortController().signal };
}

/** A body that sends `first`, then fails as a reset connection does. */
function brokenBody(first: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
      setTimeout(() => controller.error(new TypeError('other side closed')), 5);
    },
  });
}

describe('createUpstreamForwarder', () => {
  it('answers a small body of declared length whole, with its length', async () => {
    const forwarder = createUpstreamForwarder({
      timeoutMs: 1000,
      fetch: async () => new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json', 'content-length': '11' } }),
    });
    const forwarded = await forwarder.forward(call());
    expect(forwarded.ok).toBe(true);
    const response = forwarded.ok ? forwarded.value : undefined;
    expect(response!.status).toBe(201);
    expect(response!.headers.get('content-length')).toBe('11');
    expect(await response!.text()).toBe('{"ok":true}');
  });

  it('reports a small body that breaks off while being read as unreachable', async () => {
    const forwarder = createUpstreamForwarder({
      timeoutMs: 1000,
      fetch: async () => new Response(brokenBody('{"ok":'), { headers: { 'content-length': '11' } }),
    });
    expect(await forwarder.forward(call())).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('reports a small body that stops moving as a timeout', async () => {
    const forwarder = createUpstreamForwarder({
      timeoutMs: 50,
      // Like fetch: aborting the request errors the body being read.
      fetch: async (_url, init) =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"ok":'));
              init!.signal!.addEventListener('abort', () => controller.error(init!.signal!.reason));
            },
          }),
          { headers: { 'content-length': '11' } },
        ),
    });
    expect(await forwarder.forward(call())).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('aborts the upstream call when the caller leaves, and says so', async () => {
    const caller = new AbortController();
    let upstreamSignal: AbortSignal | undefined;
    const forwarder = createUpstreamForwarder({
      timeoutMs: 10_000,
      fetch: (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          upstreamSignal = init!.signal!;
          upstreamSignal.addEventListener('abort', () => reject(upstreamSignal!.reason));
        }),
    });
    const pending = forwarder.forward({ ...call(), signal: caller.signal });
    caller.abort();
    expect(await pending).toMatchObject({ ok: false, reason: 'client_closed' });
    expect(upstreamSignal!.aborted).toBe(true);
  });

  it('streams a body without a declared length', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const forwarder = createUpstreamForwarder({
      timeoutMs: 1000,
      fetch: async () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode('first|'));
              await released;
              controller.enqueue(new TextEncoder().encode('rest'));
              controller.close();
            },
          }),
        ),
    });
    const forwarded = await forwarder.forward(call());
    const reader = (forwarded.ok ? forwarded.value : undefined)!.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first|');
    release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('rest');
  });
});
