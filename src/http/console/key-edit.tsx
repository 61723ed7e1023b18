/** @jsxImportSource hono/jsx */
// Changing a key: its name, scopes, expiry, limits and (private_key_jwt) public keys on a page of its own, and extending its expiry from its page. Both go
// through key management's update, which token requests see at once.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KeyPatch } from '../../core/key-management.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, noSuchKey, openKey, readForm, renderPage, type ConsoleEnv, type OpenKey } from './context.js';
import { EditKeyForm, editFormValues } from './key-form.js';
import { DAY_MS, EXPIRY_PRESET_DAYS, keyFormFailure, parseKeyForm, readKeyFormValues, type KeyFormState } from './key-form-rules.js';
import { ENVIRONMENT_LABELS, Layout } from './layout.js';
import { announce } from './notices.js';
import { paths } from './paths.js';

function editPage(c: Context<ConsoleEnv>, services: Services, opened: OpenKey, state: KeyFormState, status: ContentfulStatusCode = 200) {
  const { account, key } = opened;
  const title = `Edit “${key.name}”`;
  return renderPage(
    c,
    <Layout title={title} chrome={chromeOf(c, { account, environment: key.environment })}>
      <section class="panel narrow">
        <h1 class="key-title" title={key.name}>
          {title}
        </h1>
        <p class="lead">
          {ENVIRONMENT_LABELS[key.environment]} key <code>{key.id}</code>. Changes apply to the next token request; session
          tokens minted before keep the scopes they were minted with until they expire.
        </p>
        <EditKeyForm keyRecord={key} csrf={c.get('csrf')} allowedScopes={services.config.scopes} state={state} />
      </section>
    </Layout>,
    status,
  );
}

/** A new expiry `days` after the current one, or after now when the key has already expired. */
export function extendedExpiry(expiresAt: number, now: number, days: number): number {
  return Math.max(expiresAt, now) + days * DAY_MS;
}

export function keyEditRoutes(services: Services) {
  const { management } = services;
  const backToKey = (c: Context, opened: OpenKey) => c.redirect(paths.key(opened.account.id, opened.key.id), 303);

  return new Hono<ConsoleEnv>()
    .get('/accounts/:accountId/keys/:keyId/edit', async (c) => {
      const opened = await openKey(c, services, 'manage');
      return editPage(c, services, opened, { values: editFormValues(opened.key), errors: {} });
    })
    .post('/accounts/:accountId/keys/:keyId/edit', async (c) => {
      const opened = await openKey(c, services, 'manage');
      const values = readKeyFormValues(await readForm(c), 'edit', opened.key);
      const parsed = await parseKeyForm(values, services.clock.now());
      if (!parsed.ok) return editPage(c, services, opened, { values: parsed.values, errors: parsed.errors }, 400);
      // Empty limit boxes remove a limit (null), as a PATCH with null does.
      const { expiresAt, jwks, authMethod: _unchangeable, ...changes } = parsed.input;
      const patch: KeyPatch = { ...changes, ...(expiresAt !== undefined && { expiresAt }), ...(jwks !== undefined && { jwks }) };
      const updated = await management.updateKey(c.get('actor'), opened.account.id, opened.key.id, patch);
      if (!updated.ok) {
        const { errors, status } = keyFormFailure(updated);
        return editPage(c, services, opened, { values, errors }, status);
      }
      announce(c, 'key-saved');
      return backToKey(c, opened);
    })
    .post('/accounts/:accountId/keys/:keyId/extend', async (c) => {
      const opened = await openKey(c, services, 'manage');
      const days = Number(formText(await readForm(c), 'days'));
      if (!(EXPIRY_PRESET_DAYS as readonly number[]).includes(days)) {
        throw new ConsoleError(400, 'Bad request', `Extend by ${EXPIRY_PRESET_DAYS.join(', ')} days.`);
      }
      const { expiresAt } = opened.key;
      if (expiresAt === null) throw new ConsoleError(409, 'Nothing to extend', 'This key never expires. Edit it to give it an expiry.');
      const extended = extendedExpiry(expiresAt, services.clock.now(), days);
      const updated = await management.updateKey(c.get('actor'), opened.account.id, opened.key.id, { expiresAt: extended });
      if (!updated.ok) {
        if (updated.reason === 'not_found') throw noSuchKey();
        throw new ConsoleError(400, 'Not changed', updated.detail ?? 'The expiry could not be extended.');
      }
      announce(c, 'expiry-extended');
      return backToKey(c, opened);
    });
}
