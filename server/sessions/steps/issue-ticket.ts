import type { VerifyOtpResponse } from '../../../protocol/api.ts';
import { hashConsentTicket, newConsentTicket } from '../../consent/ticket.ts';
import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/**
 * The right code, without `consent: true`: the caller gets a consent ticket (otp_sent → verified),
 * and the decision comes later with it. No status here, to anyone. Whether the name matched goes
 * only to the frame, where the code's holder typed it and can be told; never to an API key.
 */
export const issueTicket: Step = async (ctx) => {
  const session = ctx.get('session');
  const ticket = newConsentTicket();
  const ticketHash = hashConsentTicket(ctx.deps.secrets.otpKey, session.id, ticket);
  // Whom the ticket went to: only the frame's holder of the code may later correct the name.
  const holder = ctx.caller.apiClient ? 'backend' : 'frame';
  if (!(await ctx.deps.sessions.markVerified(session.id, session.otpHash!, ticketHash, holder))) {
    throw new ApiError('invalid_state', 'This code was already checked.');
  }
  const answer: VerifyOtpResponse = { consent_ticket: ticket };
  if (!ctx.caller.apiClient) answer.name_matched = session.nameMatched === true;
  ctx.answer = answer;
};
