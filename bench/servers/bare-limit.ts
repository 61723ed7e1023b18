// The bare limit of scenario 1 (row 6): only the work a token exchange cannot skip (issuance-floor.ts),
// in a bare @hono/node-server handler — web Request in, web Response out, no routing or middleware.
import { serve } from '@hono/node-server';
import { createIssuanceFloor, FLOOR_HEADERS } from './issuance-floor.js';

const port = Number(process.env.PORT);
const issue = await createIssuanceFloor(port);

serve(
  {
    port,
    hostname: '127.0.0.1',
    async fetch(request) {
      const answer = await issue(request.headers.get('authorization') ?? '', await request.text());
      return new Response(answer.body, { status: answer.status, headers: FLOOR_HEADERS });
    },
  },
  () => process.stdout.write(`bare limit listening on ${port}\n`),
);
