-- A citizen's decision made durable in one round trip (docs/scaling.md §4): the audit record and,
-- for a client with a webhook, the session's terminal event, written together or not at all. Sent
-- as BEGIN, two inserts and COMMIT it took four round trips; as one call of this function, one.
--
-- Returns true when the event was written, false when the client has no webhook. Raises KV409
-- (rolling back the whole call) when the session already has its decision (UNIQUE on audit_events)
-- or its one terminal event (an expiry or lock written first): the caller then takes PostgreSQL's
-- record as the session's. Every statement names the one session: on Citus the function is
-- distributed by p_session_id next to audit_events and webhook_events, and runs on that shard.
CREATE FUNCTION kycvs_record_decision(
  p_session_id text,
  p_at bigint,
  p_client_id text,
  p_purpose text,
  p_event text,
  p_vaccination_status smallint,
  p_subject text,
  p_token_jti text,
  p_event_id text,
  p_event_type text,
  p_payload text,
  p_give_up_at bigint
) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_events (session_id, at, client_id, purpose, event, vaccination_status, subject, token_jti)
  VALUES (p_session_id, p_at, p_client_id, p_purpose, p_event, p_vaccination_status, p_subject, p_token_jti)
  ON CONFLICT (session_id) DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'session % already has its decision', p_session_id USING ERRCODE = 'KV409';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM clients WHERE id = p_client_id AND webhook_url IS NOT NULL) THEN
    RETURN false;
  END IF;
  -- A concurrent expiry of the same session is waited for here: if it commits, this conflicts.
  INSERT INTO webhook_events (session_id, id, client_id, type, payload, created_at, state, next_attempt_at, give_up_at)
  VALUES (p_session_id, p_event_id, p_client_id, p_event_type, p_payload, p_at, 'pending', p_at, p_give_up_at)
  ON CONFLICT (session_id) DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'session % already has its terminal event', p_session_id USING ERRCODE = 'KV409';
  END IF;
  RETURN true;
END
$$;
