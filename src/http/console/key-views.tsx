/** @jsxImportSource hono/jsx */
// Small views of a key that its list and its own pages share: status, expiry, last use, the token endpoint.
import { CLIENT_ASSERTION_TYPE } from '../../core/client-assertion.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { Copyable, ForScreenReaders, PostButton, Time } from './layout.js';
import { paths } from './paths.js';

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

/**
 * A first token request for this key: a secret key's with the secret from the shell; a private_key_jwt key's with an
 * assertion the client signed (`iss` = `sub` = its application ID, `aud` the issuer) in `$CLIENT_ASSERTION`.
 */
export function keyCurlCommand(services: Services, key: KeyRecord): string {
  if (key.authMethod === 'client_secret') return firstCurlCommand(services, key.environment, key.applicationId);
  return `curl -d grant_type=client_credentials -d client_assertion_type=${CLIENT_ASSERTION_TYPE} -d "client_assertion=$CLIENT_ASSERTION" ${tokenEndpointOf(services, key.environment)}`;
}

/** The last characters of the application secret, or what stands in for it on a key that signs assertions instead. */
export function SecretHint({ keyRecord }: { keyRecord: KeyRecord }) {
  if (keyRecord.secretHint === null) return <span class="sub">no secret: signs assertions with its own keys</span>;
  return <code class="secret-hint">…{keyRecord.secretHint}</code>;
}

/**
 * A key's action buttons, named with the key for screen readers: on its own page (`onKeyPage`: Edit is the primary
 * action, and disable/enable come back to the page) and in the keys table.
 */
export function KeyActionButtons({ keyRecord, csrf, onKeyPage = false }: { keyRecord: KeyRecord; csrf: string; onKeyPage?: boolean }) {
  const { accountId, id, name } = keyRecord;
  const forKey = <ForScreenReaders> key {name}</ForScreenReaders>;
  const back = onKeyPage ? { back: 'key' } : undefined;
  return (
    <>
      <a class={onKeyPage ? 'button primary' : 'button'} href={paths.keyAction(accountId, id, 'edit')}>
        Edit{forKey}
      </a>
      {keyRecord.status === 'active' ? (
        <PostButton action={paths.keyAction(accountId, id, 'disable')} csrf={csrf} fields={back}>
          Disable{forKey}
        </PostButton>
      ) : (
        <PostButton action={paths.keyAction(accountId, id, 'enable')} csrf={csrf} fields={back}>
          Enable{forKey}
        </PostButton>
      )}
      <a class="button" href={paths.keyAction(accountId, id, 'regenerate')}>
        Regenerate{forKey}
      </a>
      <a class="button" href={paths.keyAction(accountId, id, 'revoke-sessions')}>
        Revoke sessions<ForScreenReaders> of key {name}</ForScreenReaders>
      </a>
      <a class="button danger-outline" href={paths.keyAction(accountId, id, 'delete')}>
        Delete{forKey}
      </a>
    </>
  );
}
