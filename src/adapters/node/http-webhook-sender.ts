// Webhook deliveries over node:http(s): DNS resolved here, every resolved address and the connected one checked before
// the request is written, no redirects followed, the answer's body never read, one deadline for the whole attempt.
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { WebhookPost, WebhookPostResult, WebhookSender } from '../../ports/webhook-sender.js';

/** dns.lookup's all-addresses form; tests give a resolver that answers what an attacker's DNS would. */
export type ResolveAll = (host: string) => Promise<LookupAddress[]>;

const resolveWithSystem: ResolveAll = (host) =>
  new Promise((resolve, reject) =>
    systemLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

class RefusedAddress extends Error {
  constructor(readonly address: string) {
    super(`refused address ${address}`);
  }
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

const bareHost = (hostname: string) => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

export function createHttpWebhookSender(options: { resolveAll?: ResolveAll; userAgent?: string } = {}): WebhookSender {
  const resolveAll = options.resolveAll ?? resolveWithSystem;
  const userAgent = options.userAgent ?? 'keymint-webhooks/1';

  function post(attempt: WebhookPost): Promise<WebhookPostResult> {
    const url = new URL(attempt.url);
    const body = Buffer.from(attempt.body, 'utf8');
    // Node connects to what this returns, so the addresses checked here are the ones it can connect to.
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolveAll(hostname).then(
        (found) => {
          const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? found.filter((a) => a.family === lookupOptions.family) : found;
          if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
          const refused = found.find((address) => !attempt.admitAddress(address.address));
          if (refused) return callback(new RefusedAddress(refused.address), '', 0);
          if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, wanted);
          callback(null, wanted[0]!.address, wanted[0]!.family);
        },
        (error: Error) => callback(error, '', 0),
      );
    };

    return new Promise((settle) => {
      let settled = false;
      let request: ClientRequest | undefined;
      const finish = (result: WebhookPostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request?.destroy();
        settle(result);
      };
      const deadline = setTimeout(() => finish({ outcome: 'timeout' }), attempt.timeoutMs);

      // An address literal is not looked up: checked here instead (and again on connect, below).
      const host = bareHost(url.hostname);
      if (/^[\d.]+$|:/.test(host) && !attempt.admitAddress(host)) return finish({ outcome: 'refused', address: host });

      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      request = send(url, {
        method: 'POST',
        headers: { ...attempt.headers, 'content-type': 'application/json', 'content-length': body.length, 'user-agent': userAgent },
        // A fresh connection per attempt: no pooled socket connected to an address checked for another host.
        agent: false,
        lookup,
      });
      request.on('error', (error) => {
        if (error instanceof RefusedAddress) return finish({ outcome: 'refused', address: error.address });
        finish({ outcome: 'unreachable', error: describeError(error) });
      });
      request.on('socket', (socket: Socket) => {
        const writeOnceChecked = () => {
          const remote = socket.remoteAddress;
          if (remote === undefined || !attempt.admitAddress(remote)) {
            request!.destroy(new RefusedAddress(remote ?? 'an unknown address'));
            return;
          }
          request!.end(body);
        };
        if (socket.connecting) socket.once('connect', writeOnceChecked);
        else writeOnceChecked();
      });
      request.on('response', (response) => {
        // The status is the whole answer: a huge or endless body is never read, the connection is closed.
        const status = response.statusCode ?? 0;
        response.destroy();
        finish({ outcome: 'answered', status });
      });
    });
  }

  return {
    post,
    async resolve(host) {
      return (await resolveAll(bareHost(host))).map((address) => address.address);
    },
  };
}
