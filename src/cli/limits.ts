// The CLI's spelling of a key's limits (SPEC §7): `--rate-limit 50/60`, `--quota 100000/month`,
// `--token-rate-limit 10/60`, and `none` to remove one. The admin API checks the bounds.
import type { Quota, RateLimit } from '../ports/key-limiter.js';
import { usageError } from './errors.js';
import type { CommandInput } from './command.js';

export interface LimitChanges {
  rateLimit?: RateLimit | null;
  quota?: Quota | null;
  tokenRateLimit?: RateLimit | null;
}

export const LIMIT_OPTIONS = ['rate-limit', 'quota', 'token-rate-limit'] as const;

function rate(option: string, text: string): RateLimit | null {
  if (text === 'none') return null;
  const match = /^(\d+)\/(\d+)s?$/.exec(text);
  if (!match) throw usageError(`--${option} must be <requests>/<seconds> (as 50/60) or none`);
  return { requests: Number(match[1]), windowSeconds: Number(match[2]) };
}

function quota(text: string): Quota | null {
  if (text === 'none') return null;
  const match = /^(\d+)\/(day|month)$/.exec(text);
  if (!match) throw usageError('--quota must be <requests>/day or <requests>/month (as 100000/month) or none');
  return { requests: Number(match[1]), period: match[2] as Quota['period'] };
}

/** The limits the command line gives, only those it names. */
export function readLimitOptions(options: CommandInput['options']): LimitChanges {
  return {
    ...(options['rate-limit'] !== undefined && { rateLimit: rate('rate-limit', options['rate-limit']) }),
    ...(options.quota !== undefined && { quota: quota(options.quota) }),
    ...(options['token-rate-limit'] !== undefined && { tokenRateLimit: rate('token-rate-limit', options['token-rate-limit']) }),
  };
}
