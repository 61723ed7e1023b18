// Every option the CLI knows, with its help text; commands say which of them they take.
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How usage shows the value: `<id>`. */
  value?: string;
  help: string;
}

export const OPTIONS = {
  account: { type: 'string', value: '<id>', help: 'the account (acct_…)' },
  env: { type: 'string', value: '<sandbox|production>', help: 'the environment' },
  name: { type: 'string', value: '<name>', help: 'a name for people to recognise it by' },
  key: { type: 'string', value: '<id>', help: 'the key (key_…)' },
  scopes: { type: 'string', value: '<a,b>', help: 'scopes the key may ask for, comma-separated (default: none)' },
  'expires-at': { type: 'string', value: '<date-time>', help: 'when the key stops minting, ISO 8601 (default: never)' },
  'jwks-file': {
    type: 'string',
    value: '<path>',
    help: 'a JSON file with a public JWK or a JWK Set (1–5 keys): the key authenticates with private_key_jwt and has no secret',
  },
  'client-id': { type: 'string', value: '<id>', help: 'the application ID (app_…)' },
  'client-secret': { type: 'string', value: '<secret>', help: 'the application secret (or KEYMINT_CLIENT_SECRET)' },
  scope: { type: 'string', value: '<a,b>', help: 'scopes to ask for (default: all of the key’s)' },
  url: { type: 'string', value: '<url>', help: 'a running gateway’s base URL (or KEYMINT_URL)' },
  'admin-token': { type: 'string', value: '<token>', help: 'admin token for --url (or KEYMINT_ADMIN_TOKEN)' },
  database: { type: 'string', value: '<path>', help: 'the SQLite file (default: KEYMINT_DATABASE, ./data/keymint.db)' },
  json: { type: 'boolean', help: 'print JSON, for scripts' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Where admin commands act, and how they print: every admin command takes these. */
export const ADMIN_OPTIONS = ['json', 'url', 'admin-token', 'database'] as const satisfies readonly OptionName[];

/** `a,b` or `a b` → `['a', 'b']`: lists of scopes are written either way. */
export const splitList = (list: string) => list.split(/[\s,]+/).filter(Boolean);
