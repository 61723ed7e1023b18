// keymint keys …: an account's API access keys in one environment.
import type { Command, CommandInput } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { ADMIN_OPTIONS, expiryOption, splitList } from '../options.js';
import { LIMIT_OPTIONS, readLimitOptions } from '../limits.js';
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
    optional: ['scopes', 'expires-at', ...LIMIT_OPTIONS, ...ADMIN_OPTIONS],
    async run({ options, environment, admin }) {
      const limits = readLimitOptions(options);
      const created = await (await admin()).client.createKey(options.account!, {
        environment: environment!,
        name: options.name!,
        scopes: options.scopes === undefined ? [] : splitList(options.scopes),
        ...(options['expires-at'] !== undefined && { expiresAt: expiryOption(options['expires-at']) }),
        ...limits,
      });
      if (options.json) return printJson(created);
      printKey(created);
    },
  },
  {
    path: ['keys', 'edit'],
    summary: 'Change a key’s name, scopes or expiry; minting sees it at once',
    required: ['account', 'key'],
    optional: ['env', 'name', 'scopes', 'expires-at', ...ADMIN_OPTIONS],
    notes: [
      'Only the options given change. --scopes replaces the key’s scopes (--scopes "" leaves it none);',
      '--expires-at never removes its expiry.',
    ],
    async run(input) {
      const { options } = input;
      if (options.name === undefined && options.scopes === undefined && options['expires-at'] === undefined) {
        throw usageError('keys edit needs at least one of --name, --scopes, --expires-at');
      }
      const { client, accountId, keyId } = await namedKey(input);
      const key = await client.updateKey(accountId, keyId, {
        ...(options.name !== undefined && { name: options.name }),
        ...(options.scopes !== undefined && { scopes: splitList(options.scopes) }),
        ...(options['expires-at'] !== undefined && { expiresAt: expiryOption(options['expires-at']) }),
      });
      if (options.json) return printJson(key);
      printKey(key);
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
    path: ['keys', 'set-limits'],
    summary: 'Set or remove a key’s rate limit, quota and minting rate (none removes one); calls see it at once',
    required: ['account', 'key'],
    optional: ['env', ...LIMIT_OPTIONS, ...ADMIN_OPTIONS],
    async run(input) {
      const changes = readLimitOptions(input.options);
      if (Object.keys(changes).length === 0) throw usageError('give at least one of --rate-limit, --quota, --token-rate-limit');
      const { client, accountId, keyId } = await namedKey(input);
      const key = await client.updateKey(accountId, keyId, changes);
      if (input.options.json) return printJson(key);
      printKey(key);
    },
  },
  {
    path: ['keys', 'regenerate'],
    summary: 'Give a key a new application ID and secret (printed this once); the old pair stops minting now, or after --overlap',
    required: ['account', 'key'],
    optional: ['env', 'overlap', ...ADMIN_OPTIONS],
    notes: [
      'With --overlap <seconds> the old pair keeps minting that long (a roll: move your clients, then',
      '`keys retire-previous`). A pair an earlier roll kept stops now either way.',
    ],
    async run(input) {
      const overlap = input.options.overlap;
      if (overlap !== undefined && !/^\d{1,6}$/.test(overlap)) throw usageError('--overlap takes a whole number of seconds, 0–604800');
      const { client, accountId, keyId } = await namedKey(input);
      const regenerated = await client.regenerateKey(accountId, keyId, overlap === undefined ? undefined : Number(overlap));
      if (input.options.json) return printJson(regenerated);
      printKey(regenerated);
    },
  },
  {
    path: ['keys', 'retire-previous'],
    summary: 'End a roll’s overlap now: the previous pair stops minting',
    ...KEY_OPTIONS,
    async run(input) {
      const { client, accountId, keyId } = await namedKey(input);
      const key = await client.retirePreviousPair(accountId, keyId);
      if (input.options.json) return printJson(key);
      printKey(key);
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
    path: ['keys', 'usage'],
    summary: 'A key’s usage by UTC hour or day: tokens minted, proxied calls by status class, refusals',
    required: ['account', 'key'],
    optional: ['env', 'granularity', 'from', 'to', ...ADMIN_OPTIONS],
    notes: ['On the local database this needs the gateway’s REDIS_URL: usage counted in a gateway’s memory is out of reach.'],
    async run(input) {
      const { options } = input;
      const granularity = options.granularity;
      if (granularity !== undefined && granularity !== 'hour' && granularity !== 'day') {
        throw usageError('--granularity must be hour or day');
      }
      const { local } = await input.admin();
      if (local && !local.config.redis) {
        throw usageError('keys usage needs the gateway’s usage counts: set REDIS_URL as the gateway has it, or use --url');
      }
      const { client, accountId, keyId } = await namedKey(input);
      const usage = await client.keyUsage(accountId, keyId, { granularity, from: options.from, to: options.to });
      if (options.json) return printJson(usage);
      const row = (start: string, point: (typeof usage)['totals']) => [
        start,
        String(point.tokens),
        ...(['2xx', '3xx', '4xx', '5xx'] as const).map((status) => String(point.calls[status])),
        ...(['invalid_credentials', 'rate_limited', 'quota_exceeded'] as const).map((reason) => String(point.refusals[reason])),
      ];
      printTable(
        ['START (UTC)', 'TOKENS', '2XX', '3XX', '4XX', '5XX', 'BAD CREDENTIALS', 'RATE LIMITED', 'QUOTA EXCEEDED'],
        [...usage.points.map((point) => row(point.start, point)), row('total', usage.totals)],
      );
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
