// A browser-shaped client of the web console over plain HTTP (fetch): the cookie jar, CSRF tokens and headers a browser keeps.
import { expect } from 'vitest';
import type { Gateway } from './gateway.js';

interface StoredCookie {
  value: string;
  path: string;
}

/**
 * A browser-shaped client: a cookie jar honouring Path and Max-Age=0, manual redirects, Origin on POSTs. Over real
 * HTTP by default; `inProcess` hands requests to the app directly, for headers Node's fetch will not send as given
 * (it overwrites Sec-Fetch-Mode with `cors`).
 */
export class ConsoleClient {
  readonly cookies = new Map<string, StoredCookie>();
  csrf = '';

  constructor(
    readonly gateway: Gateway,
    private readonly options: { inProcess?: boolean } = {},
  ) {}

  async request(
    method: 'GET' | 'POST',
    path: string,
    options: { form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const cookie = [...this.cookies]
      .filter(([, stored]) => path.startsWith(stored.path))
      .map(([name, stored]) => `${name}=${stored.value}`)
      .join('; ');
    const send = this.options.inProcess
      ? (target: string, init: RequestInit) => Promise.resolve(this.gateway.app.request(`${this.gateway.url}${target}`, init))
      : this.gateway.fetch;
    const response = await send(path, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie && { cookie }),
        ...(method === 'POST' && { origin: this.gateway.url }),
        ...(options.form && { 'content-type': 'application/x-www-form-urlencoded' }),
        ...options.headers,
      },
      body: options.form ? new URLSearchParams(options.form) : options.body,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(/;\s*/);
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      const pathAttribute = attributes.find((attribute) => /^path=/i.test(attribute))?.slice(5) ?? '/';
      if (attributes.some((attribute) => /^max-age=0$/i.test(attribute))) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: pathAttribute });
    }
    return response;
  }

  /** GETs an HTML page and remembers the CSRF token of its forms. */
  async page(path: string, expectedStatus = 200): Promise<string> {
    const response = await this.request('GET', path);
    expect(response.status, `GET ${path}`).toBe(expectedStatus);
    const html = await response.text();
    this.csrf = /name="_csrf" value="([0-9A-Za-z]{32})"/.exec(html)?.[1] ?? this.csrf;
    return html;
  }

  /** POSTs a console form with the session's CSRF token. */
  post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('POST', path, { form: { _csrf: this.csrf, ...form }, headers });
  }

  async signIn(token: string): Promise<Response> {
    await this.page('/console/sign-in');
    const response = await this.post('/console/sign-in', { token });
    expect(response.status).toBe(303);
    return response;
  }
}

export function setCookieHeaders(response: Response, name: string): string[] {
  return response.headers.getSetCookie().filter((header) => header.startsWith(`${name}=`));
}
