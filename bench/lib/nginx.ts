// nginx as the reverse proxy a user would otherwise put in front of the upstream (rows 4g, 5g, 9): its own
// configuration, pid and temp files in a temporary directory, in the foreground, one worker.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startChild, waitFor, type Child } from './children.js';

export const NGINX = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';

/**
 * One worker, an `upstream` block with idle keep-alive connections, HTTP/1.1 to the upstream with the
 * Connection header cleared (what keep-alive to an upstream needs), and no access log — keymint is
 * measured at `warn` too, so neither writes a line per request.
 */
function configuration(directory: string, port: number, upstream: URL): string {
  return `daemon off;
worker_processes 1;
pid ${join(directory, 'nginx.pid')};
error_log ${join(directory, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(directory, 'client_body')};
  proxy_temp_path ${join(directory, 'proxy')};
  fastcgi_temp_path ${join(directory, 'fastcgi')};
  uwsgi_temp_path ${join(directory, 'uwsgi')};
  scgi_temp_path ${join(directory, 'scgi')};
  upstream bench_upstream {
    server ${upstream.host};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** nginx in front of `upstream`, or undefined (and why) when the binary is absent. */
export async function startNginx(directory: string, upstream: string): Promise<{ url: string; child: Child } | { missing: string }> {
  if (!existsSync(NGINX)) return { missing: `${NGINX} not found (apt-get install -y nginx; see bench/README.md)` };
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  const config = join(directory, 'nginx.conf');
  writeFileSync(config, configuration(directory, port, new URL(upstream)));
  const child = startChild('nginx', NGINX, ['-p', directory, '-c', config]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx to listen', async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), { child, timeoutMs: 10_000 });
  return { url, child };
}
