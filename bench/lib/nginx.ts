// nginx as the reverse proxy a user would otherwise put in front of the upstream (rows 4g, 5g, 9): its own
// configuration, pid and temp files in a temporary directory, in the foreground, one worker.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxConfig, NGINX_PATH } from '../../test/support/nginx.js';
import { freePort, startChild, waitFor, type Child } from './children.js';

/**
 * An `upstream` block with idle keep-alive connections, HTTP/1.1 to the upstream with the Connection header
 * cleared (what keep-alive to an upstream needs); no access log — keymint is measured at `warn` too, so
 * neither writes a line per request.
 */
function configuration(directory: string, port: number, upstream: URL): string {
  return nginxConfig({
    directory,
    port,
    workerConnections: 1024,
    http: `upstream bench_upstream {
    server ${upstream.host};
    keepalive 64;
  }`,
    server: `location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }`,
  });
}

/** nginx in front of `upstream`, or undefined (and why) when the binary is absent. */
export async function startNginx(directory: string, upstream: string): Promise<{ url: string; child: Child } | { missing: string }> {
  if (!existsSync(NGINX_PATH)) return { missing: `${NGINX_PATH} not found (apt-get install -y nginx; see bench/README.md)` };
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  const config = join(directory, 'nginx.conf');
  writeFileSync(config, configuration(directory, port, new URL(upstream)));
  const child = startChild('nginx', NGINX_PATH, ['-p', directory, '-c', config]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx to listen', async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), { child, timeoutMs: 10_000 });
  return { url, child };
}
