import { defineConfig } from 'drizzle-kit';

// PostgreSQL's schema and migrations (`npm run db:generate` runs this beside drizzle.config.ts, SQLite's).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/pg-migrations',
});
