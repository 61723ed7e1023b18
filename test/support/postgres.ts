// Test-side helpers for the run's PostgreSQL (test/support/postgres-server.ts): a fresh, empty database per test file.
import postgres from 'postgres';
import { inject } from 'vitest';
import { randomBase62 } from '../../src/shared/encoding.js';

/** The run's PostgreSQL (its `keymint` database), or null when it is not installed (and not required). */
export const postgresUrl = (): string | null => inject('postgresUrl');

/** A new empty database on the run's server (CREATE DATABASE, ~50 ms), so tests never see each other's rows. */
export async function createTestDatabase(): Promise<string> {
  const url = postgresUrl();
  if (!url) throw new Error('this test needs PostgreSQL (see test/support/postgres-server.ts)');
  const name = `test_${randomBase62(12).toLowerCase()}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}
