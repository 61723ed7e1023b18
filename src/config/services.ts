// The proxy's service table (SPEC §7) from configuration: KEYMINT_SERVICES_{ENV}, KEYMINT_ROUTES_FILE, or the
// older KEYMINT_UPSTREAM_{ENV} + KEYMINT_ROUTES_{ENV} as one service at `/`. Pure: config.ts reads the file.
//
// How KEYMINT_ROUTES_FILE evolves: each environment's entry is told apart by its shape, so files written for
// older releases keep their meaning —
//   {"sandbox": [rules…]}                  (first format) route rules for KEYMINT_UPSTREAM_SANDBOX
//   {"sandbox": {"services": [services…]}} (this format) the environment's services
// Objects are strict (an unknown key is refused, so typos surface); later settings of an environment become
// new keys beside `services`, never a new meaning for an old one.
import * as z from 'zod';
import { defaultAudience, isResourceUri } from '../core/audiences.js';
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import type { GatewayService } from '../core/gateway-services.js';
import { isAmbiguousPath, normalizeRoutePrefix, type RouteRule } from '../core/proxy-routes.js';
import { isScopeToken } from '../core/scopes.js';

export const SERVICE_VARIABLES: Record<Environment, string> = {
  sandbox: 'KEYMINT_SERVICES_SANDBOX',
  production: 'KEYMINT_SERVICES_PRODUCTION',
};

const MAX_SERVICES = 100;
const MAX_TIMEOUT_MS = 3_600_000;

/** Route rules (SPEC §3): KEYMINT_ROUTES_{ENV}, the routes file's first format, and each service's `rules`. */
export const routeRulesSchema = z
  .array(
    z.strictObject({
      method: z
        .string()
        .regex(/^(\*|[A-Za-z]{1,32})$/, { error: 'must be an HTTP method or *' })
        .transform((method) => method.toUpperCase())
        .default('*'),
      path: z
        .string()
        .regex(/^\/[^?#\s]*$/, { error: 'must start with / and hold no query, fragment or space' })
        // The proxy refuses such request paths (core/proxy-routes.ts isAmbiguousPath): the rule could never apply.
        .regex(/^(?!.*\/\/+[^/])/, { error: 'must not hold an empty segment (//)' })
        .transform(normalizeRoutePrefix),
      scopes: z.array(z.string().refine(isScopeToken, { error: 'is not a valid scope name' })).default([]),
    }),
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON array of {method, path, scopes} rules' : undefined) },
  )
  .max(1000);

const servicePath = z
  .string()
  .regex(/^\/[\x21-\x7e]*$/, { error: 'must start with / and hold printable ASCII only (percent-encode the rest)' })
  .refine((path) => !/[?#]/.test(path), { error: 'must hold no query or fragment' })
  .refine((path) => !isAmbiguousPath(path), { error: 'must hold no empty segment ("//"), ";", "\\", encoded "/", "\\" or control character, space at either end of a segment, or escape that is not UTF-8' })
  .transform(normalizeRoutePrefix)
  // After normalizing, so that `%2E%2E` is seen as the `..` the URL parser makes of it.
  .refine((path) => path === '/' || !path.split('/').slice(1).some((segment) => ['', '.', '..'].includes(segment)), {
    error: 'must hold no empty, "." or ".." segments',
  });

const upstreamUrl = z.string().transform((text, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
  } else if (/[?#]/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'must hold no query or fragment (the request brings its own query)' });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must hold no user name or password' });
  } else {
    return text.replace(/\/+$/, '');
  }
  return z.NEVER;
});

const serviceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" }),
  path: servicePath,
  upstream: upstreamUrl,
  audience: z.string().refine(isResourceUri, { error: 'must be an absolute URI without a fragment (RFC 8707)' }).optional(),
  timeoutMs: z
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(1, { error: `must be from 1 to ${MAX_TIMEOUT_MS}` })
    .max(MAX_TIMEOUT_MS, { error: `must be from 1 to ${MAX_TIMEOUT_MS}` })
    .optional(),
  rules: routeRulesSchema.default([]),
  stripPrefix: z.boolean({ error: 'must be true or false' }).default(false),
});

type ParsedService = z.output<typeof serviceSchema>;

// Two services may not share a name, a prefix (letter case aside, as matching ignores it) or an audience.
const serviceListSchema = z
  .array(serviceSchema, { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON array of services' : undefined) })
  .max(MAX_SERVICES, { error: `must list at most ${MAX_SERVICES} services` })
  .superRefine((services, ctx) => {
    const fields = [
      ['name', (service: ParsedService) => service.name.toLowerCase()],
      ['path', (service: ParsedService) => service.path.toLowerCase()],
      ['audience', (service: ParsedService) => service.audience],
    ] as const;
    for (const [field, identity] of fields) {
      const seen = new Map<string, string>();
      services.forEach((service, index) => {
        const value = identity(service);
        if (value === undefined) return;
        const owner = seen.get(value);
        if (owner === undefined) seen.set(value, service.name);
        else ctx.addIssue({ code: 'custom', path: [index, field], message: `is already the ${field} of service "${owner}"` });
      });
    }
  });

const environmentServicesSchema = z.strictObject({ services: serviceListSchema });

export type IssuePath = readonly (string | number)[];

/** One problem with the configuration; `path` starts with the variable's name. */
export interface ServiceConfigIssue {
  path: IssuePath;
  message: string;
}

/**
 * `KEYMINT_SERVICES_SANDBOX: [1].upstream: must be an http(s) URL`: the variable, where inside its JSON, what is
 * wrong — the form loadConfig gives every variable (`KEYMINT_ROUTES_SANDBOX: [0].path: …`), so one reads like another.
 */
export function formatConfigIssue(issue: ServiceConfigIssue): string {
  const [variable, ...within] = issue.path;
  const where = within.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').replace(/^\./, '');
  return `${String(variable)}: ${where ? `${where}: ` : ''}${issue.message}`;
}

function zodIssues(error: z.ZodError, at: IssuePath): ServiceConfigIssue[] {
  return error.issues.map((issue) => ({ path: [...at, ...(issue.path as (string | number)[])], message: issue.message }));
}

function parseJson(text: string, at: IssuePath, issues: ServiceConfigIssue[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    issues.push({ path: at, message: 'is not valid JSON' });
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What KEYMINT_ROUTES_FILE says about one environment, in either format. */
type FileEntry = { rules: RouteRule[] } | { services: ParsedService[] };

function parseRoutesFile(text: string, issues: ServiceConfigIssue[]): Partial<Record<Environment, FileEntry>> {
  const at = ['KEYMINT_ROUTES_FILE'];
  const content = parseJson(text, at, issues);
  if (content === undefined) return {};
  if (!isPlainObject(content)) {
    issues.push({ path: at, message: 'must hold a JSON object {"sandbox": …, "production": …}' });
    return {};
  }
  const entries: Partial<Record<Environment, FileEntry>> = {};
  for (const [name, value] of Object.entries(content)) {
    const environment = ENVIRONMENTS.find((candidate) => candidate === name);
    if (!environment) {
      issues.push({ path: at, message: `Unrecognized key: "${name}"` });
      continue;
    }
    if (Array.isArray(value)) {
      const rules = routeRulesSchema.safeParse(value);
      if (rules.success) entries[environment] = { rules: rules.data };
      else issues.push(...zodIssues(rules.error, [...at, environment]));
    } else if (isPlainObject(value)) {
      const services = environmentServicesSchema.safeParse(value);
      if (services.success) entries[environment] = { services: services.data.services };
      else issues.push(...zodIssues(services.error, [...at, environment]));
    } else {
      issues.push({ path: [...at, environment], message: 'must be an array of route rules or an object {"services": [...]}' });
    }
  }
  return entries;
}

export interface ServiceSources {
  /** KEYMINT_SERVICES_SANDBOX / KEYMINT_SERVICES_PRODUCTION as set (JSON text). */
  services: Partial<Record<Environment, string>>;
  /** The text of the file KEYMINT_ROUTES_FILE names, when it is set. */
  routesFile?: string;
  /** KEYMINT_UPSTREAM_{ENV}, validated by config.ts. */
  upstreams: Partial<Record<Environment, string>>;
  /** KEYMINT_ROUTES_{ENV}, validated by config.ts; absent when unset. */
  routes: Partial<Record<Environment, RouteRule[]>>;
  /** KEYMINT_UPSTREAM_TIMEOUT_MS: every service's timeout unless it sets its own. */
  upstreamTimeoutMs: number;
  publicUrl: string;
}

export type ServiceTables = Record<Environment, GatewayService[]>;

export type ServiceTablesResult = { ok: true; value: ServiceTables } | { ok: false; issues: ServiceConfigIssue[] };

/** An environment's services as listed, and where, for the messages that refuse mixing sources. */
interface Listed {
  services: ParsedService[];
  at: IssuePath;
  source: string;
}

/** The services listed for the environment in KEYMINT_SERVICES_{ENV} and in the file, in that order. */
function listedServices(
  environment: Environment,
  text: string | undefined,
  entry: FileEntry | undefined,
  issues: ServiceConfigIssue[],
): Listed[] {
  const variable = SERVICE_VARIABLES[environment];
  const listed: Listed[] = [];
  if (text !== undefined) {
    const content = parseJson(text, [variable], issues);
    const parsed = content === undefined ? undefined : serviceListSchema.safeParse(content);
    if (parsed?.success) listed.push({ services: parsed.data, at: [variable], source: variable });
    else if (parsed) issues.push(...zodIssues(parsed.error, [variable]));
  }
  if (entry && 'services' in entry) {
    if (text !== undefined) {
      issues.push({ path: [variable], message: `set the ${environment} services here or in KEYMINT_ROUTES_FILE, not both` });
    }
    const at = ['KEYMINT_ROUTES_FILE', environment, 'services'];
    listed.push({ services: entry.services, at, source: 'KEYMINT_ROUTES_FILE' });
  }
  return listed;
}

function toService(parsed: ParsedService, timeoutMs: number): GatewayService {
  return {
    name: parsed.name,
    path: parsed.path,
    upstream: parsed.upstream,
    audience: parsed.audience,
    timeoutMs: parsed.timeoutMs ?? timeoutMs,
    rules: parsed.rules,
    stripPrefix: parsed.stripPrefix,
  };
}

/** The older variables' service: KEYMINT_UPSTREAM_{ENV} at `/` with KEYMINT_ROUTES_{ENV} or the file's rules. */
function legacyService(upstream: string, rules: RouteRule[] | undefined, timeoutMs: number): GatewayService {
  return { name: 'default', path: '/', upstream, audience: undefined, timeoutMs, rules: rules ?? [], stripPrefix: false };
}

/** What a listed environment may not also have: the older variables, a service claiming the default audience. */
function checkListed(
  environment: Environment,
  listed: Listed,
  entry: FileEntry | undefined,
  sources: ServiceSources,
  issues: ServiceConfigIssue[],
): void {
  const ENV = environment.toUpperCase();
  if (sources.upstreams[environment] !== undefined) {
    issues.push({
      path: [`KEYMINT_UPSTREAM_${ENV}`],
      message: `cannot be combined with ${listed.source}: list this upstream there as a service with "path": "/"`,
    });
  }
  if (sources.routes[environment] !== undefined) {
    issues.push({
      path: [`KEYMINT_ROUTES_${ENV}`],
      message: `cannot be combined with ${listed.source}: give each service its own "rules"`,
    });
  } else if (entry && 'rules' in entry) {
    issues.push({
      path: ['KEYMINT_ROUTES_FILE', environment],
      message: `holds route rules while ${listed.source} lists services: give each service its own "rules"`,
    });
  }
  const reserved = defaultAudience(sources.publicUrl, environment);
  listed.services.forEach((service, index) => {
    if (service.audience === reserved) {
      const path = [...listed.at, index, 'audience'];
      issues.push({ path, message: 'is the default audience, which every service accepts already' });
    }
  });
}

/**
 * Every environment's services, or every problem at once. An environment's services come from one place:
 * KEYMINT_SERVICES_{ENV}, or KEYMINT_ROUTES_FILE's `{"services": […]}`, or — the first way of configuring
 * the proxy — KEYMINT_UPSTREAM_{ENV} with its rules as one service named `default` at `/`. Mixing them is an
 * error rather than a precedence rule, so no setting is silently ignored.
 */
export function parseServiceTables(sources: ServiceSources): ServiceTablesResult {
  const issues: ServiceConfigIssue[] = [];
  const file = sources.routesFile === undefined ? {} : parseRoutesFile(sources.routesFile, issues);
  const tables: ServiceTables = { sandbox: [], production: [] };
  for (const environment of ENVIRONMENTS) {
    const entry = file[environment];
    const [listed] = listedServices(environment, sources.services[environment], entry, issues);
    if (listed) {
      checkListed(environment, listed, entry, sources, issues);
      tables[environment] = listed.services.map((service) => toService(service, sources.upstreamTimeoutMs));
      continue;
    }
    const upstream = sources.upstreams[environment];
    if (upstream !== undefined) {
      const rules = sources.routes[environment] ?? (entry && 'rules' in entry ? entry.rules : undefined);
      tables[environment] = [legacyService(upstream, rules, sources.upstreamTimeoutMs)];
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: tables };
}
