/**
 * The sign-in text: says what the code opens (the citizen's own history, no one else's check), so a
 * code asked for by someone else is recognisable as such. The last line is the WebOTP format: the
 * /me/ page is a top-level page on the service's own origin.
 */
export function signInSmsText(t: { code: string; serviceHost: string; validMinutes: number }): string {
  return [
    `${t.code} is your KYC-VS code to see who checked your vaccination status.`,
    `Valid ${t.validMinutes} min. Do not share it with anyone.`,
    `@${t.serviceHost} #${t.code}`,
  ].join('\n');
}
