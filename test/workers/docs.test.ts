// /docs on Workers: Scalar's 3.5 MB script is not bundled (the Worker stays small), so the page says so and links
// to /openapi.json, with nothing to run and a CSP to match.
import { describe, expect, it } from 'vitest';
import { DOCS_WITHOUT_SCRIPT_POLICY } from '../../src/http/openapi/docs-page.js';
import { call } from './support/worker-client.js';

describe('/docs on Workers', () => {
  it('says the interactive reference is served on Node, and links to the OpenAPI document', async () => {
    const response = await call('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(DOCS_WITHOUT_SCRIPT_POLICY);
    const html = await response.text();
    expect(html).toContain('served by keymint on Node');
    expect(html).toContain('<a href="/openapi.json">/openapi.json</a>');
    expect(html).not.toContain('<script');
    expect((await call('/openapi.json')).status).toBe(200);
  });

  it('serves no script assets', async () => {
    const response = await call('/docs/assets/scalar-standalone.abcdefghijkl.js');
    expect(response.status).toBe(404);
  });
});
