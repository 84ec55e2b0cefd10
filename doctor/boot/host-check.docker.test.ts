// doctor boot runs the release's check-requirements.sh in the container before the server and
// holds its verdict to what really loads there (bullseye: glibc 2.31).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutateTarball } from '../test-support/hostile-tarballs.js';
import { bootTarball, type BootOptions, type BootResult } from './boot.js';
import { newRunId } from './container.js';
import { dockerGate, ROOT, suiteName } from './test-support/docker-gate.js';
import { buildFixtureTarball, removeFixtureTarballs } from './test-support/fixture-server.js';

const gate = await dockerGate();

describe.skipIf(!gate.run)(suiteName('doctor boot runs the host check first (bullseye, glibc 2.31)', gate), () => {
  if (!gate.run) return;
  const { client, image, node } = gate;
  const tarballs: Record<string, string> = {};
  afterAll(removeFixtureTarballs);
  beforeAll(async () => {
    tarballs.new = await buildFixtureTarball(node, ['glibc-2.34-pthread']);
    tarballs.old = await buildFixtureTarball(node, ['glibc-2.2.5']);
    // The same release as `new` with the server build's stock script (a fixed glibc 2.17 read from
    // ldd --version) in place of the generated one: it lets the 2.31 host through.
    const stock = await readFile(join(ROOT, 'fixtures', 'server', 'sample', 'bin', 'helpers', 'check-requirements.sh'));
    tarballs.stock = (tarballs.new ?? '').replace(/\.tar\.gz$/, '-stock.tar.gz');
    await mutateTarball(tarballs.new ?? '', tarballs.stock, (entries) =>
      entries.map((e) => (e.path.endsWith('/bin/helpers/check-requirements.sh') ? { ...e, content: stock } : e)),
    );
  });
  const boot = (tarball: string, options: BootOptions = {}): Promise<BootResult> =>
    bootTarball(tarball, { client, image, runId: newRunId(), startTimeoutMs: 30_000, ...options });
  const check = (result: BootResult, id: string) => result.checks.find((c) => c.id === id) ?? expect.fail(`no ${id} check`);

  it('a module needing GLIBC 2.34: the script refuses the host naming module and symbols, the loader agrees, the server still boots', async () => {
    const result = await boot(tarballs.new ?? '');
    const line = 'needs GLIBC 2.34, this host has 2.31: node_modules/remote-ai-fixture/build/Release/addon.node (pthread_create, pthread_join)';
    expect(result.hostCheck).toEqual({ state: 'refused', exitCode: 99, unmet: [line] });
    expect(check(result, 'boot').ok).toBe(true);
    expect(check(result, 'native-load').ok).toBe(false);
    const prediction = check(result, 'prediction');
    expect(prediction.ok).toBe(true);
    expect(prediction.details).toContain(`bin/helpers/check-requirements.sh refused this host (exit 99): ${line}, as the loader agrees`);
  });

  it('a release that loads everywhere it is asked to: the script accepts the host', async () => {
    const result = await boot(tarballs.old ?? '');
    expect(result.hostCheck).toEqual({ state: 'ok', exitCode: 0, unmet: [] });
    expect(check(result, 'prediction')).toMatchObject({ ok: true, details: expect.arrayContaining(['bin/helpers/check-requirements.sh accepted this host (exit 0), as the loader agrees']) });
  });

  it('a stock script that lets the host through while a module fails to load fails prediction loudly', async () => {
    const result = await boot(tarballs.stock ?? '');
    expect(result.hostCheck).toMatchObject({ state: 'ok', exitCode: 0 });
    const prediction = check(result, 'prediction');
    expect(prediction.ok).toBe(false);
    expect(prediction.message).toMatch(
      /^THE HOST CHECK IS WRONG: bin\/helpers\/check-requirements\.sh accepted this host, but 1 of \d+ files do not load: node_modules\/remote-ai-fixture\/build\/Release\/addon\.node$/,
    );
  });
});
