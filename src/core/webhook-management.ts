// An account's webhooks (SPEC §9): created with a `whsec_` secret shown once and kept sealed, listed, deleted (both
// audited), and their delivery logs. The URL is checked by the destination policy here as well as at delivery time.
import { fail, ok, type Result } from '../shared/result.js';
import { within } from '../shared/within.js';
import type { KeyStore, OperationAction, OperationRecord, Page } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { WebhookDeliveryRecord, WebhookRecord, WebhookStore } from '../ports/webhook-store.js';
import { actorName, type Actor } from './admin-access.js';
import { newId } from './ids.js';
import type { Sealer } from './sealing.js';
import { checkWebhookUrl, classifyAddress, isAddressAllowed } from './webhook-destinations.js';
import { withWebhookEvent } from './webhook-events.js';
import { generateWebhookSecret } from './webhook-signing.js';

/** A webhook as its owner sees it: never the secret after creation. */
export type WebhookSummary = Omit<WebhookRecord, 'secret'>;

export type WebhookFailure = 'not_found' | 'invalid_url' | 'address_not_allowed' | 'limit_exceeded';

/**
 * Webhooks per account (Stripe allows 16 endpoints): every change is sent to each of them, so without a cap one
 * manager token turns a change into as many requests as it added webhooks, all at a receiver of its choosing.
 */
export const WEBHOOKS_PER_ACCOUNT = 16;

/** How long a host name may take to resolve when a webhook is added, so that a name whose DNS never answers holds no request open. */
export const WEBHOOK_RESOLVE_TIMEOUT_MS = 5_000;

export interface WebhookManagement {
  createWebhook(
    actor: Actor,
    accountId: string,
    input: { url: string; events?: OperationAction[] },
  ): Promise<Result<WebhookSummary & { secret: string }, WebhookFailure>>;
  listWebhooks(accountId: string): Promise<Result<WebhookSummary[], 'not_found'>>;
  getWebhook(accountId: string, webhookId: string): Promise<Result<WebhookSummary, 'not_found'>>;
  deleteWebhook(actor: Actor, accountId: string, webhookId: string): Promise<Result<void, 'not_found'>>;
  listDeliveries(
    accountId: string,
    webhookId: string,
    query: { after?: string; limit: number },
  ): Promise<Result<Page<WebhookDeliveryRecord>, 'not_found'>>;
}

function summary({ secret: _secret, ...rest }: WebhookRecord): WebhookSummary {
  return rest;
}

export function createWebhookManagement(deps: {
  webhooks: WebhookStore;
  keys: Pick<KeyStore, 'getAccount'>;
  sealer: Sealer;
  clock: Clock;
  allowPrivate: boolean;
  /** The addresses a host resolves to now; null where the runtime cannot resolve names (checked at delivery). */
  resolve: (host: string) => Promise<string[] | null>;
  /** The wait for `resolve` (WEBHOOK_RESOLVE_TIMEOUT_MS unless a test sets it). */
  resolveTimeoutMs?: number;
}): WebhookManagement {
  const { webhooks, keys, sealer, clock, allowPrivate } = deps;

  function operation(actor: Actor, action: OperationAction, at: number, accountId: string): OperationRecord {
    return withWebhookEvent({ id: newId('op', at), accountId, environment: null, keyId: null, action, actor: actorName(actor), at });
  }

  async function checkDestination(text: string): Promise<Result<string, 'invalid_url' | 'address_not_allowed'>> {
    const checked = checkWebhookUrl(text, allowPrivate);
    if (!checked.ok) return checked;
    const host = checked.value.hostToResolve;
    if (host !== null && !allowPrivate) {
      // A look-up that fails or outlives its deadline leaves `undefined`: the host does not resolve.
      const addresses = await within(deps.resolve(host), deps.resolveTimeoutMs ?? WEBHOOK_RESOLVE_TIMEOUT_MS, () => undefined).catch(
        () => undefined,
      );
      if (addresses === undefined) return fail('invalid_url', `the host ${host} does not resolve`);
      const refused = addresses?.find((address) => !isAddressAllowed(address, false));
      // The kind of address, never the address: the caller may not learn what internal names resolve to.
      if (refused !== undefined) {
        const kind = classifyAddress(refused) ?? 'unknown';
        return fail('address_not_allowed', `${host} resolves to an address that is not public (${kind}); webhooks go to public addresses only unless KEYMINT_WEBHOOKS_ALLOW_PRIVATE=true`);
      }
    }
    return ok(checked.value.url.href);
  }

  return {
    async createWebhook(actor, accountId, input) {
      if (!(await keys.getAccount(accountId))) return fail('not_found');
      const destination = await checkDestination(input.url);
      if (!destination.ok) return destination;
      const now = clock.now();
      const secret = generateWebhookSecret();
      const record: WebhookRecord = {
        id: newId('wh', now),
        accountId,
        url: destination.value,
        events: input.events === undefined ? null : [...new Set(input.events)],
        secret: await sealer.seal(secret),
        createdAt: now,
      };
      const added = await webhooks.createWebhook(record, operation(actor, 'webhook.created', now, accountId), WEBHOOKS_PER_ACCOUNT);
      if (!added) return fail('limit_exceeded', `this account already has ${WEBHOOKS_PER_ACCOUNT} webhooks; delete one first`);
      return ok({ ...summary(record), secret });
    },

    async listWebhooks(accountId) {
      if (!(await keys.getAccount(accountId))) return fail('not_found');
      return ok((await webhooks.listWebhooks(accountId)).map(summary));
    },

    async getWebhook(accountId, webhookId) {
      const found = await webhooks.getWebhook(accountId, webhookId);
      return found ? ok(summary(found)) : fail('not_found');
    },

    async deleteWebhook(actor, accountId, webhookId) {
      const now = clock.now();
      const deleted = await webhooks.deleteWebhook(accountId, webhookId, operation(actor, 'webhook.deleted', now, accountId));
      return deleted ? ok(undefined) : fail('not_found');
    },

    async listDeliveries(accountId, webhookId, query) {
      if (!(await webhooks.getWebhook(accountId, webhookId))) return fail('not_found');
      return ok(await webhooks.listDeliveries(accountId, webhookId, query));
    },
  };
}
