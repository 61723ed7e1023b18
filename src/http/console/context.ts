// Console plumbing: the request variables, HTML rendering, form bodies and the account a page is about.
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { authorize, type Actor, type Permission } from '../../core/admin-access.js';
import { isId } from '../../core/ids.js';
import type { AccountRecord, KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import type { Chrome } from './layout.js';
import { takeNoticeText } from './notices.js';

/** The signed-in actor and its CSRF token; the account once a page has opened one (error pages keep its tabs). */
export type ConsoleEnv = { Variables: { actor: Actor; csrf: string; account?: AccountRecord } };

/** An outcome the console shows as a page of its own (403, 404, 410…), never as JSON. */
export class ConsoleError extends Error {
  override name = 'ConsoleError';

  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

/** Every console page is account data (and sometimes a secret): never cached, never stored. */
export function renderPage(c: Context, page: unknown, status: ContentfulStatusCode = 200) {
  c.header('Cache-Control', 'no-store');
  return c.html(html`<!doctype html>${page}`, status);
}

export type FormBody = Record<string, string | File | (string | File)[]>;

/** The urlencoded (or multipart) body; anything else parses as empty and so fails the CSRF check. */
export function readForm(c: Context): Promise<FormBody> {
  return c.req.parseBody({ all: true });
}

/** A single text field of a form, '' when absent or repeated. */
export function formText(form: FormBody, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

/** The header of a page for this request, with the notice flashed for it (taken: it shows once). */
export function chromeOf(c: Context<ConsoleEnv>, extra: Omit<Chrome, 'actor' | 'csrf' | 'notice'> = {}): Chrome {
  return { actor: c.get('actor'), csrf: c.get('csrf'), notice: takeNoticeText(c), ...extra };
}

export interface OpenAccount {
  account: AccountRecord;
  /** Whether the signed-in token may change this account's keys (root, manager); viewers only read. */
  canManage: boolean;
}

/** The account in the path, if the signed-in token may `permission` it: otherwise a 403 or 404 page. */
export async function openAccount(c: Context<ConsoleEnv>, services: Services, permission: Permission): Promise<OpenAccount> {
  const accountId = c.req.param('accountId') ?? '';
  const actor = c.get('actor');
  const allowed = authorize(actor, permission, accountId);
  const readable = allowed.ok || authorize(actor, 'read', accountId).ok;
  const account = readable && isId('acct', accountId) ? await services.management.getAccount(accountId) : null;
  // A page of its own account the token may not open (a viewer's write page, a manager's root page) keeps the tabs.
  if (account?.ok) c.set('account', account.value);
  if (!allowed.ok) throw new ConsoleError(403, 'Not allowed', allowed.detail ?? 'this admin token may not do that');
  if (!account?.ok) throw new ConsoleError(404, 'No such account', `there is no account ${accountId}`);
  return { account: account.value, canManage: authorize(actor, 'manage', accountId).ok };
}

export interface OpenKey extends OpenAccount {
  key: KeyRecord;
}

/** The account and key in the path, if the signed-in token may `permission` them: otherwise a 403 or 404 page. */
export async function openKey(c: Context<ConsoleEnv>, services: Services, permission: Permission): Promise<OpenKey> {
  const opened = await openAccount(c, services, permission);
  const keyId = c.req.param('keyId') ?? '';
  const found = isId('key', keyId) ? await services.management.getKey(opened.account.id, keyId) : null;
  if (!found?.ok) throw noSuchKey();
  return { ...opened, key: found.value };
}

export function noSuchKey(): ConsoleError {
  return new ConsoleError(404, 'No such key', 'This account has no such key; it may have been deleted.');
}
