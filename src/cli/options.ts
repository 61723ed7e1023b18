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
  'expires-at': { type: 'string', value: '<date-time|never>', help: 'when the key stops minting, ISO 8601, or never (default: never)' },
  'jwks-file': {
    type: 'string',
    value: '<path>',
    help: 'a JSON file with a public JWK or a JWK Set (1–5 keys): the key authenticates with private_key_jwt and has no secret',
  },
  overlap: { type: 'string', value: '<seconds>', help: 'how long the replaced pair keeps minting, 0–604800 (default: 0, it stops now)' },
  'token-id': { type: 'string', value: '<id>', help: 'the admin token (adm_…)' },
  'client-id': { type: 'string', value: '<id>', help: 'the application ID (app_…)' },
  'client-secret': { type: 'string', value: '<secret>', help: 'the application secret (or KEYMINT_CLIENT_SECRET)' },
  scope: { type: 'string', value: '<a,b>', help: 'scopes to ask for (default: all of the key’s)' },
  'rate-limit': { type: 'string', value: '<n/seconds|none>', help: 'proxied calls: a burst of n, refilled over the seconds (as 50/60)' },
  quota: { type: 'string', value: '<n/day|n/month|none>', help: 'proxied calls per UTC day or month (as 100000/month)' },
  'token-rate-limit': { type: 'string', value: '<n/seconds|none>', help: 'tokens minted, as --rate-limit' },
  granularity: { type: 'string', value: '<hour|day>', help: 'one row per UTC hour (default) or day' },
  from: { type: 'string', value: '<date-time>', help: 'start, ISO 8601 (default: a day ago by hour, 30 days ago by day)' },
  to: { type: 'string', value: '<date-time>', help: 'end, ISO 8601 (default: now); at most 90 days after --from' },
  url: { type: 'string', value: '<url>', help: 'a running gateway’s base URL (or KEYMINT_URL)' },
  'admin-token': { type: 'string', value: '<token>', help: 'admin token for --url (or KEYMINT_ADMIN_TOKEN)' },
  database: { type: 'string', value: '<path or url>', help: 'a SQLite file or a postgres:// URL (default: KEYMINT_DATABASE, ./data/keymint.db)' },
  json: { type: 'boolean', help: 'print JSON, for scripts' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Where admin commands act, and how they print: every admin command takes these. */
export const ADMIN_OPTIONS = ['json', 'url', 'admin-token', 'database'] as const satisfies readonly OptionName[];

/** `--expires-at`: an ISO 8601 date-time for the API to check, or `never` (no expiry: null). */
export const expiryOption = (value: string): string | null => (value.trim().toLowerCase() === 'never' ? null : value);

/** `a,b` or `a b` → `['a', 'b']`: lists of scopes are written either way. */
export const splitList = (list: string) => list.split(/[\s,]+/).filter(Boolean);
