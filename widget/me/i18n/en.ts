// The /me/ page's source catalog. Every other language is typed `MeCatalog`, so a missing string
// fails the build. Functions get their numbers and times already formatted for the language.
import type { VaccinationStatus } from '../../../protocol/api.ts';
import type { MeFailure } from '../api.ts';

export const en = {
  title: 'Who checked my vaccination status',
  intro: 'See every time a website or office asked for the vaccination status of the people registered on your mobile number, and what was decided.',
  languageLabel: 'Language',
  loading: 'Loading…',

  signInHeading: 'Sign in with your mobile number',
  signInHint: 'Use the mobile number you gave at vaccination. If it is registered, a one-time password (OTP) arrives by SMS within a minute.',
  mobileLabel: 'Mobile number',
  sendOtp: 'Send OTP',
  invalidMobile: 'Enter a 10-digit mobile number.',

  otpHeading: 'Enter the OTP',
  otpSent: (mobile: string) => `If ${mobile} is registered for vaccination, a 6-digit code arrives by SMS within a minute.`,
  otpLabel: 'OTP',
  signIn: 'Sign in',
  resend: 'Resend OTP',
  resendIn: (seconds: string) => `You can ask for a new code in ${seconds} s.`,
  resent: 'A new code is on its way. Use the newest one.',
  otherNumber: 'Use another number',
  invalidOtp: 'Enter the 6-digit code.',

  historyHeading: 'Who checked your vaccination status',
  signedInAs: (mobile: string, until: string) => `Signed in with ${mobile} until ${until}.`,
  signOut: 'Sign out',
  signedOut: 'You are signed out.',
  onlyStatus: 'A verifier only ever receives the vaccination status: never a name, mobile number, vaccine or dates.',
  nobodyRegistered: 'No one is registered for vaccination on this number.',
  noChecks: 'No one has asked for this person’s status.',
  verifier: 'Verifier',
  purpose: 'Purpose',
  when: 'Date and time',
  decision: 'Decision',
  shared: (status: string) => `Shared: ${status}`,
  refused: 'Refused: nothing shared',
  statuses: {
    0: 'not vaccinated',
    1: 'partially vaccinated',
    2: 'fully vaccinated',
  } satisfies Record<VaccinationStatus, string>,
  older: (name: string) => `Show older checks for ${name}`,

  errors: {
    otp_invalid: (left: string) => `Wrong code. ${left} tries left.`,
    otp_expired: 'The code has expired. Ask for a new one.',
    otp_locked: (time: string) => `Too many wrong codes. Try again after ${time}.`,
    rate_limited: (time: string) => `Too many codes were asked for. Try again after ${time}.`,
    resend_too_soon: (time: string) => `Wait a little: you can ask for a new code after ${time}.`,
    send_limit_reached: 'No more codes for this sign-in. Start again with your mobile number.',
    ended: 'This sign-in has ended. Start again with your mobile number.',
    unauthorized: 'You were signed out. Sign in again to see the history.',
    network_error: 'The service cannot be reached. Check your connection and try again.',
    other: 'Something went wrong. Try again.',
  } satisfies Record<MeFailure, unknown>,
};

export type MeCatalog = typeof en;
