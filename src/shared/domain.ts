// The words every layer shares: the two isolated environments, the tags that mark their credentials, the signing algorithms.
export const ENVIRONMENTS = ['sandbox', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const ENVIRONMENT_TAGS: Record<Environment, string> = { sandbox: 'sbx', production: 'prd' };

export function isEnvironment(value: unknown): value is Environment {
  return value === 'sandbox' || value === 'production';
}

export function environmentOfTag(tag: string): Environment | undefined {
  if (tag === 'sbx') return 'sandbox';
  if (tag === 'prd') return 'production';
  return undefined;
}

/** How session tokens are signed (KEYMINT_SIGNING_ALG). */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
