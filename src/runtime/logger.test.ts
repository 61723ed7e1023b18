import { describe, expect, it } from 'vitest';
import { createJsonLogger } from './logger.js';

describe('the JSON logger', () => {
  it('censors secret-named fields at the top level and one level down, leaving the logged object as it was', () => {
    const lines: string[] = [];
    const logger = createJsonLogger((line) => lines.push(line));
    const fields = {
      requestId: 'r-1',
      token: 'eyJ.a.b',
      client_secret: 'sk_sbx_x',
      headers: { authorization: 'Bearer eyJ.c.d', 'api-key': 'sk_sbx_y', accept: 'application/json' },
      key: { applicationSecret: 'sk_sbx_z', name: 'k' },
      error: { secret: 's', message: 'boom' },
      status: 200,
    };
    const before = structuredClone(fields);
    logger.warn('something', fields);
    expect(fields).toEqual(before);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      message: 'something',
      requestId: 'r-1',
      token: '[redacted]',
      client_secret: '[redacted]',
      headers: { authorization: '[redacted]', 'api-key': '[redacted]', accept: 'application/json' },
      key: { applicationSecret: '[redacted]', name: 'k' },
      error: { secret: '[redacted]', message: 'boom' },
      status: 200,
    });
    expect(lines[0]).not.toMatch(/eyJ|sk_sbx_/);
  });

  it('writes a line without secrets as it is', () => {
    const lines: string[] = [];
    createJsonLogger((line) => lines.push(line)).info('request', { requestId: 'r-2', method: 'GET', path: '/x', status: 200, ms: 1.5 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'request', requestId: 'r-2', method: 'GET', path: '/x', status: 200, ms: 1.5 });
  });
});
