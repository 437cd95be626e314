// Child process: the baseline. A bare Express app answering JSON POSTs of the flows' size, on the
// same Node and the same HTTP server settings as the KYC-VS server, with nothing else in the way.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: 8 * 1024 }));
app.post('/v1/echo', (req, res) => {
  const body = req.body as { nonce?: unknown };
  res.status(201).json({ ok: true, nonce: body.nonce ?? null, at: new Date().toISOString() });
});

const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, app);
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send!({ type: 'ready', url: `http://127.0.0.1:${port}` });
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') stop();
});
process.on('SIGTERM', stop);
