// SHA-256 digests over WebCrypto, base64url-encoded as JOSE writes them (`ath`, thumbprints, record ids).
import { toBase64Url, utf8 } from '../shared/encoding.js';

export async function sha256Base64Url(text: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))));
}
