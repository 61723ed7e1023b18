// How a refused client authentication is worded on each surface (the token endpoints, the proxy's Api-Key): core
// returns reasons only; one switch turns them into words, with the surface's own terms.
import type { ClientAuthFailure } from '../../core/client-auth.js';
import { assertNever, type Fail } from '../../shared/result.js';

export interface RefusalWords {
  /** What the caller presented: "client secret", "API key". */
  credential: string;
  /** For an unknown client, a wrong secret or a wrong method alike, so probing cannot tell which IDs exist. */
  invalid: string;
  otherEnvironment(environment: string): string;
  /** A client assertion that does not verify (the detail core gives, when any). */
  invalidAssertion(detail: string | undefined): string;
}

export function describeClientAuthRefusal(refused: Fail<ClientAuthFailure>, words: RefusalWords): string {
  switch (refused.reason) {
    case 'malformed_secret':
      return `the ${words.credential} is malformed or mistyped (its checksum does not match)`;
    case 'other_environment':
      return words.otherEnvironment(refused.detail ?? 'other');
    case 'unknown_client':
    case 'wrong_secret':
    // A key's method is a property of the key: naming it would confirm that the ID exists.
    case 'wrong_method':
      return words.invalid;
    case 'invalid_assertion':
      return words.invalidAssertion(refused.detail);
    case 'disabled':
      return 'this API access key is disabled';
    case 'expired':
      return 'this API access key has expired';
    default:
      return assertNever(refused.reason);
  }
}
