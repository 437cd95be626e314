import { after, test } from 'node:test';
import { newConsentTicket } from '../../consent/ticket.ts';
import { checkTicket } from './check-ticket.ts';
import { openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const check = async (id: string, ticket: string) => checkTicket(kit.ctx({ consent_ticket: ticket }, { session: await kit.reload(id) }));

test('checkTicket: only the ticket handed to whoever entered the code decides', async () => {
  const mine = await kit.session('verified');
  const other = await kit.session('verified');
  await check(mine.session.id, mine.ticket!);
  await refused(() => check(mine.session.id, newConsentTicket()), 'forbidden', 'a made-up ticket');
  await refused(() => check(mine.session.id, other.ticket!), 'forbidden', 'another session’s ticket');
  await refused(() => check(mine.session.id, ''), 'forbidden', 'no ticket');
});

test('checkTicket: before the code was checked there is no ticket to present', async () => {
  const { session } = await kit.session('otp_sent');
  await refused(() => check(session.id, newConsentTicket()), 'forbidden');
});
