// Row 10: a plain Hono app on @hono/node-server answering a small JSON body, with `sessionAuth`
// (keymint/verify) in front of it when SESSION_AUTH=on, and without it otherwise — the same app twice.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sessionAuth, type SessionAuthEnv } from '../../src/verify.js';

const port = Number(process.env.PORT);
const app = new Hono<SessionAuthEnv>();
if (process.env.SESSION_AUTH === 'on') app.use('/v1/*', sessionAuth({ issuer: process.env.ISSUER! }));
app.get('/v1/items', (c) => c.json({ ok: true, items: [{ id: 1, name: 'widget' }] }));

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
  process.stdout.write(`hono app (sessionAuth ${process.env.SESSION_AUTH ?? 'off'}) listening on ${port}\n`),
);
