import { LANGUAGES } from '../../protocol/languages.ts';
import { html } from '../html.ts';

/** The `<option>`s of a "Language of the check" select: the browser's choice, then every language in its own name. */
export function languageOptions(browserChoice: string) {
  return html`<option value="">${browserChoice}</option>
    ${LANGUAGES.map(({ code, name }) => (code === 'en' ? html`<option value="en">${name}</option>` : html`<option value=${code} lang=${code}>${name}</option>`))}`;
}
