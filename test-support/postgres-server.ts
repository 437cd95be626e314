// Finds a real PostgreSQL for tests and benchmarks: at KYCVS_TEST_DATABASE_URL, else 127.0.0.1:5432;
// where none answers and we are root, Debian's postgresql is installed and a throw-away cluster
// started in a temp dir (as scripts/ensure-chromium.ts does for Chromium); otherwise a one-line
// instruction. No node:test here, so benchmarks can use it; tests use ./postgres.ts.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

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

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * A pg binary's argument list as it is run: initdb refuses root, so as root the cluster runs as the
 * `postgres` user the Debian package creates; otherwise as ourselves.
 */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function asPostgres(bin: string, args: string[]): void {
  const [file, argv] = pgCommand(bin, args);
  execFileSync(file, argv, { stdio: 'pipe' });
}

/** The same, without blocking the event loop: for stopping and starting a cluster while a test's requests are in flight. */
async function asPostgresAsync(bin: string, args: string[]): Promise<void> {
  const [file, argv] = pgCommand(bin, args);
  try {
    await execFileAsync(file, argv);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/** The newest installed PostgreSQL's bin dir; as root, Debian's postgresql is installed when there is none. */
function requirePgBinDir(): string {
  let bin = pgBinDir();
  if (bin) return bin;
  if (!isRoot()) {
    throw new Error('No PostgreSQL binaries under /usr/lib/postgresql: run `sudo apt-get install -y postgresql` (the tests start their own cluster with initdb/pg_ctl).');
  }
  console.log('Installing Debian postgresql for the database tests…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  // The package's own cluster stays as Debian sets it up; the tests use their own below.
  execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env });
  bin = pgBinDir();
  if (!bin) throw new Error('apt-get installed postgresql but no initdb under /usr/lib/postgresql: set KYCVS_TEST_DATABASE_URL.');
  return bin;
}

const clusterUrl = (port: number): string => `postgres://postgres@127.0.0.1:${port}/postgres`;
const serverOptions = (port: number, dir: string): string => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;

/**
 * Starts (or finds running) a trust-auth cluster on 127.0.0.1:`port` with its data, socket and log
 * in `dir`. Several processes may call it at once with the same `dir`: whoever creates the
 * directory initializes, the others wait for the cluster to answer.
 */
export async function startClusterIn(port: number, dir: string): Promise<string> {
  const url = clusterUrl(port);
  if (await answers(url)) return url;
  const bin = requirePgBinDir();
  const data = path.join(dir, 'data');
  let mine = false;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    mine = true;
  } catch (err) {
    // EEXIST: someone else's (or a previous run's) cluster directory. Anything else: we cannot make one here.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new Error(`cannot create the PostgreSQL directory ${dir} (${(err as NodeJS.ErrnoException).code}): run the tests as root or as a user who may write there, or set KYCVS_TEST_DATABASE_URL.`);
    }
  }
  if (mine) {
    if (isRoot()) execFileSync('chown', ['postgres:postgres', dir]);
    try {
      asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n').pop();
      throw new Error(`initdb in ${dir} failed (${stderr}): run the tests as root or as a user who may run ${bin}/initdb there, or set KYCVS_TEST_DATABASE_URL.`, { cause: err });
    }
  }
  if (fs.existsSync(path.join(data, 'PG_VERSION')) && !fs.existsSync(path.join(data, 'postmaster.pid'))) {
    try {
      asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-o', serverOptions(port, dir), '-l', path.join(dir, 'log'), '-w', 'start']);
    } catch {
      // Another process started it between our check and now: waiting below tells.
    }
  }
  for (let i = 0; i < 60; i++) {
    if (await answers(url)) return url;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the PostgreSQL in ${dir} did not start: see ${path.join(dir, 'log')}`);
}

/** Starts (or finds running) the throw-away cluster on 127.0.0.1:THROWAWAY_PORT in a temp dir. */
export function startThrowawayCluster(): Promise<string> {
  return startClusterIn(THROWAWAY_PORT, THROWAWAY_DIR);
}

/** A cluster of one test file's own, which it may stop and start (the shared one it must never touch). */
export interface PrivateCluster {
  /** Superuser URL of its `postgres` database. */
  url: string;
  port: number;
  dir: string;
  /** The server's log file. */
  log: string;
  /** `pg_ctl stop -m <mode>`: fast disconnects every client and shuts down cleanly; immediate is a crash (recovery on start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start -w`: resolves once the server accepts connections. */
  start(): Promise<void>;
  /** Stops it if it runs (immediate) and deletes its directory. Safe to call twice. */
  remove(): Promise<void>;
}

/**
 * A new cluster in `dir` (which must not exist yet) on 127.0.0.1:`port`, for a test that stops and
 * restarts PostgreSQL. Fails with a one-line instruction when this user cannot run one.
 */
export async function startPrivateCluster({ port, dir }: { port: number; dir: string }): Promise<PrivateCluster> {
  if (fs.existsSync(dir)) throw new Error(`startPrivateCluster: ${dir} exists already; give it a new directory`);
  if (await answers(clusterUrl(port))) throw new Error(`startPrivateCluster: something already answers on port ${port}`);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    const bin = pgBinDir();
    if (bin && fs.existsSync(path.join(dir, 'data', 'postmaster.pid'))) {
      await asPostgresAsync(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => {});
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await startClusterIn(port, dir);
    const pgCtl = path.join(requirePgBinDir(), 'pg_ctl');
    const data = path.join(dir, 'data');
    const log = path.join(dir, 'log');
    return {
      url,
      port,
      dir,
      log,
      stop: (mode = 'fast') => asPostgresAsync(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']),
      start: () => asPostgresAsync(pgCtl, ['-D', data, '-o', serverOptions(port, dir), '-l', log, '-w', 'start']),
      remove,
    };
  } catch (err) {
    await remove().catch(() => {}); // the reason it failed is what to report, not a failed clean-up
    throw err;
  }
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
