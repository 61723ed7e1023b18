// keymint serve: the gateway itself, the same entry point `npm start` bundles, run from the sources.
import type { Command } from '../command.js';

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Run the gateway (as npm start), configured by the KEYMINT_* variables',
  required: [],
  optional: [],
  notes: [
    'KEYMINT_PORT, KEYMINT_DATABASE, REDIS_URL, KEYMINT_ADMIN_TOKEN and the rest: see the README.',
    'Like npm start, it exits 1 when the configuration is invalid or a signing key cannot be opened.',
  ],
  async run() {
    // The Node entry point starts the server as it loads; sharing it keeps `serve` and `npm start` one thing.
    await import('../../runtime/node.js');
  },
};
