// The shape every CLI command shares, and what it is handed to run.
import type { Environment } from '../shared/domain.js';
import type { OptionName } from './options.js';
import type { AdminTarget } from './target.js';

export interface CommandInput {
  /** The options given on the command line, validated against the command's list. */
  options: Partial<Record<OptionName, string>> & { json?: boolean };
  /** --env, checked to be an environment. */
  environment: Environment | undefined;
  env: NodeJS.ProcessEnv;
  /** Opens the target (local database or --url) on first use; the CLI closes it after the command. */
  admin(): Promise<AdminTarget>;
}

export interface Command {
  /** `['keys', 'create']`, or one word for a top-level command. */
  path: readonly [string] | readonly [string, string];
  summary: string;
  required: readonly OptionName[];
  optional: readonly OptionName[];
  /** Lines after the option list in the command's help. */
  notes?: readonly string[];
  run(input: CommandInput): Promise<void>;
}
