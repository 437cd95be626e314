import crypto from 'node:crypto';
import { nanoid } from 'nanoid';
import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';

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

/** What is stored of a link: its code's SHA-256. */
export const linkHash = (code: string): Buffer => crypto.createHash('sha256').update(code).digest();

/** A new link code (the secret part of the URL). */
export const newLinkCode = (): string => nanoid(CODE_LENGTH);

/** Whether `code` can be a link's code at all (anything else opens nothing, without a lookup). */
export const isLinkCode = (code: string): boolean => CODE_PATTERN.test(code);

export const linkUrl = (issuer: string, code: string): string => `${issuer}${LINK_PATH}${code}`;

export class SqliteSessionLinks implements SessionLinks {
  readonly #issuer: string;
  readonly #insert;
  readonly #find;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;

  constructor(db: Db, issuer: string) {
    this.#issuer = issuer;
    this.#writer = sqliteWriter(db);
    this.#insert = db.prepare<[Buffer, string]>('INSERT INTO session_links (link_hash, session_id) VALUES (?, ?)');
    this.#find = db.prepare<[Buffer], string>('SELECT session_id FROM session_links WHERE link_hash = ?').pluck();
  }

  async create(sessionId: string): Promise<string> {
    const code = newLinkCode();
    const hash = linkHash(code);
    await this.#writer.write(() => this.#insert.run(hash, sessionId));
    return linkUrl(this.#issuer, code);
  }

  async sessionFor(code: string): Promise<string | null> {
    if (!isLinkCode(code)) return null;
    return this.#find.get(linkHash(code)) ?? null;
  }
}
