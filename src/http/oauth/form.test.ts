import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { MAX_OAUTH_BODY_BYTES, readOAuthParams } from './form.js';

const app = new Hono()
  .post('/', async (c) => c.json(Object.fromEntries(await readOAuthParams(c))))
  .onError((error) => (error instanceof OAuthError ? error.toResponse() : new Response('unexpected', { status: 500 })));

const form = { 'content-type': 'application/x-www-form-urlencoded' };

function streamOf(text: string, chunkSize = 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, (offset += chunkSize)));
    },
  });
}

describe('readOAuthParams', () => {
  it('reads a body with a declared length', async () => {
    const body = 'grant_type=client_credentials&scope=a+b';
    const response = await app.request('/', { method: 'POST', headers: { ...form, 'content-length': String(body.length) }, body });
    expect(await response.json()).toEqual({ grant_type: 'client_credentials', scope: 'a b' });
  });

  it('reads a streamed body without a declared length', async () => {
    const response = await app.request('/', { method: 'POST', headers: form, body: streamOf('grant_type=client_credentials'), duplex: 'half' } as RequestInit);
    expect(await response.json()).toEqual({ grant_type: 'client_credentials' });
  });

  it('refuses a declared length over the limit before reading', async () => {
    const response = await app.request('/', {
      method: 'POST',
      headers: { ...form, 'content-length': String(MAX_OAUTH_BODY_BYTES + 1) },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(413);
  });

  it('refuses a streamed body once it passes the limit', async () => {
    const response = await app.request('/', {
      method: 'POST',
      headers: form,
      body: streamOf(`a=${'x'.repeat(MAX_OAUTH_BODY_BYTES * 4)}`),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses invalid UTF-8 on both paths', async () => {
    const bytes = new Uint8Array([0x61, 0x3d, 0xff, 0xfe]);
    const declared = await app.request('/', { method: 'POST', headers: { ...form, 'content-length': '4' }, body: bytes });
    expect(declared.status).toBe(400);
    const streamed = await app.request('/', {
      method: 'POST',
      headers: form,
      body: new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(400);
  });
});
