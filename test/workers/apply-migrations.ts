// Applies db/migrations to the test D1 database; applyD1Migrations skips what is already applied.
import { applyD1Migrations, env } from 'cloudflare:test';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
