// The durable stores on PostgreSQL (KYCVS_DATABASE_URL): loaded by open-stores.ts only when configured.
import type { Logger } from 'pino';
import { PostgresClientStore } from '../clients/postgres-client-store.ts';
import { PostgresClientTexts } from '../clients/postgres-client-texts.ts';
import type { Config } from '../config.ts';
import { PostgresAuditLog } from '../consent/postgres-audit.ts';
import { postgresRegistry } from '../registry/postgres.ts';
import { PostgresKeyStore } from '../signing/postgres-key-store.ts';
import { PostgresWebhookEventStore } from '../webhooks/postgres-event-store.ts';
import { requireKek } from './kek.ts';
import type { DurableStores } from './open-stores.ts';
import { migrate } from './postgres/migrate.ts';
import { createPool, query } from './postgres/pool.ts';
import { loadPostgresSecrets } from './postgres-secrets.ts';

export async function openPostgresStores(config: Config, url: string, log: Logger): Promise<DurableStores> {
  const kek = requireKek(config.kek);
  const pool = createPool({ url, size: config.postgres.poolSize });
  try {
    // Versioned migrations on start: N processes starting at once apply each version once (advisory lock).
    await migrate(pool);
    const secrets = await loadPostgresSecrets(pool, kek);
    const keys = await PostgresKeyStore.open({
      pool,
      kek: kek,
      tokenTtlSeconds: config.tokenTtlSeconds,
      onRefreshError: (err) => log.warn({ err }, 'signing keys: refresh from PostgreSQL failed'),
    });
    return {
      kind: 'postgres',
      secrets,
      registry: postgresRegistry(pool, secrets.mobileKey),
      clients: new PostgresClientStore(pool, secrets.apiKeyKey),
      clientTexts: new PostgresClientTexts(pool),
      audit: new PostgresAuditLog(pool),
      keys,
      webhookEvents: new PostgresWebhookEventStore(pool),
      db: null,
      pool,
      async ping() {
        await query(pool, 'SELECT 1');
      },
      async close() {
        await keys.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}
