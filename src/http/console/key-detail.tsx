/** @jsxImportSource hono/jsx */
// One key's page: its credentials with copy buttons, what it may do and until when (extend its expiry here), and
// every action on it.
import { Hono, type Context } from 'hono';
import type { Quota, RateLimit } from '../../ports/key-limiter.js';
import type { KeyRecord, PreviousPair } from '../../ports/key-store.js';
import { describeStoredJwks, type ClientKeyView } from '../../core/client-jwks.js';
import type { Services } from '../services.js';
import { chromeOf, openKey, renderPage, type ConsoleEnv, type OpenKey } from './context.js';
import { EXPIRY_PRESET_DAYS } from './key-form-rules.js';
import { ExpiryText, KeyActionButtons, keyCurlCommand, LastUsed, SecretHint, StatusBadge, TokenEndpoint } from './key-views.js';
import { Copyable, ENVIRONMENT_LABELS, ForScreenReaders, Layout, PostButton, Time } from './layout.js';
import { KeyUsagePanel, loadKeyUsage, usageGranularity } from './key-usage-panel.js';
import { paths } from './paths.js';

function KeyActions({ keyRecord, csrf }: { keyRecord: KeyRecord; csrf: string }) {
  return (
    <div class="key-actions">
      <KeyActionButtons keyRecord={keyRecord} csrf={csrf} onKeyPage />
    </div>
  );
}

/** Extend by a preset, counted from the current expiry (or from now, for a key that has expired). */
function ExtendExpiry({ keyRecord, csrf }: { keyRecord: KeyRecord; csrf: string }) {
  return (
    <div class="extend" role="group" aria-label="Extend the expiry">
      {EXPIRY_PRESET_DAYS.map((days) => (
        <PostButton action={paths.keyAction(keyRecord.accountId, keyRecord.id, 'extend')} csrf={csrf} fields={{ days: String(days) }}>
          Extend by {days} days
        </PostButton>
      ))}
    </div>
  );
}

function describeRate(limit: RateLimit | null): string {
  return limit === null ? 'none' : `${limit.requests} requests per ${limit.windowSeconds} s`;
}

function describeQuota(quota: Quota | null): string {
  return quota === null ? 'none' : `${quota.requests} requests per ${quota.period}`;
}

function keyType(key: ClientKeyView): string {
  return key.kty === 'RSA' ? `RSA ${key.bits} bits` : `${key.kty} ${key.crv}`;
}

/** A private_key_jwt key's public keys: each one's kid and RFC 7638 thumbprint, to match against the client's own. */
function PublicKeysPanel({ keys }: { keys: ClientKeyView[] }) {
  return (
    <section class="panel public-keys" aria-labelledby="public-keys-heading">
      <h2 id="public-keys-heading">Public keys</h2>
      <p class="lead">
        Assertions signed by the private key of any of these authenticate the key. Each thumbprint is the RFC 7638 SHA-256
        thumbprint (base64url) of the public key: compare it with the client’s own.
      </p>
      <ul class="public-key-list">
        {keys.map((key) => (
          <li class="public-key">
            <dl class="facts">
              <dt>kid</dt>
              <dd class="public-key-kid">{key.kid === undefined ? <span class="sub">none</span> : <code>{key.kid}</code>}</dd>
              <dt>Type</dt>
              <dd>
                {keyType(key)}
                {key.alg !== undefined && <span class="sub">alg {key.alg}</span>}
              </dd>
              <dt>Thumbprint</dt>
              <dd>
                <code class="thumbprint">{key.thumbprint}</code>
              </dd>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The pair a regenerate with overlap replaced: it keeps working until its end, and when it was last used tells whether anything still does. */
function PreviousPairPanel({ keyRecord, previous, csrf }: { keyRecord: KeyRecord; previous: PreviousPair; csrf: string | undefined }) {
  return (
    <section class="panel previous-pair" aria-labelledby="previous-heading">
      <h2 id="previous-heading">Previous pair, still working</h2>
      <p class="lead">
        The key was regenerated with an overlap: until <Time at={previous.expiresAt} /> the previous application ID and
        secret mint session tokens too. When it was last used tells whether anything still does.
      </p>
      <dl class="facts">
        <dt>Application ID</dt>
        <dd>
          <code class="application-id">{previous.applicationId}</code>
        </dd>
        <dt>Application secret</dt>
        <dd>
          <code class="secret-hint">…{previous.secretHint}</code>
        </dd>
        <dt>Works until</dt>
        <dd>
          <Time at={previous.expiresAt} />
        </dd>
        <dt>Used</dt>
        <dd class="previous-last-used">
          <LastUsed at={previous.lastUsedAt} />
        </dd>
      </dl>
      {csrf !== undefined && (
        <PostButton action={paths.keyAction(keyRecord.accountId, keyRecord.id, 'retire-previous')} csrf={csrf}>
          Retire previous pair<ForScreenReaders> of key {keyRecord.name}</ForScreenReaders>
        </PostButton>
      )}
    </section>
  );
}

export async function keyDetailPage(c: Context<ConsoleEnv>, services: Services, opened: OpenKey) {
  const { account, key, canManage } = opened;
  const csrf = c.get('csrf');
  const now = services.clock.now();
  const usage = await loadKeyUsage(services, key, usageGranularity(c));
  const publicKeys = await describeStoredJwks(key.jwks);
  return renderPage(
    c,
    <Layout title={key.name} chrome={chromeOf(c, { account, environment: key.environment })}>
      <p class="breadcrumb">
        <a href={paths.environment(account.id, key.environment)}>{ENVIRONMENT_LABELS[key.environment]} keys</a>
      </p>
      <div class="key-heading">
        <h1 class="key-title" title={key.name}>
          {key.name}
        </h1>
        <span class={`badge env-badge ${key.environment}`}>{ENVIRONMENT_LABELS[key.environment]}</span>
        <StatusBadge keyRecord={key} now={now} />
      </div>
      {canManage && <KeyActions keyRecord={key} csrf={csrf} />}
      <section class="panel" aria-labelledby="credentials-heading">
        <h2 id="credentials-heading">Credentials</h2>
        <dl class="facts">
          <dt>Application ID</dt>
          <dd>
            <Copyable id="application-id" value={key.applicationId} what="application ID" />
          </dd>
          <dt>Application secret</dt>
          <dd>
            <SecretHint keyRecord={key} />
            {key.secretHint !== null && <span class="sub">shown once, when it was made; regenerate the key for a new one</span>}
          </dd>
          <dt>Token endpoint</dt>
          <dd>
            <TokenEndpoint services={services} environment={key.environment} />
          </dd>
          <dt>Try it</dt>
          <dd>
            <Copyable id="key-curl" value={keyCurlCommand(services, key)} what="curl command" />
          </dd>
          <dt>Key ID</dt>
          <dd>
            <code>{key.id}</code>
          </dd>
        </dl>
      </section>
      {publicKeys.length > 0 && <PublicKeysPanel keys={publicKeys} />}
      {key.previous !== null && key.previous.expiresAt > now && <PreviousPairPanel keyRecord={key} previous={key.previous} csrf={canManage ? csrf : undefined} />}
      <section class="panel" aria-labelledby="access-heading">
        <h2 id="access-heading">Access</h2>
        <dl class="facts">
          <dt>Scopes</dt>
          <dd>{key.scopes.length === 0 ? <span class="sub">none: tokens carry no scope</span> : key.scopes.map((scope) => <code class="scope">{scope}</code>)}</dd>
          <dt>Expiry</dt>
          <dd>
            <span class="expiry-text">
              <ExpiryText keyRecord={key} />
            </span>
            {canManage && key.expiresAt !== null && <ExtendExpiry keyRecord={key} csrf={csrf} />}
          </dd>
          <dt>Authentication</dt>
          <dd class="auth-method">
            {key.authMethod === 'private_key_jwt' ? 'private_key_jwt: assertions signed with its registered keys' : 'application secret'}
            {key.requireDpop && <span class="sub">DPoP-bound tokens only</span>}
          </dd>
          <dt>Rate limit</dt>
          <dd class="rate-limit">{describeRate(key.rateLimit)}</dd>
          <dt>Quota</dt>
          <dd class="quota">{describeQuota(key.quota)}</dd>
          <dt>Token requests</dt>
          <dd class="token-rate-limit">{describeRate(key.tokenRateLimit)}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={key.createdAt} />
          </dd>
          <dt>Changed</dt>
          <dd>
            <Time at={key.updatedAt} />
          </dd>
          <dt>Used</dt>
          <dd>
            <LastUsed at={key.lastUsedAt} />
          </dd>
        </dl>
      </section>
      <KeyUsagePanel keyRecord={key} usage={usage} />
    </Layout>,
  );
}

export function keyDetailRoutes(services: Services) {
  return new Hono<ConsoleEnv>().get('/accounts/:accountId/keys/:keyId', async (c) =>
    keyDetailPage(c, services, await openKey(c, services, 'read')),
  );
}
