import { describe, expect, it } from 'vitest';
import {
  acceptsAudience,
  createAudienceTable,
  defaultAudience,
  isResourceUri,
  resolveTokenAudience,
} from './audiences.js';
import type { GatewayService } from './gateway-services.js';

const service = (name: string, audience?: string): GatewayService => ({
  name,
  path: `/${name}`,
  upstream: `http://${name}.internal`,
  audience,
  timeoutMs: 30_000,
  rules: [],
  stripPrefix: false,
});

const DEFAULT = defaultAudience('https://auth.example.com', 'sandbox');
const orders = service('orders', 'https://api.example.com/orders');
const billing = service('billing', 'urn:example:billing');
const legacy = service('legacy');
const table = createAudienceTable(DEFAULT, [orders, billing, legacy]);

describe('the resource of a token request (RFC 8707)', () => {
  it('defaults to the environment’s default audience', () => {
    expect(DEFAULT).toBe('https://auth.example.com/sandbox/api');
    expect(resolveTokenAudience(table, [])).toEqual({ ok: true, value: DEFAULT });
  });

  it('gives a service’s audience, or the default audience asked for by name', () => {
    expect(resolveTokenAudience(table, ['https://api.example.com/orders'])).toEqual({ ok: true, value: orders.audience });
    expect(resolveTokenAudience(table, ['urn:example:billing'])).toEqual({ ok: true, value: 'urn:example:billing' });
    expect(resolveTokenAudience(table, [DEFAULT])).toEqual({ ok: true, value: DEFAULT });
  });

  it.each([
    [['https://api.example.com/unknown']],
    [['https://api.example.com/orders/']],
    [['https://API.example.com/orders']],
    [['https://api.example.com/orders#x']],
    [['/orders']],
    [['orders']],
    [['']],
    [['https://api.example.com/orders', 'urn:example:billing']],
    [['https://api.example.com/orders', 'https://api.example.com/orders']],
  ])('is invalid_target for %j', (resources) => {
    const result = resolveTokenAudience(table, resources);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe('invalid_target');
      expect(result.detail).toMatch(/resource/);
    }
  });

  it('says why a resource is refused', () => {
    expect(resolveTokenAudience(table, ['a', 'b'])).toMatchObject({ detail: 'ask for one resource per token' });
    expect(resolveTokenAudience(table, ['x#y'])).toMatchObject({ detail: expect.stringContaining('absolute URI') });
    expect(resolveTokenAudience(table, ['https://other.example'])).toMatchObject({ detail: expect.stringContaining('no service') });
  });

  it('knows absolute URIs without fragments', () => {
    for (const uri of ['https://x.example', 'urn:isbn:123', 'http://h:8080/p?q=1', 'tag:example.com,2026:api']) {
      expect(isResourceUri(uri), uri).toBe(true);
    }
    for (const uri of ['//x.example', 'x.example', 'https://x.example/#', 'https://x .example', '1http://x', 'https:']) {
      expect(isResourceUri(uri), uri).toBe(false);
    }
  });
});

describe('the proxy’s audience check', () => {
  it('lets default-audience tokens call every service', () => {
    for (const target of [orders, billing, legacy]) expect(acceptsAudience(table, DEFAULT, target)).toBe(true);
  });

  it('lets a named-audience token call its own service only', () => {
    expect(acceptsAudience(table, orders.audience!, orders)).toBe(true);
    expect(acceptsAudience(table, orders.audience!, billing)).toBe(false);
    expect(acceptsAudience(table, orders.audience!, legacy)).toBe(false);
    expect(acceptsAudience(table, 'https://elsewhere.example', orders)).toBe(false);
  });

  it('reads an array aud as any of its members', () => {
    expect(acceptsAudience(table, ['urn:other', orders.audience!], orders)).toBe(true);
    expect(acceptsAudience(table, ['urn:other', orders.audience!], billing)).toBe(false);
    expect(acceptsAudience(table, [], orders)).toBe(false);
  });

  it('knows which audiences tokens of the environment may carry', () => {
    expect(table.isKnown(DEFAULT)).toBe(true);
    expect(table.isKnown('urn:example:billing')).toBe(true);
    expect(table.isKnown('urn:example:unknown')).toBe(false);
    expect(table.serviceOf('urn:example:billing')?.name).toBe('billing');
  });

  it('refuses a table where two services claim one audience, or one claims the default', () => {
    expect(() => createAudienceTable(DEFAULT, [orders, service('copy', orders.audience)])).toThrow(/claim the audience/);
    expect(() => createAudienceTable(DEFAULT, [service('greedy', DEFAULT)])).toThrow(/default audience/);
  });
});
