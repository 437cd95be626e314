import { html, LitElement, nothing } from 'lit';
import type { MeOtpResponse, MePerson } from '../../protocol/api.ts';
import { OTP_LENGTH } from '../../protocol/api.ts';
import { Countdown } from '../frame/countdown.ts';
import { formatMobile, normaliseMobile } from '../frame/mobile.ts';
import { formatFor } from '../i18n/format.ts';
import { failureOf, meApi } from './api.ts';
import './history-view.ts';
import { loadCatalog, ME_LANGS, pickLang, type MeCatalog, type MeLang } from './i18n/index.ts';

type View = 'loading' | 'mobile' | 'code' | 'history';

/**
 * The citizen's own history: sign in with the mobile and a code, then read who checked the status
 * of each person on it. The sign-in is an HttpOnly cookie this page never sees; a reload within its
 * ten minutes shows the history again.
 */
export class MeApp extends LitElement {
  static override properties = {
    view: { state: true },
    busy: { state: true },
    alert: { state: true },
    t: { state: true },
  };
  declare view: View;
  declare busy: boolean;
  declare alert: string;
  declare t: MeCatalog | undefined;

  #lang: MeLang = 'en';
  #mobile = '';
  #sent: MeOtpResponse | undefined;
  #people: MePerson[] = [];
  #until: Date | undefined;
  #focused: View = 'loading';
  readonly #resend = new Countdown(this);

  constructor() {
    super();
    this.view = 'loading';
    this.busy = false;
    this.alert = '';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const requested = new URLSearchParams(location.search).get('lang') ?? undefined;
    void this.#boot(pickLang(requested, navigator.languages));
  }

  async #boot(lang: MeLang): Promise<void> {
    await this.#setLang(lang);
    // Still signed in (a reload within the ten minutes)? Otherwise, the sign-in form.
    try {
      this.#people = (await meApi.disclosures()).people;
      this.view = 'history';
    } catch {
      this.view = 'mobile';
    }
  }

  async #setLang(lang: MeLang): Promise<void> {
    this.t = await loadCatalog(lang);
    this.#lang = lang;
    document.documentElement.lang = lang;
    document.title = this.t.title;
  }

  /** Runs one call with the buttons off; a failure becomes the alert. */
  async #run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.alert = '';
    try {
      await action();
    } catch (err) {
      this.#fail(err);
    } finally {
      this.busy = false;
    }
  }

  #fail(err: unknown): void {
    const t = this.t!;
    const { failure, attemptsLeft, retryAfter } = failureOf(err);
    const format = formatFor(this.#lang);
    const after = format.clock(new Date(Date.now() + (retryAfter ?? 60) * 1000));
    const e = t.errors;
    switch (failure) {
      case 'otp_invalid':
        this.alert = e.otp_invalid(format.number(attemptsLeft ?? 0));
        break;
      case 'otp_locked':
      case 'rate_limited':
      case 'resend_too_soon':
        this.alert = e[failure](after);
        break;
      case 'ended':
      case 'send_limit_reached':
      case 'unauthorized':
        this.alert = e[failure];
        this.#restart();
        break;
      default:
        this.alert = e[failure];
    }
  }

  #restart(): void {
    this.#sent = undefined;
    this.view = 'mobile';
  }

  #sendCode(event: SubmitEvent): void {
    event.preventDefault();
    const mobile = normaliseMobile(String(new FormData(event.target as HTMLFormElement).get('mobile')));
    if (!mobile) {
      this.alert = this.t!.invalidMobile;
      this.querySelector<HTMLInputElement>('input[name="mobile"]')?.focus();
      return;
    }
    void this.#run(async () => {
      this.#sent = await meApi.sendOtp({ mobile, lang: this.#lang });
      this.#mobile = mobile;
      this.#resend.start(this.#sent.resend_after);
      this.view = 'code';
    });
  }

  #resendCode(): void {
    void this.#run(async () => {
      this.#sent = await meApi.sendOtp({ mobile: this.#mobile, sign_in_id: this.#sent!.sign_in_id, lang: this.#lang });
      this.#resend.start(this.#sent.resend_after);
      this.alert = this.t!.resent;
    });
  }

  #signIn(event: SubmitEvent): void {
    event.preventDefault();
    const otp = String(new FormData(event.target as HTMLFormElement).get('otp')).replace(/\s/g, '');
    if (!new RegExp(`^\\d{${OTP_LENGTH}}$`).test(otp)) {
      this.alert = this.t!.invalidOtp;
      this.querySelector<HTMLInputElement>('input[name="otp"]')?.focus();
      return;
    }
    void this.#run(async () => {
      const { expires_at } = await meApi.verify({ sign_in_id: this.#sent!.sign_in_id, otp });
      this.#until = new Date(expires_at);
      this.#people = (await meApi.disclosures()).people;
      this.view = 'history';
    });
  }

  #loadOlder(person: MePerson): void {
    void this.#run(async () => {
      const [page] = (await meApi.disclosures({ person: person.ref, before: person.older! })).people;
      if (!page) return;
      this.#people = this.#people.map((p) => (p.ref === person.ref ? { ...p, disclosures: [...p.disclosures, ...page.disclosures], older: page.older } : p));
      this.requestUpdate();
    });
  }

  #signOut(): void {
    void this.#run(async () => {
      await meApi.signOut();
      this.#people = [];
      this.#restart();
      this.alert = this.t!.signedOut;
    });
  }

  protected override updated(): void {
    // A form takes focus at its field; the history at its heading, so a screen reader starts reading there.
    if (this.view !== this.#focused && this.view !== 'loading') {
      this.#focused = this.view;
      this.querySelector<HTMLElement>(this.view === 'history' ? 'main h2' : 'main input')?.focus();
    }
  }

  protected override render() {
    const { t } = this;
    if (!t) return nothing;
    return html`
      <header class="bar">
        <h1>${t.title}</h1>
        ${ME_LANGS.length > 1
          ? html`<label class="lang"
              >${t.languageLabel}
              <select @change=${(e: Event) => void this.#setLang((e.target as HTMLSelectElement).value as MeLang)}>
                ${ME_LANGS.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === this.#lang}>${l.name}</option>`)}
              </select></label
            >`
          : nothing}
      </header>
      <main>
        <p id="me-alert" class="alert" role="alert">${this.alert}</p>
        ${this.#view(t)}
      </main>
    `;
  }

  #view(t: MeCatalog) {
    switch (this.view) {
      case 'loading':
        return html`<p>${t.loading}</p>`;
      case 'mobile':
        return html`
          <p class="intro">${t.intro}</p>
          <form novalidate @submit=${this.#sendCode}>
            <h2 tabindex="-1">${t.signInHeading}</h2>
            <p class="hint" id="me-mobile-hint">${t.signInHint}</p>
            <div class="field">
              <label for="me-mobile">${t.mobileLabel}</label>
              <input id="me-mobile" name="mobile" type="tel" inputmode="numeric" autocomplete="tel-national" maxlength="16" required
                .value=${this.#mobile} aria-describedby="me-mobile-hint me-alert" />
            </div>
            <div class="actions"><button class="primary" type="submit" ?disabled=${this.busy}>${t.sendOtp}</button></div>
          </form>
        `;
      case 'code': {
        const wait = this.#resend.seconds;
        return html`
          <form novalidate @submit=${this.#signIn}>
            <h2 tabindex="-1">${t.otpHeading}</h2>
            <p class="hint" id="me-otp-hint">${t.otpSent(formatMobile(this.#mobile))}</p>
            <div class="field">
              <label for="me-otp">${t.otpLabel}</label>
              <input id="me-otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength=${OTP_LENGTH} required
                aria-describedby="me-otp-hint me-alert" />
            </div>
            <div class="actions">
              <button class="primary" type="submit" ?disabled=${this.busy}>${t.signIn}</button>
              <button type="button" ?disabled=${this.busy || wait > 0} aria-describedby="me-resend-wait" @click=${this.#resendCode}>${t.resend}</button>
              <button type="button" @click=${this.#restart}>${t.otherNumber}</button>
            </div>
            <p class="hint" id="me-resend-wait">${wait > 0 ? t.resendIn(formatFor(this.#lang).number(wait)) : ''}</p>
          </form>
        `;
      }
      case 'history':
        return html`
          <h2 tabindex="-1">${t.historyHeading}</h2>
          ${this.#mobile && this.#until
            ? html`<p class="hint">${t.signedInAs(formatMobile(this.#mobile), formatFor(this.#lang).clock(this.#until))}</p>`
            : nothing}
          <p class="hint">${t.onlyStatus}</p>
          <kycvs-me-history .t=${t} .lang=${this.#lang} .people=${this.#people} ?busy=${this.busy}
            @me-older=${(e: CustomEvent<MePerson>) => this.#loadOlder(e.detail)}></kycvs-me-history>
          <div class="actions"><button type="button" ?disabled=${this.busy} @click=${this.#signOut}>${t.signOut}</button></div>
        `;
    }
  }
}

customElements.define('kycvs-me', MeApp);
