// keymint token: a client-credentials exchange against a running gateway, printing the session token.
import type { Command } from '../command.js';
import { refusalOf, usageError } from '../errors.js';
import { splitList } from '../options.js';
import { printJson, printLine } from '../output.js';
import { gatewayBaseUrl, remoteSender } from '../target.js';

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

export const tokenCommand: Command = {
  path: ['token'],
  summary: 'Exchange an application ID and secret for a session token (OAuth client credentials)',
  required: ['env', 'client-id'],
  optional: ['client-secret', 'scope', 'url', 'json'],
  notes: [
    'The gateway is --url, else KEYMINT_URL, else KEYMINT_PUBLIC_URL (default http://localhost:8787).',
    'Prefer KEYMINT_CLIENT_SECRET to --client-secret: a command line shows in ps and in shell history.',
    'Prints the access token alone (for TOKEN=$(keymint token …)); --json prints the whole token response.',
  ],
  async run({ options, environment, env }) {
    const secret = options['client-secret'] ?? (env.KEYMINT_CLIENT_SECRET || undefined);
    if (secret === undefined) throw usageError('token needs --client-secret or KEYMINT_CLIENT_SECRET');
    const baseUrl = gatewayBaseUrl(options.url ?? (env.KEYMINT_URL || (await configuredPublicUrl(env))));
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: options['client-id']!, client_secret: secret });
    // Scopes are space-delimited on the wire (RFC 6749 §3.3); commas are accepted here like --scopes elsewhere.
    if (options.scope !== undefined) body.set('scope', splitList(options.scope).join(' '));
    const response = await remoteSender(baseUrl)(
      new Request(`${baseUrl}/${environment}/oauth/token`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
    if (!response.ok) throw await refusalOf(response);
    const token = (await response.json()) as TokenResponse;
    if (options.json) return printJson(token);
    printLine(token.access_token);
  },
};

async function configuredPublicUrl(env: NodeJS.ProcessEnv): Promise<string> {
  const { loadGatewayConfig } = await import('../gateway-config.js');
  return loadGatewayConfig(env).publicUrl;
}
