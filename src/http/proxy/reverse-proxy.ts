// ANY /{env}/api/* — SPEC §3 and §7's reverse proxy: admit the call (admission.ts), stream it to its service's
// upstream and back.
import type { Handler } from 'hono';
import type { Environment } from '../../shared/domain.js';
import { upstreamRequestHeaders } from '../../core/proxy-headers.js';
import type { Services } from '../services.js';
import { admitProxyCall, upstreamFailure } from './admission.js';

export function reverseProxy(services: Services, environment: Environment): Handler {
  const { config, forwarder } = services;

  return async function proxy(c) {
    const url = new URL(c.req.url);
    const call = await admitProxyCall(c, services, environment, url, c.req.method);
    const forwarded = await forwarder.forward({
      url: call.target,
      method: c.req.method,
      headers: upstreamRequestHeaders(c.req.raw.headers, call.caller, {
        clientIp: services.clientIp(c),
        host: c.req.header('host'),
        proto: url.protocol.replace(/:$/, ''),
        trustedProxies: config.trustedProxies,
      }),
      // GET and HEAD carry no body; not asking for one spares building a web Request per call on Node.
      body: c.req.method === 'GET' || c.req.method === 'HEAD' ? null : c.req.raw.body,
      signal: c.req.raw.signal,
      timeoutMs: call.timeoutMs,
    });
    if (!forwarded.ok) {
      throw upstreamFailure(services, call, forwarded, { environment, method: c.req.method, path: url.pathname });
    }
    const response = forwarded.value;
    for (const [name, value] of Object.entries(call.answerHeaders)) response.headers.set(name, value);
    call.settle(response.status);
    return response;
  };
}
