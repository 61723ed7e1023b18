#!/usr/bin/env node
// The keymint CLI, straight from the TypeScript sources: tsx compiles src/cli on the fly, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
