import type { AuditEvent } from '../../consent/audit.ts';
import { ApiError } from '../../errors.ts';
import type { Session } from '../session-store.ts';
import { named, type Step } from '../flow-context.ts';

function auditOf(session: Session, event: AuditEvent['event'], at: number, tokenJti: string | null): AuditEvent {
  return {
    at,
    clientId: session.clientId,
    sessionId: session.id,
    purpose: session.purpose,
    event,
    vaccinationStatus: event === 'allow' ? (session.vaccinationStatus ?? 0) : null,
    subject: session.subject,
    tokenJti,
  };
}

const alreadyDecided = () => new ApiError('invalid_state', 'The citizen already decided in this verification.');

/**
 * The disclosure of the status to the verifier: the token and the `allow` audit record, written in
 * one compare-and-set transaction before any answer carries the status. Of concurrent requests
 * only one stores its token; the others' are discarded unseen.
 */
export function recordDisclosure(transition: 'allow' | 'consent_with_code'): Step {
  return named('recordDisclosure', async (ctx) => {
    const session = ctx.get('session');
    const token = ctx.get('token');
    const audit = auditOf(session, 'allow', ctx.now, token.jti);
    if (!(await ctx.deps.sessions.complete(session.id, transition, session.otpHash, token, audit))) throw alreadyDecided();
    ctx.deps.events.tokenIssued();
    ctx.answer = { token: token.token, vaccination_status: session.vaccinationStatus ?? 0 };
  });
}

/** The citizen's refusal, with its audit record, in one transaction. */
export const recordRefusal: Step = async (ctx) => {
  const session = ctx.get('session');
  if (!(await ctx.deps.sessions.deny(session.id, auditOf(session, 'deny', ctx.now, null)))) throw alreadyDecided();
  ctx.deps.events.denied();
  ctx.answer = { denied: true };
};
