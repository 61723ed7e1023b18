// keymint's command line: one command per run; exit 0 done, 1 refused, 2 usage error, 3 target out of reach.
import { COMMANDS } from './commands/index.js';
import { CliError } from './errors.js';
import { terminalText } from './output.js';
import { parseCommandLine } from './parse.js';
import { openAdminTarget, type AdminTarget } from './target.js';
import { shortUsage } from './usage.js';

// A bug, not an outcome a script should branch on (EX_SOFTWARE).
const INTERNAL_ERROR = 70;

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let target: AdminTarget | undefined;
  let usage: string | undefined;
  try {
    const invocation = parseCommandLine(argv, COMMANDS);
    if (invocation.kind === 'help') {
      process.stdout.write(invocation.text);
      return 0;
    }
    const { command, options, environment } = invocation;
    usage = shortUsage(command);
    await command.run({
      options,
      environment,
      env,
      admin: async () =>
        (target ??= await openAdminTarget(
          { url: options.url, adminToken: options['admin-token'], database: options.database },
          env,
        )),
    });
    return 0;
  } catch (error) {
    if (!(error instanceof CliError)) {
      process.stderr.write(`keymint: internal error: ${(error as Error).stack ?? String(error)}\n`);
      return INTERNAL_ERROR;
    }
    // A refusal's detail and issues come from the gateway: escaped like every other text it sends.
    const details = error.failure === 'usage' && error.details.length === 0 && usage ? ['', usage] : error.details.map(terminalText);
    process.stderr.write([`keymint: ${terminalText(error.message)}`, ...details, ''].join('\n'));
    return error.exitCode;
  } finally {
    await target?.close();
  }
}

process.exitCode = await runCli(process.argv.slice(2), process.env);
