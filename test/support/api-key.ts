// An API access key as the admin API answers its creation: the record and, once, its secret.
import type { Environment } from '../../src/shared/domain.js';

export interface ApiKeyWithSecret {
  id: string;
  accountId: string;
  environment: Environment;
  name: string;
  applicationId: string;
  applicationSecret: string;
  secretHint: string;
  scopes: string[];
  status: string;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}
