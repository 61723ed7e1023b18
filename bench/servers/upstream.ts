// The benchmark's upstream: a bare node:http server answering every request with a small JSON body.
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const body = JSON.stringify({ ok: true, items: [{ id: 1, name: 'widget' }] });

createServer((request, response) => {
  // Drain any request body so keep-alive connections stay usable.
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`upstream listening on ${port}\n`));
