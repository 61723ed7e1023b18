// The raw floor of scenario 1 (row 6r): the same unavoidable work as bare-limit.ts (issuance-floor.ts) on
// node:http alone — no hono, no @hono/node-server — so the table shows what the framework layer costs.
import { createServer } from 'node:http';
import { createIssuanceFloor, FLOOR_HEADERS } from './issuance-floor.js';

const port = Number(process.env.PORT);
const issue = await createIssuanceFloor(port);

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    issue(request.headers.authorization ?? '', Buffer.concat(chunks).toString('utf8')).then(
      (answer) => {
        response.writeHead(answer.status, { ...FLOOR_HEADERS, 'content-length': Buffer.byteLength(answer.body) });
        response.end(answer.body);
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`raw limit listening on ${port}\n`));
