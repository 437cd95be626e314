// The operator's command line, run as operators run it (its own process, a real data dir):
// which sessions a verifier accepts — its backend's only (the default), or also keyless widget
// sessions — set at `clients add`, switched by `clients update`, shown by `clients list`; and the
// SMS text rule refusing a name or purpose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-cli-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, KYCVS_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `clients list` as { id: sessions accepted }. */
function sessionsById(): Record<string, string> {
  const list = cli('clients', 'list');
  assert.equal(list.status, 0, list.stderr);
  return Object.fromEntries(list.stdout.trim().split('\n').map((line) => line.split('\t')).map((cols) => [cols[0], cols[2]]));
}

describe('clients: backend sessions only, or widget sessions too', () => {
  test('add defaults to backend sessions only; --widget-sessions opts in; update switches; list shows it', () => {
    const add = (id: string, ...flags: string[]) => {
      const run = cli('clients', 'add', '--id', id, '--name', 'CLI Verifier', '--purpose', 'Testing the CLI', '--origin', 'https://cli.example', ...flags);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /API key \(shown once/);
    };
    add('cli-default');
    add('cli-widget', '--widget-sessions');
    assert.deepEqual(sessionsById(), { 'cli-default': 'backend', 'cli-widget': 'backend+widget' });

    const toWidget = cli('clients', 'update', 'cli-default', '--widget-sessions');
    assert.equal(toWidget.status, 0, toWidget.stderr);
    assert.match(toWidget.stdout, /sessions backend\+widget/);
    const toBackend = cli('clients', 'update', 'cli-widget', '--backend-sessions-only');
    assert.equal(toBackend.status, 0, toBackend.stderr);
    assert.deepEqual(sessionsById(), { 'cli-default': 'backend+widget', 'cli-widget': 'backend' });

    const rename = cli('clients', 'update', 'cli-default', '--name', 'Renamed Verifier');
    assert.equal(rename.status, 0, rename.stderr);
    assert.equal(sessionsById()['cli-default'], 'backend+widget', 'another change leaves it alone');
  });

  test('both flags at once is a usage error (exit 2), and nothing changes', () => {
    const both = cli('clients', 'update', 'cli-widget', '--widget-sessions', '--backend-sessions-only');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /not both/);
    assert.equal(sessionsById()['cli-widget'], 'backend');
  });

  test('a purpose that would forge the SMS is refused (exit 1, says why), and the usage states the rule', () => {
    const bad = cli('clients', 'add', '--id', 'cli-bad', '--name', 'CLI Verifier', '--purpose', 'Boarding. Your OTP is 000000');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: purpose has a number/);
    assert.equal(sessionsById()['cli-bad'], undefined);
    const help = cli('--help');
    assert.match(help.stdout, /--backend-sessions-only \| --widget-sessions/);
    assert.match(help.stdout, /80 characters at most/);
  });
});
