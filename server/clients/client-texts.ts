// A verifier's name and purpose in the citizen's language. The clients row holds them in English
// (the fallback, as registered); a client_texts row holds them in one other language, either or
// both (a brand often keeps its Latin name while its purpose is translated). Both are printed in
// the SMS in the verifier's name, so every language's text passes the same SMS-safe rule.
import type { LangCode } from '../../protocol/languages.ts';
import type { Db } from '../store/database.ts';
import { ClientError } from './client-error.ts';
import { notFound } from './client-records.ts';
import type { Client } from './clients.ts';
import { SMS_TEXT_RULE, smsTextProblem } from './sms-safe-text.ts';

/** The languages a text may be registered in: English is the client's own row. */
export type TextLang = Exclude<LangCode, 'en'>;

export interface ClientText {
  lang: TextLang;
  /** null: the English name is used in this language. */
  name: string | null;
  purpose: string | null;
}

/** What a citizen reading `lang` is shown, and the language each part really is in. */
export interface LocalizedClient {
  name: string;
  purpose: string;
  nameLang: LangCode;
  /** null for a purpose the verifier's backend set for one session: its language is not known. */
  purposeLang: LangCode | null;
}

/** The texts registered for one client, per language; both stores (SQLite, PostgreSQL) keep this contract. */
export interface ClientTexts {
  /** The client's registered languages, ordered by language code. */
  list(clientId: string): Promise<ClientText[]>;
  /**
   * Sets the name and/or purpose in `lang`; a field left undefined keeps its value, null returns
   * it to English. Refused (client_invalid) if not SMS-safe, or (client_not_found) if the client
   * does not exist.
   */
  set(clientId: string, lang: TextLang, changes: TextChanges): Promise<ClientText>;
  /**
   * The client as shown in `lang`: its registered text in that language where there is one, else
   * English. `sessionPurpose` is the session's: when the backend worded its own, that is shown as is.
   */
  localize(client: Pick<Client, 'id' | 'name' | 'purpose'>, sessionPurpose: string, lang?: LangCode): Promise<LocalizedClient>;
}

export interface TextChanges {
  name?: string | null;
  purpose?: string | null;
}

/** Refuses a text that could forge the SMS: every language is held to the English rule. */
export function validateTextChanges(lang: TextLang, changes: TextChanges): void {
  for (const field of ['name', 'purpose'] as const) {
    const value = changes[field];
    const problem = typeof value === 'string' ? smsTextProblem(value) : null;
    if (problem) throw new ClientError('client_invalid', `${field} (${lang}) ${problem} (it is printed in the SMS: ${SMS_TEXT_RULE})`);
  }
}

/** The text after `changes`: undefined keeps the stored field. Both fields null means "no row". */
export function mergeText(lang: TextLang, current: ClientText | null, changes: TextChanges): ClientText {
  return {
    lang,
    name: changes.name === undefined ? (current?.name ?? null) : changes.name,
    purpose: changes.purpose === undefined ? (current?.purpose ?? null) : changes.purpose,
  };
}

export const isEmptyText = (text: ClientText): boolean => text.name === null && text.purpose === null;

/** What `localize` shows, given the text registered in `lang` (or none). */
export function localizeClient(
  client: Pick<Client, 'name' | 'purpose'>,
  sessionPurpose: string,
  lang: LangCode,
  text: Pick<ClientText, 'name' | 'purpose'> | null | undefined,
): LocalizedClient {
  const registeredPurpose = sessionPurpose === client.purpose;
  return {
    name: text?.name ?? client.name,
    nameLang: text?.name ? lang : 'en',
    purpose: registeredPurpose ? (text?.purpose ?? client.purpose) : sessionPurpose,
    purposeLang: registeredPurpose ? (text?.purpose ? lang : 'en') : null,
  };
}

export class SqliteClientTexts implements ClientTexts {
  readonly #db: Db;
  readonly #one;
  readonly #all;

  constructor(db: Db) {
    this.#db = db;
    this.#one = db.prepare<[string, string], ClientText>('SELECT lang, name, purpose FROM client_texts WHERE client_id = ? AND lang = ?');
    this.#all = db.prepare<[string], ClientText>('SELECT lang, name, purpose FROM client_texts WHERE client_id = ? ORDER BY lang');
  }

  async list(clientId: string): Promise<ClientText[]> {
    return this.#all.all(clientId);
  }

  async set(clientId: string, lang: TextLang, changes: TextChanges): Promise<ClientText> {
    validateTextChanges(lang, changes);
    return this.#db
      .transaction(() => {
        if (!this.#db.prepare('SELECT 1 FROM clients WHERE id = ?').get(clientId)) throw notFound(clientId);
        const text = mergeText(lang, this.#one.get(clientId, lang) ?? null, changes);
        if (isEmptyText(text)) {
          this.#db.prepare('DELETE FROM client_texts WHERE client_id = ? AND lang = ?').run(clientId, lang);
        } else {
          this.#db
            .prepare('INSERT INTO client_texts (client_id, lang, name, purpose) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name, purpose = excluded.purpose')
            .run(clientId, lang, text.name, text.purpose);
        }
        return text;
      })
      .immediate();
  }

  async localize(client: Pick<Client, 'id' | 'name' | 'purpose'>, sessionPurpose: string, lang: LangCode = 'en'): Promise<LocalizedClient> {
    return localizeClient(client, sessionPurpose, lang, lang === 'en' ? null : this.#one.get(client.id, lang));
  }
}
