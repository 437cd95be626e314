import { consentTicketMatches } from '../../consent/ticket.ts';
import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** Only whoever entered the code decides: a host that merely knows the session id cannot answer for the citizen. */
export const checkTicket: Step<{ consent_ticket: string }> = (ctx) => {
  const session = ctx.get('session');
  if (!consentTicketMatches(ctx.deps.secrets.otpKey, session.id, ctx.input.consent_ticket, session.consentTicketHash)) {
    throw new ApiError('forbidden', 'Only the person who entered the code can decide.');
  }
};
