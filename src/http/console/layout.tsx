/** @jsxImportSource hono/jsx */
// The page shell every console screen shares: header with account and sign-out, environment tabs, small parts.
import type { FC, PropsWithChildren } from 'hono/jsx';
import type { Actor } from '../../core/admin-access.js';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { AccountRecord } from '../../ports/key-store.js';
import { ASSET_PATHS } from './assets.js';
import { paths } from './paths.js';
import { CSRF_FIELD } from './session.js';

/** What the header needs to know about who is looking at what. */
export interface Chrome {
  actor?: Actor;
  csrf?: string;
  account?: AccountRecord;
  section?: Environment | 'operations';
}

/** The form error for a name holding a control or bidirectional formatting character (refused as by the admin API). */
export const CONSOLE_UNSAFE_NAME =
  'A name cannot hold control characters (line breaks, tabs, ESC…) or bidirectional formatting characters.';

export const ENVIRONMENT_LABELS: Record<Environment, string> = { sandbox: 'Sandbox', production: 'Production' };

export function actorLabel(actor: Actor): string {
  return actor.kind === 'root' ? 'root (operator)' : `${actor.role} token ${actor.tokenId}`;
}

export const CsrfField: FC<{ csrf: string }> = ({ csrf }) => <input type="hidden" name={CSRF_FIELD} value={csrf} />;

/** A one-button POST form: every change goes through a form with the session's CSRF token. */
export const PostButton: FC<PropsWithChildren<{ action: string; csrf: string; class?: string }>> = (props) => (
  <form method="post" action={props.action}>
    <CsrfField csrf={props.csrf} />
    <button type="submit" class={props.class}>
      {props.children}
    </button>
  </form>
);

/** A labelled input with its validation message; the label's hint and the message are optional. */
export function TextField(props: {
  name: string;
  label: string;
  hint?: string;
  value?: string;
  error?: string;
  type?: 'text' | 'password' | 'datetime-local';
  placeholder?: string;
  maxlength?: number;
  required?: boolean;
  autofocus?: boolean;
}) {
  return (
    <>
      <label for={props.name}>
        {props.label}
        {props.hint && <span class="hint"> {props.hint}</span>}
      </label>
      <input
        type={props.type ?? 'text'}
        id={props.name}
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        maxlength={props.maxlength}
        required={props.required}
        autofocus={props.autofocus}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={props.error ? 'true' : undefined}
      />
      {props.error && <p class="field-error">{props.error}</p>}
    </>
  );
}

/** A page-level message: a notice of what just happened, or an error that stopped it. */
export function Message({ kind, text }: { kind: 'notice' | 'error'; text: string | undefined }) {
  if (!text) return null;
  return (
    <div class={kind} role={kind === 'error' ? 'alert' : 'status'}>
      {text}
    </div>
  );
}

const ISO_MINUTES = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}).*$/;

export const Time: FC<{ at: number }> = ({ at }) => {
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{iso.replace(ISO_MINUTES, '$1 $2 UTC')}</time>;
};

const Header: FC<{ chrome: Chrome }> = ({ chrome }) => {
  const { actor, csrf, account } = chrome;
  return (
    <header class="top">
      <a class="brand" href={paths.home}>
        keymint console
      </a>
      {account && (
        <span class="account">
          {account.name} <code>{account.id}</code>
        </span>
      )}
      {actor?.kind === 'root' && <a href={paths.accounts}>Accounts</a>}
      {actor && csrf && (
        <div class="who">
          <span>Signed in as {actorLabel(actor)}</span>
          <form method="post" action={paths.signOut}>
            <CsrfField csrf={csrf} />
            <button type="submit">Sign out</button>
          </form>
        </div>
      )}
    </header>
  );
};

const Tabs: FC<{ account: AccountRecord; section: Chrome['section'] }> = ({ account, section }) => (
  <nav class="tabs" aria-label="Sections">
    {ENVIRONMENTS.map((environment) => (
      <a href={paths.environment(account.id, environment)} aria-current={section === environment ? 'page' : undefined}>
        {ENVIRONMENT_LABELS[environment]} keys
      </a>
    ))}
    <a href={paths.operations(account.id)} aria-current={section === 'operations' ? 'page' : undefined}>
      Audit log
    </a>
  </nav>
);

export const Layout: FC<PropsWithChildren<{ title: string; chrome: Chrome }>> = ({ title, chrome, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{`${title} · keymint console`}</title>
      <link rel="icon" href={ASSET_PATHS.icon} type="image/svg+xml" />
      <link rel="stylesheet" href={ASSET_PATHS.stylesheet} />
      <script src={ASSET_PATHS.script} defer></script>
    </head>
    <body>
      <Header chrome={chrome} />
      {chrome.account && chrome.section && <Tabs account={chrome.account} section={chrome.section} />}
      <main>{children}</main>
      <footer>keymint · API access keys and session tokens</footer>
    </body>
  </html>
);
