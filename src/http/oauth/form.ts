// Reads an OAuth request body: form-urlencoded (RFC 6749 §3.2) or JSON, each parameter at most once but those a
// specification lets a request repeat (RFC 8707's `resource`).
import type { Context } from 'hono';
import { invalidRequest, OAuthError } from '../errors/oauth-error.js';

export const MAX_OAUTH_BODY_BYTES = 16 * 1024;

/** Parameters a request may repeat (RFC 8707 §2: several `resource`s); `get` gives the first, `all` every one. */
const REPEATABLE = new Set(['resource']);

export class OAuthParams extends Map<string, string> {
  private readonly repeated = new Map<string, string[]>();

  /** Every value of the parameter, in the order sent. */
  all(name: string): string[] {
    return this.repeated.get(name) ?? (this.has(name) ? [this.get(name)!] : []);
  }

  /** Adds a value; a second value of a parameter that may not repeat is `invalid_request` (RFC 6749 §3.2). */
  add(name: string, value: string): void {
    if (!this.has(name)) {
      this.set(name, value);
      return;
    }
    if (!REPEATABLE.has(name)) throw invalidRequest(`parameter "${name}" appears more than once`);
    this.repeated.set(name, [...this.all(name), value]);
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

async function readText(c: Context): Promise<string> {
  const lengthHeader = c.req.header('content-length');
  const declared = Number(lengthHeader ?? 0);
  if (declared > MAX_OAUTH_BODY_BYTES) throw tooLarge();
  // A declared length bounds the body (HTTP framing), so it can be read in one go; on Node that skips
  // building a web ReadableStream per request (@hono/node-server reads the socket directly).
  const bytes =
    lengthHeader !== undefined && /^\d+$/.test(lengthHeader)
      ? new Uint8Array(await c.req.raw.arrayBuffer())
      : await readStream(c.req.raw.body);
  if (bytes.byteLength > MAX_OAUTH_BODY_BYTES) throw tooLarge();
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw invalidRequest('the request body is not valid UTF-8');
  }
}

/** Reads a body of unknown length, giving up as soon as it passes the limit. */
async function readStream(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  const reader = body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_OAUTH_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(): OAuthError {
  return new OAuthError(413, 'invalid_request', `the request body is larger than ${MAX_OAUTH_BODY_BYTES} bytes`);
}

export async function readOAuthParams(c: Context): Promise<OAuthParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const params = new OAuthParams();
  if (type === 'application/x-www-form-urlencoded') {
    const text = await readText(c);
    for (const [name, value] of new URLSearchParams(text)) params.add(name, value);
    return params;
  }
  if (type === 'application/json') {
    const text = await readText(c);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw invalidRequest('the request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidRequest('the JSON body must be an object');
    }
    for (const [name, value] of Object.entries(body)) {
      // A repeatable parameter may come as an array of strings, the JSON spelling of repeating it.
      const values: unknown[] = REPEATABLE.has(name) && Array.isArray(value) ? value : [value];
      for (const one of values) {
        if (typeof one !== 'string') throw invalidRequest(`parameter "${name}" must be a string`);
        params.add(name, one);
      }
    }
    return params;
  }
  throw invalidRequest('the body must be application/x-www-form-urlencoded (or application/json)');
}
