// A whole KYC-VS host: `CLIENT_ID=… API_KEY=… node server.mjs`, then open http://localhost:3000.
import crypto from 'node:crypto';
import express from 'express';
import { verifyStatusToken } from '@kycvs/verifier';

const { KYCVS_URL = 'http://localhost:8080', KYCVS_ISSUER = KYCVS_URL, CLIENT_ID, API_KEY, PORT = 3000 } = process.env;
const nonces = new Map(); // session id → nonce (a real site keeps it in the visitor's session)
const app = express().use(express.json());

app.get('/', (_req, res) => res.send(`<!doctype html><script src="${KYCVS_URL}/embed.js"></script><script type="module" src="/page.js"></script>
<button id="verify">Verify vaccination status</button> <output id="result"></output>`));
app.get('/page.js', (_req, res) => res.sendFile('page.js', { root: import.meta.dirname }));
app.post('/session', async (_req, res) => {
  const nonce = crypto.randomBytes(16).toString('base64url');
  const { session_id } = await (await fetch(`${KYCVS_URL}/v1/sessions`, { method: 'POST', body: JSON.stringify({ nonce }),
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } })).json();
  nonces.set(session_id, nonce);
  res.json({ clientId: CLIENT_ID, sessionId: session_id });
});
app.post('/verify', async ({ body: { sessionId, token } }, res) => {
  const nonce = nonces.get(sessionId);
  if (!nonce) return res.status(400).json({ error: 'unknown_session' });
  const verified = await verifyStatusToken(token, { issuer: KYCVS_ISSUER, audience: CLIENT_ID, nonce, sessionId }).catch((err) => err);
  if (verified instanceof Error) return res.status(400).json({ error: verified.code }); // e.g. txn_mismatch, token_expired
  nonces.delete(sessionId);
  res.json({ status: verified.status }); // 0, 1 or 2: trust this, not what the page said
});
app.listen(PORT, () => console.log(`host on http://localhost:${PORT}`));
