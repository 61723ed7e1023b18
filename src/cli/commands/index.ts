// The CLI's table of contents: every command, in the order `keymint --help` lists them.
import type { Command } from '../command.js';
import { accountCommands } from './accounts.js';
import { keyCommands } from './keys.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';
import { signingKeyCommands } from './signing-keys.js';
import { tokenCommand } from './token.js';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  migrateCommand,
  ...accountCommands,
  ...keyCommands,
  ...signingKeyCommands,
  tokenCommand,
];
