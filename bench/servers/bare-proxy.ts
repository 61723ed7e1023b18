// The Node floor of the proxy rows: a bare node:http reverse proxy with a keep-alive agent and no checks —
// every request goes to the upstream with its headers (Host and Connection aside) and comes back as it is.
import { Agent, createServer, request } from 'node:http';

const port = Number(process.env.PORT);
const upstream = new URL(process.env.UPSTREAM_URL!);
const agent = new Agent({ keepAlive: true });

createServer((incoming, outgoing) => {
  const headers = { ...incoming.headers };
  delete headers.host;
  delete headers.connection;
  const forwarded = request(
    { host: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers, agent },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(forwarded);
}).listen(port, '127.0.0.1', () => process.stdout.write(`bare proxy listening on ${port}\n`));
