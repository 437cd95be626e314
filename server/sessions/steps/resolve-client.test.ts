import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Caller } from '../caller.ts';
import { resolveClient } from './resolve-client.ts';
import { HOTEL, PAGE_ORIGIN, RAILWAY, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const resolve = async (input: { client_id?: string; origin?: string }, caller: Caller = kit.caller()) => {
  const c = kit.ctx(input, { caller });
  await resolveClient(c);
  return c.get('client');
};

describe('resolveClient', () => {
  test('a backend is its API key’s client; naming that same client is fine', async () => {
    const caller = await kit.backend(RAILWAY);
    assert.equal((await resolve({}, caller)).id, RAILWAY);
    assert.equal((await resolve({ client_id: RAILWAY }, caller)).id, RAILWAY);
  });

  test('a backend naming another client is invalid_request on client_id', async () => {
    const error = await refused(async () => resolve({ client_id: HOTEL }, await kit.backend(RAILWAY)), 'invalid_request');
    assert.deepEqual(error.details.fields, ['client_id']);
  });

  test('the frame is the client it names, with an origin', async () => {
    assert.equal((await resolve({ client_id: HOTEL, origin: PAGE_ORIGIN })).id, HOTEL);
  });

  test('the frame without client_id or origin, or naming no known client, is unauthorized', async () => {
    await refused(() => resolve({ client_id: HOTEL }), 'unauthorized', 'no origin');
    await refused(() => resolve({ origin: PAGE_ORIGIN }), 'unauthorized', 'no client_id');
    await refused(() => resolve({ client_id: 'no-such-client', origin: PAGE_ORIGIN }), 'unauthorized', 'unknown client');
  });
});
