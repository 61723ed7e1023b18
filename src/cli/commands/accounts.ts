// keymint accounts …, admin-tokens …: the operator creates and lists tenants, lists and revokes their admin tokens.
import type { Command } from '../command.js';
import { ADMIN_OPTIONS } from '../options.js';
import { printFields, printJson, printLine, printTable } from '../output.js';

export const accountCommands: Command[] = [
  {
    path: ['accounts', 'create'],
    summary: 'Create an account (the operator only)',
    required: ['name'],
    optional: ADMIN_OPTIONS,
    async run({ options, admin }) {
      const account = await (await admin()).client.createAccount(options.name!);
      if (options.json) return printJson(account);
      printFields([
        ['id', account.id],
        ['name', account.name],
        ['createdAt', account.createdAt ?? ''],
      ]);
    },
  },
  {
    path: ['accounts', 'list'],
    summary: 'List every account (the operator only)',
    required: [],
    optional: ADMIN_OPTIONS,
    async run({ options, admin }) {
      const accounts = await (await admin()).client.listAccounts();
      if (options.json) return printJson({ items: accounts });
      if (accounts.length === 0) return printLine('no accounts');
      printTable(['ID', 'NAME', 'CREATED'], accounts.map((account) => [account.id, account.name, account.createdAt]));
    },
  },
  {
    path: ['admin-tokens', 'list'],
    summary: 'List an account’s admin tokens: name, role, created, last used (never the token; the operator only)',
    required: ['account'],
    optional: ADMIN_OPTIONS,
    async run({ options, admin }) {
      const tokens = await (await admin()).client.listAdminTokens(options.account!);
      if (options.json) return printJson({ items: tokens });
      if (tokens.length === 0) return printLine('no admin tokens');
      printTable(
        ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED'],
        tokens.map((token) => [token.id, token.name, token.role, token.createdAt, token.lastUsedAt ?? 'never']),
      );
    },
  },
  {
    path: ['admin-tokens', 'delete'],
    summary: 'Revoke an admin token: refused from its next request on, console sessions included (the operator only)',
    required: ['account', 'token-id'],
    optional: ADMIN_OPTIONS,
    async run({ options, admin }) {
      await (await admin()).client.deleteAdminToken(options.account!, options['token-id']!);
      if (options.json) return printJson({ id: options['token-id'], deleted: true });
      printLine(`deleted ${options['token-id']}`);
    },
  },
];
