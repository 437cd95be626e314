-- Signing keys and hashing secrets shared by every service process (issue 13): every process signs
-- with the same active key, publishes the same JWKS and hashes mobiles with the same secret.
-- Private keys and secrets are stored only sealed (AES-256-GCM) under the key-encryption key given
-- to each process (KYCVS_KEK / KYCVS_KEK_FILE), which is never stored here: server/store/kek.ts.
-- Both are small reference tables (a copy on every Citus worker), read at start and, for the keys,
-- polled by every process in the background; written on first start and by `keys rotate`.

-- One row per signing key. `generation` is 1 for the first key and +1 per rotation: N processes
-- making the first key at once, or two racing rotations, conflict on it and exactly one insert wins
-- (no advisory lock, so it also holds on CockroachDB/YugabyteDB).
CREATE TABLE signing_keys (
  generation integer PRIMARY KEY CHECK (generation >= 1),
  kid text NOT NULL UNIQUE,
  -- The public JWK as published (kty, crv, x, kid, alg, use).
  public_jwk jsonb NOT NULL,
  -- The PKCS#8 private key, sealed under the KEK with "signing-key:<kid>" as associated data.
  private_key_sealed bytea NOT NULL,
  created_at bigint NOT NULL,
  -- When the key starts signing: published PUBLISH_AHEAD_SECONDS before, so every JWKS has it first.
  signs_from bigint NOT NULL,
  -- When a newer key took over signing; null for the newest key. Published until its tokens expire.
  retired_at bigint
);

-- The keys for the keyed hashes (mobileKey, otpKey, subjectKey, apiKeyKey), one row each, each
-- sealed under the KEK with "hashing-secret:<name>" as associated data. Generated once cluster-wide.
CREATE TABLE hashing_secrets (
  name text PRIMARY KEY,
  sealed bytea NOT NULL,
  created_at bigint NOT NULL
);
