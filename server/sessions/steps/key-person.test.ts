import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, test } from 'node:test';
import type { KeyedPerson } from '../flow-context.ts';
import { keyPerson } from './key-person.ts';
import { PEOPLE, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const key = (input: { mobile?: string; name?: string }): KeyedPerson => {
  const c = kit.ctx(input);
  keyPerson(c);
  return c.get('person');
};

test('keyPerson: one person however the name is written gives one key; the mobile hashed as the registry stores it', () => {
  const a = key(PEOPLE.asha);
  const b = key({ mobile: PEOPLE.asha.mobile, name: 'Smt. VERMA,  asha' });
  assert.equal(a.nameKey, b.nameKey);
  assert.ok(a.nameHash.equals(b.nameHash));
  assert.ok(a.mobileHash.equals(kit.deps.registry.mobileHash(PEOPLE.asha.mobile)));
  assert.equal(a.mobileKey, a.mobileHash.toString('base64url'));
  assert.equal(a.mobile, PEOPLE.asha.mobile, 'the raw mobile is kept for the SMS');
});

test('keyPerson: another name or mobile gives another key', () => {
  const a = key(PEOPLE.asha);
  assert.ok(!a.nameHash.equals(key(PEOPLE.ravi).nameHash));
  assert.ok(!a.mobileHash.equals(key(PEOPLE.arjun).mobileHash));
});

test('keyPerson: the name is kept as a keyed hash, not one anyone can recompute from a guessed name', () => {
  const a = key(PEOPLE.asha);
  assert.ok(!a.nameHash.equals(crypto.createHash('sha256').update(a.nameKey).digest()));
  assert.ok(!a.nameHash.toString('latin1').toLowerCase().includes('asha'));
});

test('keyPerson: called without the person, it is a wiring error, not a request error', () => {
  assert.throws(() => key({ mobile: PEOPLE.asha.mobile }), /wiring/);
  assert.throws(() => key({ name: PEOPLE.asha.name }), /wiring/);
});
