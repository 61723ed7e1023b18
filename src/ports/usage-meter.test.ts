import { expect, it } from 'vitest';
import { statusCounter } from './usage-meter.js';

it('counts a proxied call by the class of the status its caller got', () => {
  expect([200, 204, 299, 301, 304, 400, 401, 429, 499, 500, 502, 504].map(statusCounter)).toEqual([
    '2xx', '2xx', '2xx', '3xx', '3xx', '4xx', '4xx', '4xx', '4xx', '5xx', '5xx', '5xx',
  ]);
});
