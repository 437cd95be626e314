// The source catalog. Every other language is typed `Catalog`, so a missing string fails the build.
import type { VaccinationStatus } from '../../protocol/api.ts';
import type { FramePageConfig } from '../../protocol/messages.ts';
import type { FailureCode } from '../frame/api.ts';

type ConfigError = Extract<FramePageConfig, { ok: false }>['error'] | 'not_framed';

export const en = {
  title: 'Vaccination status check',
  asks: (client: string) => `${client} asks for your vaccination status`,
  purpose: 'Purpose',
  privacy: 'They learn only your status: never your name, mobile number or vaccine details.',
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
  otpSent: (mobile: string) => `We sent a 6-digit code by SMS to ${mobile}.`,
  otpLabel: 'OTP',
  verify: 'Verify',
  resend: 'Resend OTP',
  resendIn: (seconds: number) => `You can ask for a new code in ${seconds} s.`,
  expiresIn: (time: string) => `The code expires in ${time}.`,
  expired: 'The code has expired. Ask for a new one.',
  resent: 'A new code is on its way.',
  invalidOtp: 'Enter the 6-digit code.',
  attemptsLeft: (n: number) => `Wrong code. ${n} ${n === 1 ? 'try' : 'tries'} left.`,

  consentHeading: 'Share your status?',
  consentIntro: (client: string) => `If you share, ${client} receives one fact, signed by KYC-VS:`,
  consentWhat: 'Your vaccination status: not vaccinated, partially vaccinated or fully vaccinated.',
  consentNothingElse: 'Nothing else. You will see what was shared once you have chosen.',
  share: 'Share',
  dontShare: "Don't share",
  shareWaits: 'Share turns on once this window has been fully in view for a moment.',

  noMatchHeading: 'No match on this number',
  noMatchText: 'No one by the name you entered is registered with this mobile number, so there is no vaccination status to share.',
  endCheck: 'End the check',

  doneHeading: 'Shared',
  doneText: (client: string) => `${client} has received your vaccination status.`,
  youShared: (status: string) => `You shared: ${status}`,
  close: 'Close',

  errorHeading: 'This check cannot continue',

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
    session_expired: 'This request has expired. Start again from the website.',
    otp_expired: 'The code has expired. Press “Resend OTP” for a new one.',
    payload_too_large: 'Some details are too long.',
    unsupported_media_type: 'The request could not be read. Please try again.',
    otp_locked: 'Too many wrong codes. For your safety this request is locked. Start again later.',
    resend_too_soon: 'Please wait a little before asking for a new code.',
    send_limit_reached: 'No more codes can be sent for now. Try again later.',
    rate_limited: 'Too many attempts right now. Please wait a minute and try again.',
    internal_error: 'Something went wrong on our side. Please try again.',
    network_error: 'No connection to the service. Check your internet connection and try again.',
  } satisfies Record<FailureCode, string>,
};

export type Catalog = typeof en;
