// keymint keys …: an account's API access keys in one environment.
import type { Command, CommandInput } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { ADMIN_OPTIONS, splitList } from '../options.js';
import { printJson, printKey, printLine, printTable, scopeList } from '../output.js';

/**
 * The key named by --account and --key. When --env is given too, the key must be of that environment: a guard
 * against acting on production when sandbox was meant (an environment never changes over a key's life).
 */
async function namedKey({ options, environment, admin }: CommandInput) {
  const { client } = await admin();
  const accountId = options.account!;
  const keyId = options.key!;
  if (environment) {
    const key = await client.getKey(accountId, keyId);
    if (key.environment !== environment) throw new CliError('refused', `${keyId} is a ${key.environment} key, not ${environment}`);
  }
  return { client, accountId, keyId };
}

const KEY_OPTIONS = { required: ['account', 'key'], optional: ['env', ...ADMIN_OPTIONS] } as const;

export const keyCommands: Command[] = [
  {
    path: ['keys', 'create'],
    summary: 'Create an API access key; its application secret is printed this once',
    required: ['account', 'env', 'name'],
    optional: ['scopes', 'expires-at', ...ADMIN_OPTIONS],
    async run({ options, environment, admin }) {
      const created = await (await admin()).client.createKey(options.account!, {
        environment: environment!,
        name: options.name!,
        scopes: options.scopes === undefined ? [] : splitList(options.scopes),
        ...(options['expires-at'] !== undefined && { expiresAt: options['expires-at'] }),
      });
      if (options.json) return printJson(created);
      printKey(created);
    },
  },
  {
    path: ['keys', 'list'],
    summary: 'List an account’s keys (never their secrets), of one environment with --env',
    required: ['account'],
    optional: ['env', ...ADMIN_OPTIONS],
    async run({ options, environment, admin }) {
      const keys = await (await admin()).client.listKeys(options.account!, environment);
      if (options.json) return printJson({ items: keys });
      if (keys.length === 0) return printLine('no keys');
      printTable(
        ['ID', 'ENV', 'NAME', 'APPLICATION ID', 'STATUS', 'SCOPES', 'EXPIRES', 'LAST USED'],
        keys.map((key) => [
          key.id,
          key.environment,
          key.name,
          key.applicationId,
          key.status,
          scopeList(key.scopes),
          key.expiresAt ?? 'never',
          key.lastUsedAt ?? 'never',
        ]),
      );
    },
  },
  {
    path: ['keys', 'regenerate'],
    summary: 'Give a key a new application ID and secret (printed this once); the old pair stops minting now',
    ...KEY_OPTIONS,
    async run(input) {
      const { client, accountId, keyId } = await namedKey(input);
      const regenerated = await client.regenerateKey(accountId, keyId);
      if (input.options.json) return printJson(regenerated);
      printKey(regenerated);
    },
  },
  ...(['disable', 'enable'] as const).map(
    (action): Command => ({
      path: ['keys', action],
      summary: action === 'disable' ? 'Stop a key from minting (its live sessions stay valid)' : 'Let a disabled key mint again',
      ...KEY_OPTIONS,
      async run(input) {
        const { client, accountId, keyId } = await namedKey(input);
        const key = await client.setKeyStatus(accountId, keyId, action);
        if (input.options.json) return printJson(key);
        printKey(key);
      },
    }),
  ),
  {
    path: ['keys', 'delete'],
    summary: 'Delete a key: its pair stops minting now (its live sessions stay valid)',
    ...KEY_OPTIONS,
    async run(input) {
      const { client, accountId, keyId } = await namedKey(input);
      await client.deleteKey(accountId, keyId);
      if (input.options.json) return printJson({ id: keyId, deleted: true });
      printLine(`deleted ${keyId}`);
    },
  },
  {
    path: ['keys', 'revoke-sessions'],
    summary: 'Revoke every live session of a key (the compromise button)',
    ...KEY_OPTIONS,
    notes: [
      'On the local database this needs the gateway’s REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS): an in-process',
      'session store is out of reach.',
    ],
    async run(input) {
      const { local } = await input.admin();
      if (local && !local.config.redis) {
        throw usageError(
          'revoke-sessions needs the gateway’s sessions: set REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS) as the gateway has it, or use --url',
        );
      }
      const { client, accountId, keyId } = await namedKey(input);
      const revoked = await client.revokeKeySessions(accountId, keyId);
      if (input.options.json) return printJson(revoked);
      printLine(`revoked ${revoked.revokedSessions} session${revoked.revokedSessions === 1 ? '' : 's'} of ${keyId}`);
    },
  },
];
