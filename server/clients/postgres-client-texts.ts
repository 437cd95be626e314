// The verifiers' texts per language in PostgreSQL (`client_texts`, a reference table): the same
// contract as SqliteClientTexts.
import type { LangCode } from '../../protocol/languages.ts';
import { type Pool, inTransaction, query } from '../store/postgres/pool.ts';
import {
  type ClientText,
  type ClientTexts,
  type LocalizedClient,
  type TextChanges,
  type TextLang,
  isEmptyText,
  localizeClient,
  mergeText,
  validateTextChanges,
} from './client-texts.ts';
import { notFound } from './client-records.ts';
import type { Client } from './clients.ts';

export class PostgresClientTexts implements ClientTexts {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(clientId: string): Promise<ClientText[]> {
    const { rows } = await query<ClientText>(
      this.#pool,
      'SELECT lang, name, purpose FROM client_texts WHERE client_id = $1 ORDER BY lang COLLATE "C"',
      [clientId],
    );
    return rows;
  }

  async set(clientId: string, lang: TextLang, changes: TextChanges): Promise<ClientText> {
    validateTextChanges(lang, changes);
    return inTransaction(this.#pool, async (tx) => {
      // The client's row lock serializes its text writes, so two partial changes (one the name, one
      // the purpose) both land; NO KEY leaves the foreign key's own share lock free.
      const client = await tx.query('SELECT 1 FROM clients WHERE id = $1 FOR NO KEY UPDATE', [clientId]);
      if (client.rowCount === 0) throw notFound(clientId);
      const current = await tx.query<ClientText>('SELECT lang, name, purpose FROM client_texts WHERE client_id = $1 AND lang = $2', [clientId, lang]);
      const text = mergeText(lang, current.rows[0] ?? null, changes);
      if (isEmptyText(text)) {
        await tx.query('DELETE FROM client_texts WHERE client_id = $1 AND lang = $2', [clientId, lang]);
      } else {
        await tx.query(
          `INSERT INTO client_texts (client_id, lang, name, purpose) VALUES ($1, $2, $3, $4)
           ON CONFLICT (client_id, lang) DO UPDATE SET name = excluded.name, purpose = excluded.purpose`,
          [clientId, lang, text.name, text.purpose],
        );
      }
      return text;
    });
  }

  async localize(client: Pick<Client, 'id' | 'name' | 'purpose'>, sessionPurpose: string, lang: LangCode = 'en'): Promise<LocalizedClient> {
    if (lang === 'en') return localizeClient(client, sessionPurpose, lang, null);
    const { rows } = await query<Pick<ClientText, 'name' | 'purpose'>>(
      this.#pool,
      'SELECT name, purpose FROM client_texts WHERE client_id = $1 AND lang = $2',
      [client.id, lang],
    );
    return localizeClient(client, sessionPurpose, lang, rows[0]);
  }
}
