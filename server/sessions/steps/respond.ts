import type { CreateSessionResponse, SessionContext, SessionView } from '../../../protocol/api.ts';
import type { Step } from '../flow-context.ts';
import { isExpired } from '../session-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** `201` to `POST /v1/sessions`: the id, its expiry, who asks and why; and the code's timings if one was sent. */
export const respondCreated: Step = (ctx) => {
  const session = ctx.get('newSession');
  const client = ctx.get('client');
  const answer: CreateSessionResponse = {
    session_id: session.id,
    expires_at: iso(session.expiresAt),
    client: { id: client.id, name: client.name, purpose: session.purpose },
  };
  if (ctx.has('codeSent')) answer.otp = ctx.get('codeSent');
  ctx.answer = answer;
};

/** `202` to `POST …/otp`: the same answer whether or not the mobile is registered. */
export const respondCodeSent: Step = (ctx) => {
  ctx.answer = ctx.get('codeSent');
};

/** What the frame may read of a session it was handed: who asks and why, nothing about the person. */
export const respondContext: Step = (ctx) => {
  const session = ctx.get('session');
  const client = ctx.get('client');
  const answer: SessionContext = {
    session_id: session.id,
    client: { id: client.id, name: client.name, purpose: session.purpose },
    state: session.state,
    expires_at: iso(session.expiresAt),
  };
  ctx.answer = answer;
};

/**
 * The verifier's view of its session. The status and token appear only once completed: the `allow`
 * record of that disclosure was written with them. Of the person, only who fixed it.
 */
export const respondView: Step = (ctx) => {
  const session = ctx.get('session');
  const view: SessionView = {
    session_id: session.id,
    client_id: session.clientId,
    state: isExpired(session, ctx.now) ? 'expired' : session.state,
    purpose: session.purpose,
    nonce: session.nonce,
    created_at: iso(session.createdAt),
    expires_at: iso(session.expiresAt),
    person_fixed_by: session.personFixedBy,
  };
  if (session.state === 'completed') {
    view.vaccination_status = session.vaccinationStatus ?? 0;
    view.token = session.token!;
  }
  ctx.answer = view;
};
