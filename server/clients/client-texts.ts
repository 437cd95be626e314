// A verifier's name and purpose in the citizen's language. The clients row holds them in English
// (the fallback, as registered); a client_texts row holds them in one other language, either or
// both (a brand often keeps its Latin name while its purpose is translated). Both are printed in
// the SMS in the verifier's name, so every language's text passes the same SMS-safe rule.
import type { LangCode } from '../../protocol/languages.ts';
import type { Db } from '../store/database.ts';
import { type Client, ClientError } from './clients.ts';
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

interface TextRow {
  lang: TextLang;
  name: string | null;
  purpose: string | null;
}

export class ClientTexts {
  readonly #db: Db;
  readonly #one;
  readonly #all;

  constructor(db: Db) {
    this.#db = db;
    this.#one = db.prepare<[string, string], TextRow>('SELECT lang, name, purpose FROM client_texts WHERE client_id = ? AND lang = ?');
    this.#all = db.prepare<[string], TextRow>('SELECT lang, name, purpose FROM client_texts WHERE client_id = ? ORDER BY lang');
  }

  list(clientId: string): ClientText[] {
    return this.#all.all(clientId);
  }

  /**
   * Sets the name and/or purpose in `lang`; a field left undefined keeps its value, null returns
   * it to English. Refused (client_invalid) if not SMS-safe, or if the client does not exist.
   */
  set(clientId: string, lang: TextLang, changes: { name?: string | null; purpose?: string | null }): ClientText {
    for (const field of ['name', 'purpose'] as const) {
      const value = changes[field];
      const problem = typeof value === 'string' ? smsTextProblem(value) : null;
      if (problem) throw new ClientError('client_invalid', `${field} (${lang}) ${problem} (it is printed in the SMS: ${SMS_TEXT_RULE})`);
    }
    return this.#db
      .transaction(() => {
        if (!this.#db.prepare('SELECT 1 FROM clients WHERE id = ?').get(clientId)) {
          throw new ClientError('client_not_found', `no client "${clientId}"`);
        }
        const current = this.#one.get(clientId, lang);
        const name = changes.name === undefined ? (current?.name ?? null) : changes.name;
        const purpose = changes.purpose === undefined ? (current?.purpose ?? null) : changes.purpose;
        if (name === null && purpose === null) {
          this.#db.prepare('DELETE FROM client_texts WHERE client_id = ? AND lang = ?').run(clientId, lang);
        } else {
          this.#db
            .prepare('INSERT INTO client_texts (client_id, lang, name, purpose) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name, purpose = excluded.purpose')
            .run(clientId, lang, name, purpose);
        }
        return { lang, name, purpose };
      })
      .immediate();
  }

  /**
   * The client as shown in `lang`: its registered text in that language where there is one, else
   * English. `sessionPurpose` is the session's: when the backend worded its own, that is shown as is.
   */
  localize(client: Pick<Client, 'id' | 'name' | 'purpose'>, sessionPurpose: string, lang: LangCode = 'en'): LocalizedClient {
    const text = lang === 'en' ? undefined : this.#one.get(client.id, lang);
    const registeredPurpose = sessionPurpose === client.purpose;
    return {
      name: text?.name ?? client.name,
      nameLang: text?.name ? lang : 'en',
      purpose: registeredPurpose ? (text?.purpose ?? client.purpose) : sessionPurpose,
      purposeLang: registeredPurpose ? (text?.purpose ? lang : 'en') : null,
    };
  }
}
