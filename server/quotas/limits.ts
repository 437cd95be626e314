/**
 * Abuse limits. Defaults suit one national deployment; each can be tuned by environment. Every
 * "per hour / minute / day" is a sliding window (server/quotas/rate-counter.ts): no interval of that
 * length, wherever it starts, admits more. "Per IP" is per IPv4 address or per IPv6 /64.
 */
export interface Limits {
  otpTtlSeconds: number;
  resendAfterSeconds: number;
  maxSendsPerSession: number;
  maxWrongOtpPerSession: number;
  /** Wrong OTPs for one mobile across all sessions in any 24 hours before that mobile is locked (rolling, no midnight reset). */
  maxWrongOtpPerMobilePerDay: number;
  smsPerMobilePerHour: number;
  smsPerClientPerHour: number;
  smsPerIpPerHour: number;
  smsGlobalPerMinute: number;
  sessionsPerIpPerMinute: number;
}

export const DEFAULT_LIMITS: Limits = {
  otpTtlSeconds: 180,
  resendAfterSeconds: 30,
  maxSendsPerSession: 3,
  maxWrongOtpPerSession: 5,
  maxWrongOtpPerMobilePerDay: 15,
  smsPerMobilePerHour: 6,
  smsPerClientPerHour: 20_000,
  smsPerIpPerHour: 30,
  smsGlobalPerMinute: 6_000,
  sessionsPerIpPerMinute: 60,
};

const ENV_NAMES: Record<keyof Limits, string> = {
  otpTtlSeconds: 'KYCVS_OTP_TTL',
  resendAfterSeconds: 'KYCVS_RESEND_AFTER',
  maxSendsPerSession: 'KYCVS_MAX_SENDS_PER_SESSION',
  maxWrongOtpPerSession: 'KYCVS_MAX_WRONG_OTP',
  maxWrongOtpPerMobilePerDay: 'KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY',
  smsPerMobilePerHour: 'KYCVS_SMS_PER_MOBILE_HOUR',
  smsPerClientPerHour: 'KYCVS_SMS_PER_CLIENT_HOUR',
  smsPerIpPerHour: 'KYCVS_SMS_PER_IP_HOUR',
  smsGlobalPerMinute: 'KYCVS_SMS_GLOBAL_MINUTE',
  sessionsPerIpPerMinute: 'KYCVS_SESSIONS_PER_IP_MINUTE',
};

export function limitsFromEnv(env: NodeJS.ProcessEnv): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as (keyof Limits)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new Error(`${ENV_NAMES[key]} must be a positive integer, got "${raw}"`);
    limits[key] = n;
  }
  return limits;
}
