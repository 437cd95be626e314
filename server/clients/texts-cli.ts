// `clients texts …`: a verifier's name and purpose per language, for the frame and the SMS.
import { isLangCode, LANGUAGES } from '../../protocol/languages.ts';
import { otpSmsText } from '../otp/otp.ts';
import { smsSize } from '../sms/segments.ts';
import type { ClientTexts, TextLang } from './client-texts.ts';
import { ClientError, type ClientStore } from './clients.ts';

export const TEXTS_USAGE = `  clients texts set ID --lang LANG [--name NAME] [--purpose TEXT]
                                      the verifier's name and/or purpose in LANG (hi bn gu kn ml mr or pa ta te as),
                                      shown in the frame and printed in the SMS in that language (same rule as
                                      English); what is not set there is shown in English. Prints the SMS's size
  clients texts unset ID --lang LANG  back to English in LANG (name and purpose)
  clients texts list ID               the languages with a registered text`;

/** The SMS a text would make in `lang` is held to this many segments (a warning beyond it). */
const SMS_SEGMENTS_BUDGET = 3;

interface TextsOptions {
  lang?: string | undefined;
  name?: string | undefined;
  purpose?: string | undefined;
}

/** The stores the command works on: SQLite's or PostgreSQL's, as the service is configured. */
export interface TextsStores {
  clients: Pick<ClientStore, 'get'>;
  texts: ClientTexts;
}

/** Runs `clients texts <action> ID`; returns the lines to print. Usage mistakes throw `usage(message)`. */
export async function runTextsCommand(
  action: string | undefined,
  clientId: string | undefined,
  options: TextsOptions,
  { clients, texts }: TextsStores,
  issuer: string,
  usage: (message: string) => Error,
): Promise<string[]> {
  if (!clientId) throw usage(`clients texts ${action ?? ''} needs a client id`);
  const client = await clients.get(clientId);
  if (!client) throw new ClientError('client_not_found', `no client "${clientId}"`);
  if (action === 'list') {
    const lines = [`en\t${client.name}\t${client.purpose}`];
    for (const t of await texts.list(clientId)) lines.push(`${t.lang}\t${t.name ?? '(English)'}\t${t.purpose ?? '(English)'}`);
    return lines;
  }
  if (action !== 'set' && action !== 'unset') throw usage(`unknown clients texts command "${action ?? ''}"`);
  const lang = options.lang;
  if (!lang || !isLangCode(lang) || lang === 'en') {
    throw usage(`--lang: one of ${LANGUAGES.filter((l) => l.code !== 'en').map((l) => l.code).join(' ')} (English is the client's own name and purpose: clients update)`);
  }
  const textLang: TextLang = lang;
  let saved;
  if (action === 'set') {
    const { name, purpose } = options;
    if (name === undefined && purpose === undefined) throw usage('clients texts set needs --name and/or --purpose');
    saved = await texts.set(clientId, textLang, { ...(name !== undefined && { name }), ...(purpose !== undefined && { purpose }) });
  } else {
    saved = await texts.set(clientId, textLang, { name: null, purpose: null });
  }
  const shown = await texts.localize(client, client.purpose, lang);
  const lines = [`client ${clientId} in ${lang}: name ${saved.name ?? '(English)'}; purpose ${saved.purpose ?? '(English)'}`];
  // The size of a code's SMS in this language, with this service's host for both WebOTP hosts.
  const host = new URL(issuer).host;
  const size = smsSize(
    otpSmsText({ lang, code: '000000', clientName: shown.name, purpose: shown.purpose, validMinutes: 10, historyUrl: `${issuer}/me/`, embeddingHost: host, serviceHost: host }),
  );
  lines.push(`SMS in ${lang}: ${size.units} ${size.encoding === 'ucs2' ? 'Unicode' : 'GSM'} characters, ${size.segments} segment(s)`);
  if (size.segments > SMS_SEGMENTS_BUDGET) lines.push(`warning: more than ${SMS_SEGMENTS_BUDGET} segments; a shorter name or purpose costs less per SMS`);
  return lines;
}
