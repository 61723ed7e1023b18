/** @jsxImportSource hono/jsx */
// Small views of a key that its list and its own pages share: status, expiry, last use, the token endpoint.
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { Copyable, Time } from './layout.js';

export type ShownStatus = 'active' | 'disabled' | 'expired';

/** What a person needs to know first: an expired key is refused whatever its status says. */
export function shownStatus(key: KeyRecord, now: number): ShownStatus {
  return key.expiresAt !== null && key.expiresAt <= now ? 'expired' : key.status;
}

export function StatusBadge({ keyRecord, now }: { keyRecord: KeyRecord; now: number }) {
  const status = shownStatus(keyRecord, now);
  return <span class={`badge ${status}`}>{status}</span>;
}

export function ExpiryText({ keyRecord }: { keyRecord: KeyRecord }) {
  if (keyRecord.expiresAt === null) return <span class="never-expires">never expires</span>;
  return (
    <>
      expires <Time at={keyRecord.expiresAt} />
    </>
  );
}

export function LastUsed({ at }: { at: number | null }) {
  if (at === null) return <>never used</>;
  return (
    <>
      last used <Time at={at} />
    </>
  );
}

export function tokenEndpointOf(services: Services, environment: Environment): string {
  return `${services.config.publicUrl}/${environment}/oauth/token`;
}

/** The environment's token endpoint, with a copy button. */
export function TokenEndpoint({ services, environment }: { services: Services; environment: Environment }) {
  return <Copyable id="token-endpoint" value={tokenEndpointOf(services, environment)} what="token endpoint URL" />;
}

/** A first token request, for a key whose ID and secret are in the shell's variables (the secret never on the page). */
export function firstCurlCommand(services: Services, environment: Environment, applicationId = '$APPLICATION_ID'): string {
  return `curl -u "${applicationId}:$APPLICATION_SECRET" -d grant_type=client_credentials ${tokenEndpointOf(services, environment)}`;
}

/** The last characters of the application secret, or what stands in for it on a key that signs assertions instead. */
export function SecretHint({ keyRecord }: { keyRecord: KeyRecord }) {
  if (keyRecord.secretHint === null) return <span class="sub">no secret: signs assertions with its own keys</span>;
  return <code class="secret-hint">…{keyRecord.secretHint}</code>;
}
