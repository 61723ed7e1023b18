/** @jsxImportSource hono/jsx */
// The page that shows a new application secret, once: right after create or regenerate, never again.
import { Hono, type Context } from 'hono';
import { ENVIRONMENT_TAGS } from '../../shared/domain.js';
import type { AccountRecord, KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, openKey, renderPage, type ConsoleEnv } from './context.js';
import { firstCurlCommand, TokenEndpoint } from './key-views.js';
import { Copyable, ENVIRONMENT_LABELS, Layout } from './layout.js';
import { paths } from './paths.js';
import { takeFlashedSecret, type SecretEvent } from './session.js';

const SECRET_HEADINGS: Record<SecretEvent, string> = { created: 'Key created', regenerated: 'Key regenerated' };

/** The key's name and environment, then whatever else the page shows about it. */
export function KeyFacts({ keyRecord, children }: { keyRecord: KeyRecord; children?: unknown }) {
  return (
    <dl class="facts">
      <dt>Name</dt>
      <dd class="key-name-fact">{keyRecord.name}</dd>
      <dt>Environment</dt>
      <dd>{ENVIRONMENT_LABELS[keyRecord.environment]}</dd>
      {children}
    </dl>
  );
}

function secretPage(c: Context<ConsoleEnv>, services: Services, account: AccountRecord, key: KeyRecord, shown: { event: SecretEvent; secret: string }) {
  return renderPage(
    c,
    <Layout title={SECRET_HEADINGS[shown.event]} chrome={chromeOf(c, { account, environment: key.environment })}>
      <section class="panel shown-once">
        <h1>{SECRET_HEADINGS[shown.event]}</h1>
        <div class="warning" role="alert">
          <strong>Copy the application secret now.</strong> It will not be shown again: keymint keeps only a hash of it.
          If you lose it, regenerate the key.
        </div>
        <KeyFacts keyRecord={key}>
          <dt>Application ID</dt>
          <dd>
            <Copyable id="application-id" value={key.applicationId} what="application ID" />
          </dd>
          <dt>Application secret</dt>
          <dd>
            <Copyable id="application-secret" value={shown.secret} what="application secret" secret />
          </dd>
          <dt>Token endpoint</dt>
          <dd>
            <TokenEndpoint services={services} environment={key.environment} />
          </dd>
          <dt>Try it</dt>
          <dd>
            <Copyable id="key-curl" value={firstCurlCommand(services, key.environment, key.applicationId)} what="curl command" />
            <span class="sub">with the secret in <code>$APPLICATION_SECRET</code></span>
          </dd>
        </KeyFacts>
        <div class="form-row">
          <a class="button" href={paths.environment(account.id, key.environment)}>
            Done: back to {ENVIRONMENT_LABELS[key.environment].toLowerCase()} keys
          </a>
        </div>
      </section>
    </Layout>,
  );
}

function secretGonePage(c: Context<ConsoleEnv>, account: AccountRecord, key: KeyRecord) {
  return renderPage(
    c,
    <Layout title="Secret no longer shown" chrome={chromeOf(c, { account, environment: key.environment })}>
      <section class="panel narrow">
        <h1>The secret is no longer shown</h1>
        <p>
          An application secret is shown once, right after it is made. keymint keeps only a hash of it. If you did not
          store it, regenerate the key to get a new one.
        </p>
        <p>
          <a href={paths.key(account.id, key.id)}>Back to the key</a>
        </p>
      </section>
    </Layout>,
    410,
  );
}

function isSecretOf(key: KeyRecord, secret: string): boolean {
  // The flashed secret must be the key's current one (not one regenerated away since).
  return secret.startsWith(`sk_${ENVIRONMENT_TAGS[key.environment]}_`) && key.secretHint !== null && secret.endsWith(key.secretHint);
}

export function keySecretRoutes(services: Services) {
  return new Hono<ConsoleEnv>().get('/accounts/:accountId/keys/:keyId/secret', async (c) => {
    const { account, key } = await openKey(c, services, 'manage');
    const shown = takeFlashedSecret(c, paths.keySecret(account.id, key.id));
    if (!shown || !isSecretOf(key, shown.secret)) return secretGonePage(c, account, key);
    return secretPage(c, services, account, key, shown);
  });
}
