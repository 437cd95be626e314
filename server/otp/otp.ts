import crypto from 'node:crypto';
import { OTP_LENGTH } from '../../protocol/api.ts';
import type { LangCode } from '../../protocol/languages.ts';
import { OTP_SMS_TEMPLATES, type OtpSmsFields, withWebOtpLine } from '../sms/templates.ts';
import { keyedHash, keyedHashMatches } from '../store/secrets.ts';

/** A fresh one-time code from the CSPRNG, uniformly distributed over all 6-digit strings. */
export function generateOtp(): string {
  return crypto.randomInt(0, 10 ** OTP_LENGTH).toString().padStart(OTP_LENGTH, '0');
}

/** OTPs are stored only as a keyed hash bound to their session, so one session's code is useless in another. */
export function hashOtp(otpKey: Buffer, sessionId: string, otp: string): Buffer {
  return keyedHash(otpKey, 'otp', sessionId, otp);
}

export function otpMatches(otpKey: Buffer, sessionId: string, otp: string, stored: Buffer): boolean {
  return keyedHashMatches(otpKey, stored, 'otp', sessionId, otp);
}

export interface OtpSmsText extends OtpSmsFields {
  /** The citizen's language (default English). */
  lang?: LangCode | undefined;
  /** Host of the page that embeds the widget, for the WebOTP origin-bound line. */
  embeddingHost: string | null;
  serviceHost: string;
}

/**
 * The SMS names who asks and why: reading it is how the citizen knows what entering the code
 * consents to; it says it in the citizen's language (server/sms/templates.ts). The last line is
 * the WebOTP origin-bound format, the same in every language, so a browser may offer autofill.
 */
export function otpSmsText(t: OtpSmsText): string {
  return withWebOtpLine(OTP_SMS_TEMPLATES[t.lang ?? 'en'](t), t);
}
