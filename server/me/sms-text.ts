import type { LangCode } from '../../protocol/languages.ts';
import { SIGN_IN_SMS_TEMPLATES, withWebOtpLine } from '../sms/templates.ts';

/**
 * The sign-in text, in the page's language (server/sms/templates.ts). The last line is the WebOTP
 * format for the service's own origin only: the /me/ page is a top-level page there, never framed.
 */
export function signInSmsText(t: { code: string; serviceHost: string; validMinutes: number; lang?: LangCode | undefined }): string {
  return withWebOtpLine(SIGN_IN_SMS_TEMPLATES[t.lang ?? 'en'](t), { code: t.code, serviceHost: t.serviceHost });
}
