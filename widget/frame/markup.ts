// The first step's markup, written once for two renderers: Lit in the frame (app.ts, the language
// switch, the details step) and the server, which sends it in the frame page so that the form is
// on screen before any script runs (prerender.ts). Nothing here imports Lit: each caller passes
// its own `html` tag, and the server's ignores what only a script can do (`.property` and
// `@event` bindings).
import type { Catalog, Lang, Language } from '../i18n/index.ts';
import { inLang, sentenceWith, type ShownClient } from './client-text.ts';
import type { Field } from './flow.ts';

export type Html<R> = (strings: TemplateStringsArray, ...values: unknown[]) => R;

export interface ShellParts<R> {
  t: Catalog;
  client: ShownClient;
  lang: Lang;
  issuer: string;
  alert: string;
  notice: string;
  languageSwitch: R;
  step: R;
}

/** Around every step: who asks and why (once known), the live regions, the step, the privacy line. */
export function shell<R>(html: Html<R>, { t, client, lang, issuer, alert, notice, languageSwitch, step }: ShellParts<R>): R {
  return html`
      ${client.name
        ? html`<header class="header">
            ${languageSwitch}
            <p class="asker">${sentenceWith(html, t.asks, inLang(html, client.name, client.nameLang, lang))}</p>
            <p class="purpose">${t.purpose}: ${inLang(html, client.purpose, client.purposeLang, lang)}</p>
          </header>`
        : ''}
      <main>
        <p id="kycvs-alert" class="alert" role="alert">${alert}</p>
        <p class="notice" role="status">${notice}</p>
        ${step}
        ${client.name ? html`<p class="privacy">${t.privacy(client.name, issuer)}</p>` : ''}
      </main>
    `;
}

export interface LanguageListParts {
  t: Catalog;
  current: Lang;
  /** The server lists the current language only (see prerender.ts); the frame, every language. */
  langs: readonly Language[];
  onChange?: (event: Event) => void;
}

/** The language switcher's label and list, each language in its own name and marked with its `lang`. */
export function languageList<R>(html: Html<R>, { t, current, langs, onChange }: LanguageListParts): R {
  return html`
      <label for="kycvs-lang">${t.language}</label>
      <select id="kycvs-lang" @change=${onChange}>
        ${langs.map(({ code, name }) => html`<option value=${code} lang=${code} ?selected=${code === current}>${name}</option>`)}
      </select>
    `;
}

export interface DetailsParts {
  t: Catalog;
  mobile: string;
  name: string;
  busy: boolean;
  invalid: Field | undefined;
  onSubmit?: (event: SubmitEvent) => void;
  onCancel?: () => void;
}

/** The first step's form: mobile number and name (the values are the script's, set as properties). */
export function detailsForm<R>(html: Html<R>, { t, mobile, name, busy, invalid, onSubmit, onCancel }: DetailsParts): R {
  return html`
      <form novalidate @submit=${onSubmit}>
        <h2 tabindex="-1">${t.detailsHeading}</h2>
        <p class="hint">${t.detailsHint}</p>
        <div class="field">
          <label for="kycvs-mobile">${t.mobileLabel}</label>
          <input id="kycvs-mobile" name="mobile" type="tel" inputmode="numeric" autocomplete="tel-national"
            maxlength="16" required .value=${mobile} aria-invalid=${invalid === 'mobile'}
            aria-describedby="kycvs-alert" />
        </div>
        <div class="field">
          <label for="kycvs-name">${t.nameLabel}</label>
          <input id="kycvs-name" name="name" autocomplete="name" maxlength="100" required .value=${name}
            aria-invalid=${invalid === 'name'} aria-describedby="kycvs-name-hint kycvs-alert" />
          <p id="kycvs-name-hint" class="hint">${t.nameHint}</p>
        </div>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${busy}>${t.sendOtp}</button>
          <button type="button" @click=${onCancel}>${t.cancel}</button>
        </div>
      </form>
    `;
}
