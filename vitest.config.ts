import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['abi-gate/**/*.test.ts', 'release/**/*.test.ts', 'packager/**/*.test.ts', 'doctor/**/*.test.ts', 'differential/**/*.test.ts', 'ci/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // Docker and tarball tests are heavy on a 2-core machine: keep file parallelism modest.
    maxWorkers: 2,
    // The skips reporter closes every run with what did not run and why (README "Development").
    reporters: ['default', './ci/skips-reporter.ts'],
  },
});
