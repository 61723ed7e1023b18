// The CLI's table of contents: every command, in the order `keymint --help` lists them. Commands load heavy
// modules (the app, SQLite, zod) inside run(), so help and remote commands start fast.
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
