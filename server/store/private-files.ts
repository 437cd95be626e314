import fs from 'node:fs';

// The data dir holds health data (the registry), hashing secrets and signing keys: only the
// service's own user may read it. Modes are set explicitly, not through the process umask (which
// SQLite partly ignores, and which would change every other file the process makes).

const GROUP_OR_OTHER = 0o077;
const STICKY = 0o1000;
const enforced = process.platform !== 'win32';

/**
 * Makes `dir` (and any missing parent) mode 0700, and takes group and other access away from an
 * existing one that this process's user owns — a data dir made 0755 by an older version. A shared
 * directory (sticky, like /tmp) or one owned by someone else is left as it is.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!enforced) return;
  const stat = fs.statSync(dir);
  if ((stat.mode & GROUP_OR_OTHER) === 0 || (stat.mode & STICKY) !== 0) return;
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return;
  fs.chmodSync(dir, stat.mode & 0o700);
}

/**
 * Creates `file` empty with mode 0600 if it does not exist, else takes group and other access
 * away from it. Never opens an existing file: closing a descriptor would drop the POSIX locks
 * SQLite holds on it in this process.
 */
export function ensurePrivateFile(file: string): void {
  try {
    fs.writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
    if (enforced) fs.chmodSync(file, 0o600); // the umask may have taken more away than asked: exactly 0600
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  tightenFile(file);
}

/** Takes group and other access away from `file` if it exists (a WAL or shm left by an older version). */
export function tightenFile(file: string): void {
  if (!enforced) return;
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((mode & GROUP_OR_OTHER) !== 0) fs.chmodSync(file, mode & 0o700);
}
