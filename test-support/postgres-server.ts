// Finds a real PostgreSQL for tests and benchmarks: at KYCVS_TEST_DATABASE_URL, else 127.0.0.1:5432;
// where none answers and we are root, Debian's postgresql is installed and a throw-away cluster
// started in a temp dir (as scripts/ensure-chromium.ts does for Chromium); otherwise a one-line
// instruction. No node:test here, so benchmarks can use it; tests use ./postgres.ts.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The throw-away cluster's port and directory: shared by the test files of one run, kept for the next. */
const THROWAWAY_PORT = 54329;
const THROWAWAY_DIR = path.join(os.tmpdir(), 'kycvs-test-postgres');

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function pgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** initdb refuses root: the cluster runs as the `postgres` user the Debian package creates. */
function asPostgres(bin: string, args: string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
}

/** Starts (or finds running) a trust-auth cluster on 127.0.0.1:THROWAWAY_PORT in a temp dir. */
export async function startThrowawayCluster(): Promise<string> {
  const url = `postgres://postgres@127.0.0.1:${THROWAWAY_PORT}/postgres`;
  if (await answers(url)) return url;
  let bin = pgBinDir();
  if (!bin) {
    console.log('Installing Debian postgresql for the database tests…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    // The package's own cluster stays as Debian sets it up; the tests use their own below.
    execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env });
    bin = pgBinDir();
    if (!bin) throw new Error('apt-get installed postgresql but no initdb under /usr/lib/postgresql: set KYCVS_TEST_DATABASE_URL.');
  }
  const data = path.join(THROWAWAY_DIR, 'data');
  // Two test files may get here at once: whoever creates the directory initializes, the other waits.
  let mine = false;
  try {
    fs.mkdirSync(THROWAWAY_DIR, { mode: 0o700 });
    mine = true;
  } catch {
    // Someone else's (or a previous run's) cluster directory.
  }
  if (mine) {
    execFileSync('chown', ['postgres:postgres', THROWAWAY_DIR]);
    asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  }
  if (fs.existsSync(path.join(data, 'PG_VERSION')) && !fs.existsSync(path.join(data, 'postmaster.pid'))) {
    const options = `-p ${THROWAWAY_PORT} -k ${THROWAWAY_DIR} -c listen_addresses=127.0.0.1 -c fsync=off`;
    try {
      asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', path.join(THROWAWAY_DIR, 'log'), '-w', 'start']);
    } catch {
      // Another process started it between our check and now: waiting below tells.
    }
  }
  for (let i = 0; i < 60; i++) {
    if (await answers(url)) return url;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the throw-away PostgreSQL in ${THROWAWAY_DIR} did not start: see ${path.join(THROWAWAY_DIR, 'log')}`);
}

let adminUrl: Promise<string> | undefined;

/** A superuser URL to a PostgreSQL that answers, or a one-line reason why there is none. */
export function postgresAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    const configured = process.env.KYCVS_TEST_DATABASE_URL;
    if (configured) {
      if (await answers(configured)) return configured;
      throw new Error(`KYCVS_TEST_DATABASE_URL does not answer: start that PostgreSQL or unset the variable.`);
    }
    if (await answers(DEFAULT_URL)) return DEFAULT_URL;
    if (process.getuid?.() !== 0) {
      throw new Error('PostgreSQL not found at 127.0.0.1:5432: run `sudo apt-get install -y postgresql` or set KYCVS_TEST_DATABASE_URL.');
    }
    return startThrowawayCluster();
  })();
  return adminUrl;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty, uniquely named database; returns its URL and how to drop it. */
export async function createScratchDatabase(prefix = 'kycvs_test'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = await postgresAdminUrl();
  const name = `${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  // FORCE: a connection a failed test left open must not keep the database alive.
  return { url: withDatabase(admin, name), name, drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
