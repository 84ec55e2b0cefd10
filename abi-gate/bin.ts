#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 caches compiled code across runs; most of a one-file scan is module loading.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { run } = await import('./cli.js');
await run();
