// 499 Client Closed Request (nginx's code): the caller hung up before its answer, which nobody will read.

export const CLIENT_CLOSED_REQUEST = 499;

/** Thrown where a handler learns that its caller has gone (the proxy's upload broke off with the client). */
export class ClientClosedRequest extends Error {
  override name = 'ClientClosedRequest';
}

/**
 * Whether a failed request failed because its caller went away: a body that stopped mid-way with the
 * connection, rather than anything keymint did. Such a request is a client abort (499, logged at info),
 * never an unhandled error or a 500 in the metrics.
 */
export function isClientAbort(error: unknown, request: Request): boolean {
  // `?.`: a runtime whose requests carry no signal (older workerd) has no such news to give.
  return error instanceof ClientClosedRequest || request.signal?.aborted === true;
}

/** The answer recorded for an abandoned request: its status goes to the access log and the metrics. */
export function clientClosedResponse(): Response {
  return new Response(null, { status: CLIENT_CLOSED_REQUEST });
}
