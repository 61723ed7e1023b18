// A real nginx upstream (Debian's package) on a free loopback port, with its own config, pid and temp files.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/** Debian's package; KEYMINT_NGINX_PATH points elsewhere. */
export const NGINX_PATH = process.env.KEYMINT_NGINX_PATH || '/usr/sbin/nginx';

/**
 * Whether the nginx tests can run. Without nginx they are skipped with a warning, unless
 * KEYMINT_REQUIRE_NGINX=1 (CI), where a missing nginx fails the run instead.
 */
export function nginxAvailable(): boolean {
  if (existsSync(NGINX_PATH)) return true;
  const missing = `${NGINX_PATH} not found (install it with: apt-get install -y nginx)`;
  if (process.env.KEYMINT_REQUIRE_NGINX === '1') throw new Error(`KEYMINT_REQUIRE_NGINX=1 but ${missing}`);
  console.warn(`nginx tests skipped: ${missing}; set KEYMINT_REQUIRE_NGINX=1 to fail instead`);
  return false;
}

/**
 * An nginx configuration that keeps everything it writes (pid, error log, temp files) in `directory`: the
 * foreground master, one worker, no access log, and `http` (blocks beside the server, e.g. an `upstream`) and
 * `server` (the body of the one `server {}`, whose `listen` is added).
 */
export function nginxConfig(options: { directory: string; port: number; server: string; http?: string; workerConnections: number }): string {
  const { directory, port } = options;
  const temp = (name: string) => `${name}_temp_path ${join(directory, name)};`;
  return `
daemon off;
master_process on;
worker_processes 1;
pid ${join(directory, 'nginx.pid')};
error_log ${join(directory, 'error.log')} warn;
events { worker_connections ${options.workerConnections}; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  ${options.http ?? ''}
  server {
    listen 127.0.0.1:${port};
    ${options.server}
  }
}
`;
}

export interface Nginx {
  url: string;
  close(): Promise<void>;
}

/**
 * nginx in the foreground (`daemon off`, one worker) serving `server` — the body of one `server {}` block;
 * `listen` is added. Everything it writes (pid, logs, temp files) stays in a directory of its own.
 */
export async function startNginx(server: string): Promise<Nginx> {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-nginx-'));
  const port = await freePort();
  const config = nginxConfig({ directory, port, server, workerConnections: 64 });
  const configFile = join(directory, 'nginx.conf');
  writeFileSync(configFile, config);
  // -e: the error log before the config is read (the default one, under /var/log, may not be writable).
  const child: ChildProcess = spawn(NGINX_PATH, ['-p', directory, '-e', join(directory, 'error.log'), '-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    rmSync(directory, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) {
      rmSync(directory, { recursive: true, force: true });
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    }
    const up = await fetch(url).then(() => true, () => false);
    if (up) return { url, close };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await close();
  throw new Error(`nginx did not start on port ${port}: ${stderr}`);
}
