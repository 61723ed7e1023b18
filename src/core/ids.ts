// Prefixed, time-ordered identifiers (`key_…`, `acct_…`, `op_…`): sorting by id is sorting by creation.
import { randomBase62, toBase62 } from '../shared/encoding.js';

export type IdPrefix = 'acct' | 'key' | 'op' | 'adm' | 'sig' | 'wh';

let lastTime = 0;
let sequence = 0;

/** `prefix_` + 8 base62 chars of milliseconds + 3 of in-process sequence + 11 random. */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  if (now === lastTime) sequence++;
  else {
    lastTime = now;
    sequence = 0;
  }
  return `${prefix}_${toBase62(now, 8)}${toBase62(sequence % 238328, 3)}${randomBase62(11)}`;
}

const ID_SHAPE = /^(acct|key|op|adm|sig|wh)_[0-9A-Za-z]{22}$/;

export function isId(prefix: IdPrefix, value: string): boolean {
  return ID_SHAPE.test(value) && value.startsWith(`${prefix}_`);
}
