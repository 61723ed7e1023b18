// Where admin commands act: the local database through the gateway's app in process, or a running gateway's admin API.
import type { Config } from '../config.js';
import { createAdminClient, type AdminClient, type SendRequest } from './admin-client.js';
import { CliError, usageError } from './errors.js';

export interface AdminTarget {
  client: AdminClient;
  /** Present when the CLI opened the database itself: the configuration it runs with. */
  local?: { config: Config };
  close(): Promise<void>;
}

export interface TargetOptions {
  url?: string;
  adminToken?: string;
  database?: string;
}

const REMOTE_TIMEOUT_MS = 15_000;

/** `--url` (or KEYMINT_URL unless `--database` asks for a file) → that gateway; otherwise the local database as root. */
export async function openAdminTarget(options: TargetOptions, env: NodeJS.ProcessEnv): Promise<AdminTarget> {
  if (options.url !== undefined && options.database !== undefined) {
    throw usageError('--url and --database exclude each other: act on a running gateway or on a database file');
  }
  const url = options.url ?? (options.database === undefined ? env.KEYMINT_URL || undefined : undefined);
  if (url === undefined) {
    if (options.adminToken !== undefined) {
      throw usageError('--admin-token goes with --url; on the local database the CLI acts as root');
    }
    const { openLocalTarget } = await import('./local-target.js');
    return openLocalTarget(env, options.database);
  }
  const adminToken = options.adminToken ?? (env.KEYMINT_ADMIN_TOKEN || undefined);
  if (adminToken === undefined) throw usageError('a gateway at --url needs --admin-token or KEYMINT_ADMIN_TOKEN');
  const baseUrl = gatewayBaseUrl(url);
  return { client: createAdminClient(remoteSender(baseUrl), baseUrl, adminToken), close: async () => {} };
}

/** The gateway's base URL without trailing slashes; anything but http(s) is a usage error. */
export function gatewayBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--url ${url} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usageError(`--url ${url} is not an http(s) URL`);
  return url.replace(/\/+$/, '');
}

/** fetch towards a running gateway; failing to get any answer is `unreachable` (exit 3). */
export function remoteSender(baseUrl: string): SendRequest {
  return async function sendRemote(request) {
    try {
      return await fetch(request, { signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS) });
    } catch (error) {
      throw new CliError('unreachable', `cannot reach ${baseUrl}: ${failureReason(error)}`);
    }
  };
}

function failureReason(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${REMOTE_TIMEOUT_MS / 1000} s`;
  // undici reports "fetch failed" and puts the socket's error (ECONNREFUSED, ENOTFOUND, …) in `cause`.
  const cause = (error as { cause?: { message?: unknown } }).cause;
  return typeof cause?.message === 'string' ? cause.message : String((error as Error).message ?? error);
}
