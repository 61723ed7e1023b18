// The CLI's failures, each with its exit code: the API refused, the command line is wrong, the target is out of reach.
export const EXIT_CODES = { refused: 1, usage: 2, unreachable: 3 } as const;

export type CliFailure = keyof typeof EXIT_CODES;

export class CliError extends Error {
  override name = 'CliError';

  constructor(
    readonly failure: CliFailure,
    message: string,
    /** Further lines for stderr, such as the issues of a 400 problem. */
    readonly details: string[] = [],
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT_CODES[this.failure];
  }
}

export const usageError = (message: string) => new CliError('usage', message);

/** `message` with the password of the database URL `url` masked wherever it appears (a driver may quote it). */
export function withoutPassword(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Not a URL (a SQLite path): nothing to mask.
  }
  return password ? message.replaceAll(password, '***') : message;
}

interface ErrorBody {
  title?: unknown;
  detail?: unknown;
  issues?: Array<{ path?: unknown; message?: unknown }>;
  error?: unknown;
  error_description?: unknown;
}

/** Reads a refusal in either wire format keymint speaks: an RFC 9457 problem or an RFC 6749 §5.2 error. */
export async function refusalOf(response: Response): Promise<CliError> {
  let body: ErrorBody = {};
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status line is all there is to tell.
  }
  if (typeof body.detail === 'string') {
    const issues = Array.isArray(body.issues) ? body.issues : [];
    const title = typeof body.title === 'string' ? `${body.title}: ` : '';
    return new CliError(
      'refused',
      `${title}${body.detail}`,
      issues.map((issue) => `  ${String(issue.path)}: ${String(issue.message)}`),
    );
  }
  if (typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    return new CliError('refused', `${body.error}${description}`);
  }
  return new CliError('refused', `HTTP ${response.status} ${response.statusText}`.trim());
}
