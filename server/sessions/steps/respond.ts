import type { CreateSessionResponse, PublicClient, SessionContext, SessionView } from '../../../protocol/api.ts';
import type { LangCode } from '../../../protocol/languages.ts';
import type { FlowContext, Step } from '../flow-context.ts';
import { isExpired } from '../session-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Who asks and why. Asked for in a language (`lang`: the frame always asks), in that language where
 * the verifier registered it, else English, saying which: the frame marks English inside another
 * language's page so a screen reader switches voice.
 */
async function publicClient(ctx: FlowContext, purpose: string): Promise<PublicClient> {
  const client = ctx.get('client');
  const { lang } = ctx.input as { lang?: LangCode };
  if (lang === undefined) return { id: client.id, name: client.name, purpose };
  const shown = await ctx.deps.clientTexts.localize(client, purpose, lang);
  return {
    id: client.id,
    name: shown.name,
    purpose: shown.purpose,
    name_lang: shown.nameLang,
    ...(shown.purposeLang && { purpose_lang: shown.purposeLang }),
  };
}

/** `201` to `POST /v1/sessions`: the id, its expiry, who asks and why; the code's timings if one was sent; the link for a backend's session. */
export const respondCreated: Step = async (ctx) => {
  const session = ctx.get('newSession');
  const answer: CreateSessionResponse = {
    session_id: session.id,
    expires_at: iso(session.expiresAt),
    client: await publicClient(ctx, session.purpose),
  };
  if (ctx.has('codeSent')) answer.otp = ctx.get('codeSent');
  if (ctx.has('verificationUrl')) answer.verification_url = ctx.get('verificationUrl');
  ctx.answer = answer;
};

/** `202` to `POST …/otp`: the same answer whether or not the mobile is registered. */
export const respondCodeSent: Step = (ctx) => {
  ctx.answer = ctx.get('codeSent');
};

/** What the frame may read of a session it was handed: who asks and why, nothing about the person. */
export const respondContext: Step = async (ctx) => {
  const session = ctx.get('session');
  const answer: SessionContext = {
    session_id: session.id,
    client: await publicClient(ctx, session.purpose),
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
