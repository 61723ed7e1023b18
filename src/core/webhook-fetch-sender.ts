// Webhook deliveries over fetch, where keymint cannot resolve names itself (a Worker): address literals are checked,
// redirects are not followed, the answer's body is not read, one deadline for the whole attempt.
import type { WebhookSender } from '../ports/webhook-sender.js';
import { parseIpAddress } from './webhook-destinations.js';

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A host name is resolved inside fetch, out of keymint's sight: on Workers the platform's network decides what it
 * reaches (docs/reliability.md, webhooks). Node uses adapters/node/http-webhook-sender.ts, which checks every address.
 */
export function createFetchWebhookSender(deps: { fetch?: typeof fetch; userAgent?: string } = {}): WebhookSender {
  const send = deps.fetch ?? ((input, init) => fetch(input, init));
  const userAgent = deps.userAgent ?? 'keymint-webhooks/1';
  return {
    resolve: async () => null,
    async post(attempt) {
      const host = new URL(attempt.url).hostname;
      if (parseIpAddress(host) && !attempt.admitAddress(host.replace(/^\[|\]$/g, ''))) {
        return { outcome: 'refused', address: host.replace(/^\[|\]$/g, '') };
      }
      const signal = AbortSignal.timeout(attempt.timeoutMs);
      try {
        const response = await send(attempt.url, {
          method: 'POST',
          headers: { ...attempt.headers, 'content-type': 'application/json', 'user-agent': userAgent },
          body: attempt.body,
          redirect: 'manual',
          signal,
        });
        // The status is the whole answer: a huge or endless body is never read.
        await response.body?.cancel().catch(() => undefined);
        return { outcome: 'answered', status: response.status };
      } catch (error) {
        if (signal.aborted) return { outcome: 'timeout' };
        return { outcome: 'unreachable', error: describeFetchError(error) };
      }
    },
  };
}
