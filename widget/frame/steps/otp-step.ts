import { html, type PropertyValues } from 'lit';
import { OTP_LENGTH } from '../../../protocol/api.ts';
import { Countdown } from '../countdown.ts';
import type { Field, SentOtp } from '../flow.ts';
import { formatFor } from '../../i18n/format.ts';
import { LightElement } from '../light-element.ts';
import { formatMobile } from '../mobile.ts';
import { receiveSmsCode } from '../web-otp.ts';

/** A code reaches a registered mobile within this; after it, the step says what else to try. */
export const NO_CODE_AFTER_MS = 60_000;

/**
 * One OTP field (split boxes break SMS autofill), with the code's expiry and a resend countdown.
 * The expiry shown is advisory: the server decides, so Verify stays enabled.
 */
export class OtpStep extends LightElement {
  static override properties = {
    mobile: {},
    sent: { attribute: false },
    busy: { type: Boolean },
    invalid: {},
  };
  declare mobile: string;
  declare sent: SentOtp;
  declare busy: boolean;
  declare invalid: Field | undefined;

  readonly #expiry = new Countdown(this);
  readonly #resend = new Countdown(this);
  readonly #noCode = new Countdown(this);
  #webOtp: AbortController | undefined;

  focusStart(): void {
    this.querySelector('input')?.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('sent')) {
      this.#expiry.start(this.sent.expires_in);
      this.#resend.start(this.sent.resend_after);
      this.#noCode.until(this.sent.sentAt + NO_CODE_AFTER_MS);
      this.#listenForSms();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#webOtp?.abort();
  }

  async #listenForSms(): Promise<void> {
    this.#webOtp?.abort();
    this.#webOtp = new AbortController();
    const code = await receiveSmsCode(this.#webOtp.signal);
    if (code) this.#emitVerify(code);
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    const otp = String(new FormData(event.target as HTMLFormElement).get('otp')).replace(/\s/g, '');
    if (!new RegExp(`^\\d{${OTP_LENGTH}}$`).test(otp)) {
      return this.emit('kycvs-invalid', { field: 'otp', text: this.t.invalidOtp });
    }
    this.#emitVerify(otp);
  }

  #emitVerify(otp: string): void {
    this.emit('kycvs-verify', { otp });
  }

  protected override render() {
    const { t } = this;
    const expiresIn = this.#expiry.seconds;
    const resendIn = this.#resend.seconds;
    // The same for every number, registered or not: only the frame's own clock decides it.
    const noCode = this.#noCode.seconds === 0;
    const minutes = formatFor(document.documentElement.lang || 'en').minutesSeconds;
    return html`
      <form novalidate @submit=${this.#submit}>
        <h2 tabindex="-1">${t.otpHeading}</h2>
        <p class="hint">${t.otpSent(formatMobile(this.mobile))}</p>
        <div class="field">
          <label for="kycvs-otp">${t.otpLabel}</label>
          <input id="kycvs-otp" name="otp" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*"
            maxlength=${OTP_LENGTH} required aria-invalid=${this.invalid === 'otp'}
            aria-describedby="kycvs-otp-expiry kycvs-alert" />
          <p id="kycvs-otp-expiry" class="hint">${expiresIn > 0 ? t.expiresIn(minutes(expiresIn)) : t.expired}</p>
        </div>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy}>${t.verify}</button>
          <button type="button" ?disabled=${this.busy || resendIn > 0} aria-describedby="kycvs-resend-wait"
            @click=${() => this.emit('kycvs-resend')}>${t.resend}</button>
          <button type="button" @click=${() => this.emit('kycvs-cancel')}>${t.cancel}</button>
        </div>
        <p id="kycvs-resend-wait" class="hint">${resendIn > 0 ? t.resendIn(resendIn) : ''}</p>
        <!-- Laid out from the start, unseen (the ghost holds the text's place), so showing it changes
             no height: the host, which sees the frame's size, learns nothing from it (app.ts). -->
        <div class="no-code">
          <p class="hint ghost" aria-hidden="true">${t.noCode}</p>
          <p class="hint" aria-live="polite">${noCode ? t.noCode : ''}</p>
          <button type="button" class=${noCode ? '' : 'unseen'} ?disabled=${this.busy}
            @click=${() => this.emit('kycvs-change-number')}>${t.changeNumber}</button>
        </div>
      </form>
    `;
  }
}

customElements.define('kycvs-otp-step', OtpStep);
