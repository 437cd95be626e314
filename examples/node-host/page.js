// The page's only script (an external module: the page's CSP needs no 'unsafe-inline').
const post = (path, body) =>
  fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
const result = document.querySelector('#result');

document.querySelector('#verify').addEventListener('click', async () => {
  const { clientId, sessionId } = await post('/session', {});
  try {
    const { token } = await KycVs.verify({ clientId, sessionId });
    const { status, error } = await post('/verify', { sessionId, token });
    result.textContent = error ? `refused: ${error}` : `verified status ${status}`;
  } catch (err) {
    result.textContent = `not verified: ${err.code}`; // cancelled, denied, expired, failed or blocked_origin
  }
});
