import { otpSmsText } from '../../otp/otp.ts';
import type { Step } from '../flow-context.ts';

/**
 * Texts the stored code, only to a registered mobile. The text is written for every request,
 * registered or not, so the request path does the same work; the sending happens after the answer.
 */
export const deliverCode: Step = (ctx) => {
  const { limits, serviceHost, sms, events } = ctx.deps;
  const session = ctx.has('session') ? ctx.get('session') : { ...ctx.get('newSession'), sends: 0 };
  const person = ctx.get('person');
  const text = otpSmsText({
    code: ctx.get('code').otp,
    clientName: ctx.get('client').name,
    purpose: session.purpose,
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
