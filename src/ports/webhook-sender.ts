// WebhookSender: how one webhook delivery attempt reaches its receiver (node:http on Node, fetch elsewhere), with the
// destination check applied to the very address the connection is made to.

export interface WebhookPost {
  url: string;
  /** The Standard Webhooks headers of this attempt; the sender adds Content-Type and its User-Agent. */
  headers: Record<string, string>;
  body: string;
  /**
   * Whether the attempt may connect to an address: asked for every address the URL's host resolves to (all of them
   * must pass) and for the address the socket connected to, before a byte of the request is written.
   */
  admitAddress(address: string): boolean;
  /** From the first byte sent to the receiver's status line; the attempt fails after it. */
  timeoutMs: number;
}

export type WebhookPostResult =
  /** The receiver answered with this status (its body is not read; redirects are not followed). */
  | { outcome: 'answered'; status: number }
  /** The host resolved to, or the socket reached, an address `admitAddress` refused; nothing was sent. */
  | { outcome: 'refused'; address: string }
  | { outcome: 'timeout' }
  /** No answer: the host does not resolve, the connection was refused or reset, TLS failed (`error` says which). */
  | { outcome: 'unreachable'; error: string };

export interface WebhookSender {
  post(request: WebhookPost): Promise<WebhookPostResult>;
  /**
   * The addresses a host name resolves to now, for the check when a webhook is created; null where this runtime
   * cannot resolve names itself (a Worker). Throws when the name does not resolve.
   */
  resolve(host: string): Promise<string[] | null>;
}
