// The OTP text in each of the twelve languages. Every template says the same four things, in this
// order: the code and whose code it is, who asks and why (the verifier's own words: reading them is
// how the citizen knows what entering the code consents to), how long it is valid and not to pass
// it on, and where to see who has checked. The caller adds the WebOTP line last (server/otp/otp.ts).
//
// Keep them short: a text in any Indian script is a Unicode (UCS-2) SMS, 70 characters in one
// segment, 67 per segment when concatenated; templates.test.ts holds every language to 3 segments
// with the demo's longest purpose. Digits stay ASCII (the code is typed as it reads).
import type { LangCode } from '../../protocol/languages.ts';

export interface OtpSmsFields {
  code: string;
  /** The verifier's name and purpose, in this language where it registered them (else English). */
  clientName: string;
  purpose: string;
  validMinutes: number;
  /** The citizen's history page: `<service origin>/me/`. */
  historyUrl: string;
}

/** The text's lines before the WebOTP line: [code and who asks, validity, history]. */
type OtpSmsTemplate = (f: OtpSmsFields) => [string, string, string];

export const OTP_SMS_TEMPLATES: Record<LangCode, OtpSmsTemplate> = {
  en: (f) => [
    `${f.code} is your KYC-VS code. ${f.clientName} asks for your vaccination status (${f.purpose}).`,
    `Valid ${f.validMinutes} min. Do not share it with anyone else.`,
    `Who checked your status: ${f.historyUrl}`,
  ],
  hi: (f) => [
    `${f.code} आपका KYC-VS कोड है। ${f.clientName} को आपकी टीकाकरण स्थिति चाहिए (${f.purpose})।`,
    `कोड किसी को न बताएँ।`,
    `किसने जाँचा: ${f.historyUrl}`,
  ],
  bn: (f) => [
    `${f.code} আপনার KYC-VS কোড। ${f.clientName} আপনার টিকাকরণের অবস্থা জানতে চায় (${f.purpose})।`,
    `কোড কাউকে জানাবেন না।`,
    `কে যাচাই করেছে: ${f.historyUrl}`,
  ],
  gu: (f) => [
    `${f.code} તમારો KYC-VS કોડ છે. ${f.clientName} તમારી રસીકરણ સ્થિતિ જાણવા માંગે છે (${f.purpose}).`,
    `કોઈને કહેશો નહીં.`,
    `કોણે ચકાસ્યું: ${f.historyUrl}`,
  ],
  kn: (f) => [
    `${f.code} ನಿಮ್ಮ KYC-VS ಕೋಡ್. ${f.clientName} ನಿಮ್ಮ ಲಸಿಕೆ ಸ್ಥಿತಿಯನ್ನು ಕೇಳುತ್ತಿದೆ (${f.purpose}).`,
    `ಯಾರಿಗೂ ಹೇಳಬೇಡಿ.`,
    `ಯಾರು ಪರಿಶೀಲಿಸಿದರು: ${f.historyUrl}`,
  ],
  ml: (f) => [
    `${f.code}: KYC-VS കോഡ്. ${f.clientName} നിങ്ങളുടെ വാക്സിനേഷൻ നില ചോദിക്കുന്നു (${f.purpose}).`,
    `ആരോടും പറയരുത്.`,
    `ആരൊക്കെ പരിശോധിച്ചു: ${f.historyUrl}`,
  ],
  mr: (f) => [
    `${f.code} हा तुमचा KYC-VS कोड आहे. ${f.clientName} तुमची लसीकरण स्थिती मागत आहे (${f.purpose}).`,
    `कोणालाही सांगू नका.`,
    `कोणी तपासले: ${f.historyUrl}`,
  ],
  or: (f) => [
    `${f.code} ଆପଣଙ୍କ KYC-VS କୋଡ। ${f.clientName} ଆପଣଙ୍କ ଟୀକାକରଣ ସ୍ଥିତି ମାଗୁଛି (${f.purpose})।`,
    `କୋଡ କାହାକୁ କୁହନ୍ତୁ ନାହିଁ।`,
    `କିଏ ଯାଞ୍ଚ କଲା: ${f.historyUrl}`,
  ],
  pa: (f) => [
    `${f.code} ਤੁਹਾਡਾ KYC-VS ਕੋਡ ਹੈ। ${f.clientName} ਨੇ ਤੁਹਾਡੀ ਟੀਕਾਕਰਨ ਸਥਿਤੀ ਮੰਗੀ ਹੈ (${f.purpose})।`,
    `ਕਿਸੇ ਨੂੰ ਨਾ ਦੱਸੋ।`,
    `ਕਿਸ ਨੇ ਜਾਂਚਿਆ: ${f.historyUrl}`,
  ],
  ta: (f) => [
    `${f.code}: KYC-VS குறியீடு. ${f.clientName} உங்கள் தடுப்பூசி நிலையைக் கேட்கிறது (${f.purpose}).`,
    `யாருக்கும் சொல்லாதீர்.`,
    `சரிபார்த்தவர்கள்: ${f.historyUrl}`,
  ],
  te: (f) => [
    `${f.code} మీ KYC-VS కోడ్. ${f.clientName} మీ టీకా స్థితిని అడుగుతోంది (${f.purpose}).`,
    `ఎవరికీ చెప్పవద్దు.`,
    `ఎవరు తనిఖీ చేశారు: ${f.historyUrl}`,
  ],
  as: (f) => [
    `${f.code} আপোনাৰ KYC-VS ক’ড। ${f.clientName}-এ আপোনাৰ টীকাকৰণৰ স্থিতি বিচাৰিছে (${f.purpose})।`,
    `ক’ড কাকো নক’ব।`,
    `কোনে পৰীক্ষা কৰিলে: ${f.historyUrl}`,
  ],
};

export interface SignInSmsFields {
  code: string;
  validMinutes: number;
}

// The /me/ sign-in code: says what the code opens (the citizen's own history, no one else's check),
// so a code asked for by someone else is recognisable as such. Made of words already in use: the
// code sentence and "do not share" line of the check's text above, and the /me/ page's own heading
// (widget/me/i18n/<code>.ts `historyHeading`) in brackets, where the check's text puts its purpose.
export const SIGN_IN_SMS_TEMPLATES: Record<LangCode, (f: SignInSmsFields) => [string, string]> = {
  en: (f) => [`${f.code} is your KYC-VS code to see who checked your vaccination status.`, `Valid ${f.validMinutes} min. Do not share it with anyone.`],
  hi: (f) => [`${f.code} आपका KYC-VS कोड है (आपकी टीकाकरण स्थिति किसने जाँची)।`, `कोड किसी को न बताएँ।`],
  bn: (f) => [`${f.code} আপনার KYC-VS কোড (আপনার টিকাকরণের অবস্থা কে যাচাই করেছে)।`, `কোড কাউকে জানাবেন না।`],
  gu: (f) => [`${f.code} તમારો KYC-VS કોડ છે (તમારી રસીકરણ સ્થિતિ કોણે ચકાસી).`, `કોઈને કહેશો નહીં.`],
  kn: (f) => [`${f.code} ನಿಮ್ಮ KYC-VS ಕೋಡ್ (ನಿಮ್ಮ ಲಸಿಕೆ ಸ್ಥಿತಿಯನ್ನು ಯಾರು ಪರಿಶೀಲಿಸಿದರು).`, `ಯಾರಿಗೂ ಹೇಳಬೇಡಿ.`],
  ml: (f) => [`${f.code}: KYC-VS കോഡ് (നിങ്ങളുടെ വാക്സിനേഷൻ നില ആരൊക്കെ പരിശോധിച്ചു).`, `ആരോടും പറയരുത്.`],
  mr: (f) => [`${f.code} हा तुमचा KYC-VS कोड आहे (तुमची लसीकरण स्थिती कोणी तपासली).`, `कोणालाही सांगू नका.`],
  or: (f) => [`${f.code} ଆପଣଙ୍କ KYC-VS କୋଡ (ଆପଣଙ୍କ ଟୀକାକରଣ ସ୍ଥିତି କିଏ ଯାଞ୍ଚ କଲା)।`, `କୋଡ କାହାକୁ କୁହନ୍ତୁ ନାହିଁ।`],
  pa: (f) => [`${f.code} ਤੁਹਾਡਾ KYC-VS ਕੋਡ ਹੈ (ਤੁਹਾਡੀ ਟੀਕਾਕਰਨ ਸਥਿਤੀ ਕਿਸ ਨੇ ਜਾਂਚੀ)।`, `ਕਿਸੇ ਨੂੰ ਨਾ ਦੱਸੋ।`],
  ta: (f) => [`${f.code}: KYC-VS குறியீடு (உங்கள் தடுப்பூசி நிலையைச் சரிபார்த்தவர்கள்).`, `யாருக்கும் சொல்லாதீர்.`],
  te: (f) => [`${f.code} మీ KYC-VS కోడ్ (మీ టీకా స్థితిని ఎవరు తనిఖీ చేశారు).`, `ఎవరికీ చెప్పవద్దు.`],
  as: (f) => [`${f.code} আপোনাৰ KYC-VS ক’ড (আপোনাৰ টীকাকৰণৰ স্থিতি কোনে পৰীক্ষা কৰিলে)।`, `ক’ড কাকো নক’ব।`],
};

/**
 * A text as sent: the readable lines, then the WebOTP origin-bound line last, the same in every
 * language, so a browser may offer autofill. `embeddingHost`: the page that embeds the frame, when
 * there is one (the frame's origin, the service, comes after it).
 */
export function withWebOtpLine(lines: readonly string[], t: { code: string; serviceHost: string; embeddingHost?: string | null | undefined }): string {
  const webOtp = t.embeddingHost ? `@${t.embeddingHost} #${t.code} @${t.serviceHost}` : `@${t.serviceHost} #${t.code}`;
  return [...lines, webOtp].join('\n');
}
