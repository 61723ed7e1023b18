// vitest global setup of the two-node project (vitest.config.ts): the server bundle, built once for the run, since a
// node starts from it in well under a second where tsx compiles every module at start-up.
import type { TestProject } from 'vitest/node';
import { buildServerBundle } from './server-bundle.js';

export default async function setup(project: TestProject) {
  const bundle = await buildServerBundle();
  project.provide('serverBundleEntry', bundle.entry);
  return () => bundle.remove();
}
