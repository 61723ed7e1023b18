// Audiences (RFC 8707): which `aud` a token request may ask for with `resource`, and which service accepts which `aud`.
import type { Environment } from '../shared/domain.js';
import type { GatewayService } from './gateway-services.js';
import { fail, ok, type Result } from '../shared/result.js';

/** The `aud` of tokens minted without `resource`: every service of the environment accepts it. */
export function defaultAudience(publicUrl: string, environment: Environment): string {
  return `${publicUrl}/${environment}/api`;
}

// RFC 3986 §4.3 absolute-URI: a scheme, then something; RFC 8707 §2 adds "no fragment".
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s#]+$/;

/** Whether `value` can be an RFC 8707 resource: an absolute URI without a fragment (and without spaces). */
export function isResourceUri(value: string): boolean {
  if (value.length > 2048 || !ABSOLUTE_URI.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

export interface AudienceTable {
  readonly defaultAudience: string;
  /** Every `aud` a token of the environment may carry: the default and each service's own. */
  isKnown(aud: string): boolean;
  /** The service whose `audience` this is. */
  serviceOf(aud: string): GatewayService | undefined;
  /** The services' own audiences (the default left out). */
  readonly named: readonly string[];
}

/** Built with the service table, at start-up and on reload. Throws TypeError for an audience two services claim. */
export function createAudienceTable(defaultAud: string, services: readonly GatewayService[]): AudienceTable {
  const byAudience = new Map<string, GatewayService>();
  for (const service of services) {
    if (service.audience === undefined) continue;
    if (service.audience === defaultAud) throw new TypeError(`service ${service.name} claims the default audience`);
    const taken = byAudience.get(service.audience);
    if (taken) throw new TypeError(`services ${taken.name} and ${service.name} claim the audience ${service.audience}`);
    byAudience.set(service.audience, service);
  }
  return {
    defaultAudience: defaultAud,
    isKnown: (aud) => aud === defaultAud || byAudience.has(aud),
    serviceOf: (aud) => byAudience.get(aud),
    named: [...byAudience.keys()],
  };
}

/**
 * The `aud` for a token request, from its `resource` parameters (every occurrence, in order): the default
 * audience without any; with exactly one, that resource when it is the default or a service's audience.
 * URIs are compared as strings (RFC 3986 §6.2.1), so the resource must be written as the service lists it.
 */
export function resolveTokenAudience(table: AudienceTable, resources: readonly string[]): Result<string, 'invalid_target'> {
  if (resources.length === 0) return ok(table.defaultAudience);
  if (resources.length > 1) return fail('invalid_target', 'ask for one resource per token');
  const [resource] = resources as [string];
  if (!isResourceUri(resource)) return fail('invalid_target', 'the resource must be an absolute URI without a fragment');
  if (!table.isKnown(resource)) return fail('invalid_target', 'no service of this environment is that resource');
  return ok(resource);
}

/**
 * Whether a token with this `aud` may call `service`: default-audience tokens may call every service, a token
 * for a named audience only the service with that audience. An array `aud` (valid JWT, never minted by
 * keymint) passes when one of its members does.
 */
export function acceptsAudience(table: AudienceTable, aud: string | readonly string[], service: GatewayService): boolean {
  const accepts = (one: string) => one === table.defaultAudience || (service.audience !== undefined && one === service.audience);
  return typeof aud === 'string' ? accepts(aud) : aud.some(accepts);
}
