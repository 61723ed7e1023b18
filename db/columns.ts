// What the SQLite and PostgreSQL schemas share: the allowed values of every enumerated column.
// (drizzle's column builders are per dialect, so each schema spells its columns out; test/db-schemas.test.ts
// holds the two to the same tables, columns, nullability and indexes.)
export const ENVIRONMENT_VALUES = ['sandbox', 'production'] as const;
export const ADMIN_ROLE_VALUES = ['manager', 'viewer'] as const;
export const KEY_STATUS_VALUES = ['active', 'disabled'] as const;
export const SIGNING_KEY_STATUS_VALUES = ['pending', 'active', 'retired'] as const;
export const AUTH_METHOD_VALUES = ['client_secret', 'private_key_jwt'] as const;
export const WEBHOOK_DELIVERY_STATUS_VALUES = ['pending', 'delivered', 'failed'] as const;
