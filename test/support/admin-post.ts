// A JSON POST to a gateway's admin API that must answer 201, for tests that talk to a process or a
// bundle from outside (test/support/gateway.ts has its own for the in-process gateway).
import { expect } from 'vitest';

export type Send = (url: string, init: RequestInit) => Promise<Response>;

export function adminPoster(send: Send, baseUrl: string, token: string) {
  return async function adminPost(path: string, body: unknown): Promise<Record<string, string>> {
    const response = await send(`${baseUrl}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Record<string, string>;
  };
}
