// The one schema every admin-API name (account, key, admin token) is validated with: core's name rule in the API's words.
import { createNameSchema } from '../../core/key-rules.js';

const UNSAFE_NAME_MESSAGE =
  'must not contain control characters (such as NUL, ESC, CR, LF or TAB) or bidirectional formatting characters';

/** 1–100 characters after trimming (zod's words when not), none of them a control or bidirectional formatting character. */
export const nameSchema = createNameSchema({ unsafe: (found) => `${UNSAFE_NAME_MESSAGE} (found ${found})` });
