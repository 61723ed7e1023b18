// A key as its limits and usage counters address it: its environment and stable id (`key_…`, kept across regenerations).
import type { Environment } from '../shared/domain.js';

export interface KeyRef {
  environment: Environment;
  keyId: string;
}
