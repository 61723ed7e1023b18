// Help texts, rendered from the command table so they cannot drift from what the parser accepts.
import type { Command } from './command.js';
import { OPTIONS, type OptionName, type OptionSpec } from './options.js';

const TARGETS = [
  'Admin commands act on the local database (KEYMINT_DATABASE, default ./data/keymint.db, or --database)',
  'through the gateway’s own admin API in process, as the root admin. With --url (or KEYMINT_URL) they',
  'call a running gateway’s admin API instead, with --admin-token (or KEYMINT_ADMIN_TOKEN).',
];
const EXITS = 'Exit codes: 0 done, 1 refused (the reason on stderr), 2 usage error, 3 cannot reach or open the target.';

const pad = (rows: Array<[string, string]>) => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
};

const flag = (name: OptionName) => {
  const spec: OptionSpec = OPTIONS[name];
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
};

export const commandName = (command: Command) => command.path.join(' ');

export function usageLine(command: Command): string {
  const required = command.required.map(flag);
  return ['keymint', commandName(command), ...required, ...(command.optional.length ? ['[options]'] : [])].join(' ');
}

/** What a usage error shows under its message: the command's synopsis and where its options are listed. */
export function shortUsage(command: Command): string {
  return [`Usage: ${usageLine(command)}`, `Run keymint ${commandName(command)} --help for its options.`].join('\n');
}

export function generalHelp(commands: readonly Command[]): string {
  return [
    'keymint: run the gateway, manage accounts, API access keys and signing keys, mint session tokens',
    '',
    'Usage: keymint <command> [options]',
    '',
    'Commands:',
    ...pad(commands.map((command) => [commandName(command), command.summary])),
    '',
    ...TARGETS,
    '',
    'Options: --json prints JSON for scripts; keymint <command> --help lists a command’s options.',
    EXITS,
    '',
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((command) => command.path[0] === group);
  return [
    `Usage: keymint ${group} <command> [options]`,
    '',
    ...members.flatMap((command) => [`  ${usageLine(command)}`, `      ${command.summary}`]),
    '',
    `keymint ${group} <command> --help lists a command’s options.`,
    EXITS,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const options: Array<[string, string]> = [
    ...command.required.map((name): [string, string] => [flag(name), `${OPTIONS[name].help} (required)`]),
    ...[...command.optional, 'help' as const].map((name): [string, string] => [flag(name), OPTIONS[name].help]),
  ];
  const targets = command.optional.includes('url') && command.optional.includes('database');
  return [
    `Usage: ${usageLine(command)}`,
    '',
    `${command.summary}.`,
    '',
    'Options:',
    ...pad(options),
    ...(command.notes?.length ? ['', ...command.notes] : []),
    ...(targets ? ['', ...TARGETS] : []),
    '',
    EXITS,
    '',
  ].join('\n');
}
