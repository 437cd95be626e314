import type { LangCode } from '../../../protocol/languages.ts';
import { otpSmsText } from '../../otp/otp.ts';
import type { Step } from '../flow-context.ts';

/**
 * Texts the stored code, only to a registered mobile. The text is written for every request,
 * registered or not, so the request path does the same work; the sending happens after the answer.
 */
export const deliverCode: Step = async (ctx) => {
  const { limits, serviceHost, historyUrl, clientTexts, sms, events } = ctx.deps;
  const session = ctx.has('session') ? ctx.get('session') : { ...ctx.get('newSession'), sends: 0 };
  const person = ctx.get('person');
  // In the citizen's language (the frame's, or the one the backend gave; validated by the route's
  // schema), with who asks and why as the verifier registered them in it. Co-WIN's API: English.
  const { lang } = ctx.input as { lang?: LangCode };
  const client = await clientTexts.localize(ctx.get('client'), session.purpose, lang);
  const text = otpSmsText({
    lang,
    code: ctx.get('code').otp,
    clientName: client.name,
    purpose: client.purpose,
    historyUrl,
    embeddingHost: session.origin ? new URL(session.origin).host : null,
    serviceHost,
    validMinutes: Math.ceil(limits.otpTtlSeconds / 60),
  });
  if (ctx.get('record').registered) sms.dispatch({ to: person.mobile, text }, { sessionId: session.id });
  events.otpSent();
  ctx.set('codeSent', {
    expires_in: limits.otpTtlSeconds,
    resend_after: limits.resendAfterSeconds,
    sends_left: limits.maxSendsPerSession - session.sends - 1,
  });
};
