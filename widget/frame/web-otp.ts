// WebOTP: Chrome on Android can read the SMS code for the citizen. Offered, never relied on.

interface OtpCredential extends Credential {
  code: string;
}

declare global {
  interface CredentialRequestOptions {
    otp?: { transport: string[] };
  }
}

/** The code from the SMS, or null when the browser has no WebOTP, the user declined, or `signal` aborted. */
export async function receiveSmsCode(signal: AbortSignal): Promise<string | null> {
  if (!('OTPCredential' in window)) return null;
  try {
    const credential = (await navigator.credentials.get({ otp: { transport: ['sms'] }, signal })) as OtpCredential | null;
    return credential?.code ?? null;
  } catch {
    return null;
  }
}
