/** @jsxImportSource hono/jsx */
// The page shell every console screen shares: skip link, header with who is signed in, the live-mode banner,
// section tabs, the notice of what just happened; and the small parts pages are built from.
import type { FC, PropsWithChildren } from 'hono/jsx';
import type { Actor } from '../../core/admin-access.js';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { AccountRecord } from '../../ports/key-store.js';
import { ASSET_PATHS } from './assets.js';
import { paths } from './paths.js';
import { CSRF_FIELD } from './session.js';

export type Section = Environment | 'operations' | 'webhooks' | 'admin-tokens';

/** What the header needs to know about who is looking at what. */
export interface Chrome {
  actor?: Actor;
  csrf?: string;
  account?: AccountRecord;
  section?: Section;
  /** The environment the page is about, when not its section (a key's own pages): production gets the live look. */
  environment?: Environment;
  /** What the last action did, shown once (it came in a cookie the page has deleted). */
  notice?: string;
}

/** The form error for a name holding a control or bidirectional formatting character (refused as by the admin API). */
export const CONSOLE_UNSAFE_NAME =
  'A name cannot hold control characters (line breaks, tabs, ESC…) or bidirectional formatting characters.';

export const ENVIRONMENT_LABELS: Record<Environment, string> = { sandbox: 'Sandbox', production: 'Production' };

/** Who is signed in, by the name a person gave the token (its id is for the audit log). */
export function actorLabel(actor: Actor): string {
  return actor.kind === 'root' ? 'root (operator)' : `${actor.name} (${actor.role})`;
}

export const CsrfField: FC<{ csrf: string }> = ({ csrf }) => <input type="hidden" name={CSRF_FIELD} value={csrf} />;

/** Text only screen readers read: it completes a short visible label ("Delete" + " key ci"). */
export const ForScreenReaders: FC<PropsWithChildren> = ({ children }) => <span class="vh">{children}</span>;

/** A one-button POST form: every change goes through a form with the session's CSRF token. */
export const PostButton: FC<PropsWithChildren<{ action: string; csrf: string; class?: string; fields?: Record<string, string> }>> = (
  props,
) => (
  <form method="post" action={props.action}>
    <CsrfField csrf={props.csrf} />
    {Object.entries(props.fields ?? {}).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={props.class}>
      {props.children}
    </button>
  </form>
);

/** The id of the message under a control, which the control names with aria-describedby. */
export const errorId = (field: string) => `${field}-error`;

export const FieldError: FC<{ field: string; error: string | undefined }> = ({ field, error }) =>
  error ? (
    <p class="field-error" id={errorId(field)}>
      {error}
    </p>
  ) : null;

/**
 * A labelled input with its validation message, tied to it with aria-describedby; `focus` puts the cursor there
 * when the page loads (the first field in error, so no script is needed for it).
 */
export function TextField(props: {
  name: string;
  label: string;
  hint?: string;
  value?: string;
  error?: string;
  type?: 'text' | 'password' | 'datetime-local' | 'search';
  placeholder?: string;
  maxlength?: number;
  required?: boolean;
  focus?: boolean;
  id?: string;
  extra?: Record<string, string>;
}) {
  const id = props.id ?? props.name;
  return (
    <>
      <label for={id}>
        {props.label}
        {props.hint && <span class="hint"> {props.hint}</span>}
      </label>
      <input
        type={props.type ?? 'text'}
        id={id}
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        maxlength={props.maxlength}
        required={props.required}
        autofocus={props.focus}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? errorId(id) : undefined}
        {...props.extra}
      />
      <FieldError field={id} error={props.error} />
    </>
  );
}

/** A page-level message: a notice of what just happened, or an error that stopped it. */
export function Message({ kind, text, id }: { kind: 'notice' | 'error'; text: string | undefined; id?: string }) {
  if (!text) return null;
  return (
    <div class={kind} role={kind === 'error' ? 'alert' : 'status'} id={id}>
      {text}
    </div>
  );
}

const ISO_MINUTES = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}).*$/;

/** A time in UTC; the console script puts the viewer's local time before it (UTC stays beside it). */
export const Time: FC<{ at: number }> = ({ at }) => {
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{iso.replace(ISO_MINUTES, '$1 $2 UTC')}</time>;
};

/** A value with a copy button; the console script copies it and says so in the page's live region. */
export function Copyable(props: { id: string; value: string; what: string; secret?: boolean }) {
  return (
    <span class="copy-row">
      <code class={props.secret ? 'copyable secret' : 'copyable'} id={props.id}>
        {props.value}
      </code>
      <button type="button" class={props.secret ? 'copy primary' : 'copy'} data-copy-target={props.id} data-copy-what={props.what}>
        <span class="copy-label">{props.secret ? 'Copy secret' : 'Copy'}</span>
        {!props.secret && <ForScreenReaders> {props.what}</ForScreenReaders>}
      </button>
    </span>
  );
}

const Header: FC<{ chrome: Chrome }> = ({ chrome }) => {
  const { actor, csrf, account } = chrome;
  return (
    <header class="top">
      <a class="brand" href={paths.home}>
        keymint console
      </a>
      {account && (
        <span class="account">
          <span class="account-name">{account.name}</span> <code>{account.id}</code>
        </span>
      )}
      {actor?.kind === 'root' && (
        <nav class="operator" aria-label="Operator">
          <a href={paths.accounts}>Accounts</a>
          <a href={paths.signingKeys}>Signing keys</a>
        </nav>
      )}
      {actor && csrf && (
        <div class="who">
          <span>
            Signed in as <strong class="actor-name">{actorLabel(actor)}</strong>
          </span>
          <form method="post" action={paths.signOut}>
            <CsrfField csrf={csrf} />
            <button type="submit">Sign out</button>
          </form>
        </div>
      )}
    </header>
  );
};

const Tabs: FC<{ account: AccountRecord; section: Section | undefined; actor: Actor | undefined }> = ({ account, section, actor }) => (
  <nav class="tabs" aria-label="Sections">
    {ENVIRONMENTS.map((environment) => (
      <a href={paths.environment(account.id, environment)} aria-current={section === environment ? 'page' : undefined}>
        {ENVIRONMENT_LABELS[environment]} keys
      </a>
    ))}
    <a href={paths.operations(account.id)} aria-current={section === 'operations' ? 'page' : undefined}>
      Audit log
    </a>
    <a href={paths.webhooks(account.id)} aria-current={section === 'webhooks' ? 'page' : undefined}>
      Webhooks
    </a>
    {actor?.kind === 'root' && (
      <a href={paths.adminTokens(account.id)} aria-current={section === 'admin-tokens' ? 'page' : undefined}>
        Admin tokens
      </a>
    )}
  </nav>
);

/** Production pages carry a banner and another colour, as Stripe marks live mode, so nobody mistakes one for the other. */
const LiveBanner: FC = () => (
  <div class="live-banner" role="note">
    <strong>Production</strong> — live keys: what you change here affects your live traffic at once.
  </div>
);

function environmentOf(chrome: Chrome): Environment | undefined {
  if (chrome.environment) return chrome.environment;
  return chrome.section === 'sandbox' || chrome.section === 'production' ? chrome.section : undefined;
}

export const Layout: FC<PropsWithChildren<{ title: string; chrome: Chrome }>> = ({ title, chrome, children }) => {
  const environment = environmentOf(chrome);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${environment === 'production' ? 'Production · ' : ''}${title} · keymint console`}</title>
        <link rel="icon" href={ASSET_PATHS.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={ASSET_PATHS.stylesheet} />
        <script src={ASSET_PATHS.script} defer></script>
      </head>
      <body class={environment ? `env-${environment}` : undefined}>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <Header chrome={chrome} />
        {environment === 'production' && <LiveBanner />}
        {chrome.account && <Tabs account={chrome.account} section={chrome.section} actor={chrome.actor} />}
        <main id="main" tabindex={-1}>
          <Message kind="notice" text={chrome.notice} />
          {children}
        </main>
        <p class="vh" id="announcer" role="status" aria-live="polite"></p>
        <footer>keymint · API access keys and session tokens</footer>
      </body>
    </html>
  );
};
