// keymint accounts …: the operator creates tenants.
import type { Command } from '../command.js';
import { ADMIN_OPTIONS } from '../options.js';
import { printFields, printJson } from '../output.js';

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
];
