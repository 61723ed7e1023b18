// The two isolated environments and the short tags that mark their credentials.
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
