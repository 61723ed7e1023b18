// The one schema every admin-API name (account, key, admin token) is validated with.
import * as z from 'zod';
import { UNSAFE_NAME_MESSAGE, unsafeNameCharacter } from '../../core/names.js';

/** 1–100 characters after trimming, none of them a control or bidirectional formatting character. */
export const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .superRefine((name, context) => {
    const found = unsafeNameCharacter(name);
    if (found) context.addIssue({ code: 'custom', message: `${UNSAFE_NAME_MESSAGE} (found ${found})` });
  });
