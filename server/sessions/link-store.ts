import crypto from 'node:crypto';
import { nanoid } from 'nanoid';
import type { Db } from '../store/database.ts';

/** Where a verification link opens: `<issuer>/v/<code>`. */
export const LINK_PATH = '/v/';

/** 22 characters of nanoid's 64-letter alphabet: 132 random bits, short enough for an SMS. */
const CODE_LENGTH = 22;
const CODE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Verification links: a random code of their own, not the session id, so that the session id (in
 * the token's `txn`, in the host's logs and webhooks) does not open the page. Only the code's
 * SHA-256 is stored (132 random bits need no key): a copy of the database opens no link.
 */
export interface SessionLinks {
  /** A new link for `sessionId`; its URL, which only the caller ever sees. */
  create(sessionId: string): Promise<string>;
  /** The session a link's code opens, or null for any other string. */
  sessionFor(code: string): Promise<string | null>;
}

const hash = (code: string) => crypto.createHash('sha256').update(code).digest();

export class SqliteSessionLinks implements SessionLinks {
  readonly #issuer: string;
  readonly #insert;
  readonly #find;

  constructor(db: Db, issuer: string) {
    this.#issuer = issuer;
    this.#insert = db.prepare<[Buffer, string]>('INSERT INTO session_links (link_hash, session_id) VALUES (?, ?)');
    this.#find = db.prepare<[Buffer], string>('SELECT session_id FROM session_links WHERE link_hash = ?').pluck();
  }

  async create(sessionId: string): Promise<string> {
    const code = nanoid(CODE_LENGTH);
    this.#insert.run(hash(code), sessionId);
    return `${this.#issuer}${LINK_PATH}${code}`;
  }

  async sessionFor(code: string): Promise<string | null> {
    if (!CODE_PATTERN.test(code)) return null;
    return this.#find.get(hash(code)) ?? null;
  }
}
