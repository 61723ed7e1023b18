// Route rules of the reverse proxy: which scopes a method + path prefix requires, longest prefix first.

export interface RouteRule {
  /** An upper-case method, or `*` for every method. */
  method: string;
  /** A normalized path prefix starting with `/`, matched segment by segment. */
  path: string;
  /** Every one of these scopes is required; none means "any valid credential". */
  scopes: string[];
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 3986 §6.2.2 normalization of a path: escapes of unreserved characters are decoded, the others
 * upper-cased, so that `/%6Frders` and `/orders` meet the same route rule and reach the upstream alike.
 * Dot segments are already resolved by the URL parser (it also reads `%2e` as a dot).
 */
export function normalizePath(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

/** A rule's prefix as it is matched: normalized, without a trailing slash (except the root). */
export function normalizeRoutePrefix(path: string): string {
  const normalized = normalizePath(path).replace(/\/+$/, '');
  return normalized === '' ? '/' : normalized;
}

// Many upstreams ignore case in paths (Express by default, IIS): a rule must not be dodged by `/ORDERS`.
function coversPath(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  const [rule, asked] = [prefix.toLowerCase(), path.toLowerCase()];
  return asked === rule || asked.startsWith(`${rule}/`);
}

/**
 * Paths that upstreams read in ways a prefix match cannot follow: empty segments (`//admin`, merged into
 * `/admin` by nginx's default `merge_slashes on`, by Envoy's `merge_slashes`, by many frameworks' routers),
 * matrix parameters (`/orders;x/1`, stripped by Tomcat and Spring), encoded slashes and backslashes
 * (`/orders%2F1`, decoded by some servers), backslashes, encoded control characters (NUL, TAB, CR, LF…) and
 * spaces at either end of a segment (`/admin%20`, trimmed by Spring's and other path matchers), and escapes that
 * are not UTF-8 (overlong `%C0%AE`). The proxy refuses them rather than guess
 * which route they reach, so the path a rule is matched on is always the path the upstream gets. A trailing
 * slash (`/orders/`) is no empty segment: upstreams tell it apart, and prefix rules cover it.
 */
export function isAmbiguousPath(path: string): boolean {
  return /\/\/|[;\\]|%2f|%5c|%[01][0-9a-f]|%7f|(?:^|\/)%20|%20(?:\/|$)/i.test(path) || (path.includes('%') && !isUtf8Path(path));
}

/**
 * Escapes that are not UTF-8 (an overlong `%C0%AE` is a dot to some old decoders, `..` in pairs) reach no
 * route a rule can name; a lone `%` is no escape at all.
 */
function isUtf8Path(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** What the proxy answers (400) for a path isAmbiguousPath refuses. */
export const AMBIGUOUS_PATH_DETAIL =
  'the path holds an empty segment ("//"), ";", "\\", an encoded "/", "\\" or control character, a segment starting or ending with a space, or escapes that are not UTF-8, which upstreams read differently';

function coversMethod(ruleMethod: string, method: string): boolean {
  // A HEAD is a GET without its body: what protects the one protects the other.
  return ruleMethod === '*' || ruleMethod === method || (method === 'HEAD' && ruleMethod === 'GET');
}

/**
 * The rule for a request: the longest prefix covering the path among the rules covering the method;
 * on equal prefixes a named method beats `*`. Undefined when no rule covers the request.
 */
export function findRouteRule(rules: readonly RouteRule[], method: string, path: string): RouteRule | undefined {
  let best: RouteRule | undefined;
  for (const rule of rules) {
    if (!coversMethod(rule.method, method) || !coversPath(rule.path, path)) continue;
    if (
      !best ||
      rule.path.length > best.path.length ||
      (rule.path.length === best.path.length && best.method === '*' && rule.method !== '*')
    ) {
      best = rule;
    }
  }
  return best;
}

/** The rule's scopes that `granted` lacks. */
export function missingScopes(rule: RouteRule, granted: readonly string[]): string[] {
  return rule.scopes.filter((scope) => !granted.includes(scope));
}
