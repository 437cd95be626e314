// The source catalog. Every other language is typed `Catalog`, so a missing string fails the build.
import type { VaccinationStatus } from '../../protocol/api.ts';
import type { FramePageConfig } from '../../protocol/messages.ts';
import type { FailureCode } from '../frame/api.ts';
import { formatFor } from './format.ts';

// Numbers and times: a function that takes a number or a Date formats it here, with its own
// language's `formatFor(code)` (Intl: the locale's digits, clock and date), never with
// String(n) or toLocaleString(); a function that takes a string gets it already formatted.
const f = formatFor('en');

type ConfigError = Extract<FramePageConfig, { ok: false }>['error'] | 'not_framed';

export const en = {
  title: 'Vaccination status check',
  /** The label of the frame's language switcher (each language is listed in its own name). */
  language: 'Language',
  asks: (client: string) => `${client} asks for your vaccination status`,
  purpose: 'Purpose',
  /** `issuer`: who runs this service (KYCVS_ISSUER_NAME); `client` learns the status and its own pairwise number for the person. */
  privacy: (client: string, issuer: string) =>
    `${client} learns only your vaccination status and a number that identifies you to ${client} alone: never your name, mobile number, vaccine or dates. This check is run by ${issuer}.`,
  loading: 'Loading…',

  detailsHeading: 'Confirm it is you',
  detailsHint: 'Use the mobile number you gave when you were vaccinated. We will send you a one-time password (OTP) by SMS.',
  mobileLabel: 'Mobile number',
  nameLabel: 'Name',
  nameHint: 'As on your vaccination certificate',
  sendOtp: 'Send OTP',
  cancel: 'Cancel',
  invalidMobile: 'Enter a 10-digit mobile number.',
  invalidName: 'Enter your name.',

  otpHeading: 'Enter the OTP',
  otpSent: (mobile: string) => `If ${mobile} is registered for vaccination, a 6-digit code arrives there by SMS within a minute.`,
  // Shown 60 s after each send, for every number alike (it must tell the host nothing).
  noCode: 'No code? Use the mobile number you gave at vaccination.',
  changeNumber: 'Change mobile number',
  otpLabel: 'OTP',
  verify: 'Verify',
  resend: 'Resend OTP',
  resendIn: (seconds: number) => `You can ask for a new code in ${f.number(seconds)} s.`,
  expiresIn: (time: string) => `The code expires in ${time}.`,
  expired: 'The code has expired. Ask for a new one.',
  resent: 'A new code is on its way.',
  invalidOtp: 'Enter the 6-digit code.',
  attemptsLeft: (n: number) => `Wrong code. ${f.number(n)} ${n === 1 ? 'try' : 'tries'} left.`,
  /** A wrong code once a new one was sent: the citizen may have typed the older one. */
  attemptsLeftNewest: (n: number) => `Wrong code. Use the newest code we sent. ${f.number(n)} ${n === 1 ? 'try' : 'tries'} left.`,
  /** After a limit or lock, the service's own wait as a local time (rounded up to the minute). */
  tryAgainAfter: (at: Date) => `Try again after ${f.clock(at)}.`,
  tryAgainLater: 'Try again later.',

  consentHeading: 'Share your status?',
  consentIntro: (client: string, issuer: string) => `If you share, ${client} receives one fact, signed by ${issuer}:`,
  consentWhat: 'Your vaccination status: not vaccinated, partially vaccinated or fully vaccinated.',
  consentNothingElse: 'Nothing else. You will see what was shared once you have chosen.',
  share: 'Share',
  dontShare: "Don't share",
  shareWaits: 'Share turns on once this window has been fully in view for a moment.',

  noMatchHeading: 'No match on this number',
  // Name correction (steps/correction-step.ts): the code proved the mobile, the name matched no one on it.
  noMatchNamed: (name: string) => `No one called “${name}” is registered on this mobile number.`,
  noMatchNotShared: 'Nothing is shared without a match: a name that matches no one is never sent as “not vaccinated”.',
  correctNameLabel: 'Name as registered',
  correctNameHint:
    'Every letter must match the registration. Capitals, extra spaces, titles such as Mr, Shri or Smt, and the order of the words do not matter.',
  tryName: 'Try this name',
  nameTriesLeft: (n: number) => `${f.number(n)} ${n === 1 ? 'try' : 'tries'} left.`,
  nameMissed: 'That name matches no one on this number either.',
  showNames: 'Show the names registered on this number',
  namesLegend: 'Names registered on this number',
  namesHint: 'Pick yours, then press “Try this name”.',
  namesNone: 'No names could be found for this number.',
  noNameTriesLeft: 'No more names can be tried in this check, so it can only end.',
  nameFixedByHost: 'The website gave this name for the check, so it cannot be changed here: the check can only end.',
  endCheck: 'End the check',

  doneHeading: 'Shared',
  doneText: (client: string) => `${client} has received your vaccination status.`,
  youShared: (status: string) => `You shared: ${status}`,
  close: 'Close',
  /** The link to the citizen's own history page (/me/), whose title it is. */
  whoChecked: 'Who checked my vaccination status',

  errorHeading: 'This check cannot continue',

  // The verification link's own page (no website around it): how it ends.
  linkDone: (client: string) => `${client} has been told. You can close this page.`,
  linkDeniedHeading: 'Not shared',
  linkDenied: (client: string) => `You chose not to share your status. ${client} has been told. You can close this page.`,
  linkEndedHeading: 'Check ended',
  linkEnded: (client: string) => `Nothing was shared with ${client}. You can close this page.`,

  statuses: {
    0: 'Not vaccinated',
    1: 'Partially vaccinated',
    2: 'Fully vaccinated',
  } satisfies Record<VaccinationStatus, string>,

  config: {
    unknown_client: 'This website is not registered for vaccination status checks.',
    client_disabled: 'This website may no longer ask for vaccination status.',
    origin_not_allowed: 'This page may not be shown on this website.',
    not_framed: 'Open this page from the website that asks for your vaccination status.',
    link_unknown: 'This link does not work. Check that you opened the whole link, or ask whoever sent it for a new one.',
    link_expired: 'This link has expired. Ask whoever sent it for a new one.',
    link_used: 'This check has already ended. If you still need to do it, ask whoever sent the link for a new one.',
  } satisfies Record<ConfigError, string>,

  errors: {
    invalid_request: 'Some details were not accepted. Check them and try again.',
    invalid_json: 'The request could not be read. Please try again.',
    otp_invalid: 'Wrong code.',
    unauthorized: 'This website may not ask for your vaccination status.',
    forbidden: 'This website may not ask for your vaccination status.',
    origin_not_allowed: 'This website may not ask for your vaccination status.',
    client_disabled: 'This website may no longer ask for vaccination status.',
    not_found: 'This request was not found. Start again from the website.',
    session_not_found: 'This request was not found. Start again from the website.',
    method_not_allowed: 'That is not possible here.',
    invalid_state: 'This request is already finished. Start again from the website.',
    otp_not_sent: 'Ask for a code first.',
    person_mismatch: 'This check is for another mobile number or name. Check what you entered, or start again from the website.',
    name_not_matched: 'No one by the name you entered is registered with this mobile number.',
    name_fixed_by_host: 'The website gave this name for the check, so it cannot be changed here.',
    name_tries_exhausted: 'No more names can be tried in this check.',
    session_expired: 'This request has expired. Start again from the website.',
    otp_expired: 'The code has expired. Press “Resend OTP” for a new one.',
    payload_too_large: 'Some details are too long.',
    unsupported_media_type: 'The request could not be read. Please try again.',
    // These four are followed by tryAgainAfter (the service's retry_after) or tryAgainLater.
    otp_locked: 'Too many wrong codes. For your safety this request is locked.',
    resend_too_soon: 'It is too soon for a new code.',
    send_limit_reached: 'No more codes can be sent for now.',
    rate_limited: 'Too many attempts right now.',
    internal_error: 'Something went wrong on our side. Please try again.',
    service_unavailable: 'The service is not available right now.',
    network_error: 'No connection to the service. Check your internet connection and try again.',
  } satisfies Record<FailureCode, string>,
};

export type Catalog = typeof en;
