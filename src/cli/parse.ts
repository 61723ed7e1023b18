// Turns argv into a command and its options (node:util parseArgs), or into the help to show.
import { parseArgs } from 'node:util';
import { isEnvironment, type Environment } from '../shared/domain.js';
import type { Command, CommandInput } from './command.js';
import { CliError } from './errors.js';
import { OPTIONS } from './options.js';
import { commandHelp, commandName, generalHelp, groupHelp, shortUsage } from './usage.js';

export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'run'; command: Command; options: CommandInput['options']; environment: Environment | undefined };

/** A usage error: the message, then the usage of whatever the command line got as far as naming. */
const misuse = (message: string, help: string) => new CliError('usage', message, ['', help.trimEnd()]);

export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): Invocation {
  let parsed: ReturnType<typeof parseAll>;
  try {
    parsed = parseAll(argv);
  } catch (error) {
    // parseArgs says what is wrong (an unknown option, a missing value); the usage of the named command follows.
    const named = findCommand(argv.filter((arg) => !arg.startsWith('-')), commands);
    // Its first sentence: the rest explains `--` at length.
    const reason = (error as Error).message.split(/\.\s/)[0]!;
    throw misuse(reason, named ? shortUsage(named) : generalHelp(commands));
  }
  const { values, positionals } = parsed;
  const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
  const help = values.help === true || positionals[0] === 'help';

  const command = findCommand(words, commands);
  if (!command) {
    const group = commands.some((candidate) => candidate.path.length === 2 && candidate.path[0] === words[0]);
    if (words.length === 0) {
      if (help) return { kind: 'help', text: generalHelp(commands) };
      throw misuse('name a command', generalHelp(commands));
    }
    if (group && words.length === 1) {
      if (help) return { kind: 'help', text: groupHelp(words[0]!, commands) };
      throw misuse(`${words[0]} needs a command`, groupHelp(words[0]!, commands));
    }
    const known = group ? groupHelp(words[0]!, commands) : generalHelp(commands);
    throw misuse(`unknown command: ${words.join(' ')}`, known);
  }
  if (help) return { kind: 'help', text: commandHelp(command) };
  if (words.length > command.path.length) {
    throw misuse(`unexpected argument: ${words[command.path.length]}`, shortUsage(command));
  }

  const accepted = new Set<string>([...command.required, ...command.optional, 'help']);
  for (const name of Object.keys(values)) {
    if (!accepted.has(name)) throw misuse(`--${name} is not an option of ${commandName(command)}`, shortUsage(command));
  }
  const missing = command.required.filter((name) => values[name] === undefined);
  if (missing.length) {
    throw misuse(`${commandName(command)} needs ${missing.map((name) => `--${name}`).join(', ')}`, shortUsage(command));
  }
  const env = values.env;
  if (env !== undefined && !isEnvironment(env)) {
    throw misuse(`--env must be sandbox or production, not ${env}`, shortUsage(command));
  }
  return { kind: 'run', command, options: values as CommandInput['options'], environment: env };
}

function parseAll(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

function findCommand(words: readonly string[], commands: readonly Command[]): Command | undefined {
  return (
    commands.find((command) => command.path.length === 2 && command.path[0] === words[0] && command.path[1] === words[1]) ??
    commands.find((command) => command.path.length === 1 && command.path[0] === words[0])
  );
}
