// keymint signing-keys …: the operator lists and rotates an environment's token-signing keys.
import type { SigningKey } from '../admin-client.js';
import type { Command } from '../command.js';
import { ADMIN_OPTIONS } from '../options.js';
import { note, printJson, printTable } from '../output.js';

const signingKeyTable = (keys: SigningKey[]) =>
  printTable(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRED', 'IN JWKS UNTIL'],
    keys.map((key) => [key.kid, key.alg, key.status, key.createdAt, key.retiredAt ?? '-', key.publishedUntil ?? '-']),
  );

export const signingKeyCommands: Command[] = [
  {
    path: ['signing-keys', 'list'],
    summary: 'List an environment’s signing keys: the active one and retired ones still in the JWKS',
    required: ['env'],
    optional: ADMIN_OPTIONS,
    async run({ options, environment, admin }) {
      const keys = await (await admin()).client.listSigningKeys(environment!);
      if (options.json) return printJson({ items: keys });
      signingKeyTable(keys);
    },
  },
  {
    path: ['signing-keys', 'rotate'],
    summary: 'Rotate an environment’s signing key; the old public key stays in the JWKS until its tokens expire',
    required: ['env'],
    optional: ADMIN_OPTIONS,
    async run({ options, environment, admin }) {
      const { client, local } = await admin();
      if (local && !local.config.kek) note('KEYMINT_KEK is not set: the new signing key is stored unencrypted');
      const active = await client.rotateSigningKey(environment!);
      if (options.json) return printJson(active);
      signingKeyTable([active]);
    },
  },
];
