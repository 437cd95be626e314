import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { newSession } from './new-session.ts';
import { SESSION_ID_PATTERN } from './find-session.ts';
import { HOTEL, PAGE_ORIGIN, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

test('newSession: a frame session for its page, with the verifier’s own purpose, until the session lifetime', async () => {
  const client = await kit.client(HOTEL);
  const c = kit.ctx({ origin: `${PAGE_ORIGIN}/` }, { client });
  newSession(c);
  const made = c.get('newSession');
  assert.match(made.id, SESSION_ID_PATTERN);
  assert.deepEqual(
    { ...made, id: '' },
    { id: '', clientId: HOTEL, mode: 'widget', origin: PAGE_ORIGIN, purpose: client.purpose, nonce: null, createdAt: c.now, expiresAt: c.now + kit.deps.sessionTtlSeconds * 1000 },
  );
});

test('newSession: a backend session with its purpose and nonce, and no page', async () => {
  const c = kit.ctx({ purpose: 'Boarding train Rajdhani', nonce: 'n-42' }, { caller: await kit.backend(), client: await kit.client() });
  newSession(c);
  const made = c.get('newSession');
  assert.equal(made.mode, 'server');
  assert.equal(made.origin, null);
  assert.equal(made.purpose, 'Boarding train Rajdhani');
  assert.equal(made.nonce, 'n-42');
});

test('newSession: every session gets its own id', async () => {
  const client = await kit.client();
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const c = kit.ctx({}, { client });
    newSession(c);
    ids.add(c.get('newSession').id);
  }
  assert.equal(ids.size, 50);
});
