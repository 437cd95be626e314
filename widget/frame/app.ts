import { html, type TemplateResult } from 'lit';
import type { FramePageConfig } from '../../protocol/messages.ts';
import { loadCatalog, pickLang } from '../i18n/index.ts';
import { connectToParent, type ParentChannel } from './channel.ts';
import { Flow, type Alert, type Step } from './flow.ts';
import { LightElement } from './light-element.ts';
import type { SendDetail } from './steps/details-step.ts';
import './steps/consent-step.ts';
import './steps/details-step.ts';
import './steps/end-step.ts';
import './steps/otp-step.ts';

interface StepElement extends HTMLElement {
  updateComplete: Promise<boolean>;
  focusStart(): void;
}

/** The frame page: talks to the parent, renders the current step, moves focus, reports its height. */
export class KycVsApp extends LightElement {
  readonly #flow = new Flow(this);
  #channel: ParentChannel | undefined;
  #focusedStep: Step = 'starting';
  #focusedAlert: Alert | null = null;

  async boot(config: FramePageConfig): Promise<void> {
    if (!config.ok) return this.#endEarly(config.error);
    let channel: ParentChannel;
    try {
      channel = await connectToParent(config.parentOrigin);
    } catch {
      return this.#endEarly('not_framed');
    }
    this.#channel = channel;
    const { options } = channel;
    const lang = pickLang(options.lang, navigator.languages);
    const t = await loadCatalog(lang);
    document.documentElement.lang = lang;
    document.title = t.title;
    if (options.accent && CSS.supports('color', options.accent)) {
      document.documentElement.style.setProperty('--kycvs-accent', options.accent);
    }
    new ResizeObserver(() => channel.post({ type: 'kycvs:resize', height: this.offsetHeight })).observe(this);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#leave();
    });
    this.#listen();
    await this.#flow.start(t, config, options);
  }

  async #endEarly(reason: Extract<FramePageConfig, { ok: false }>['error'] | 'not_framed'): Promise<void> {
    const t = await loadCatalog(pickLang(undefined, navigator.languages));
    this.#flow.t = t;
    this.#flow.end(t.config[reason], null);
  }

  #listen(): void {
    const on = <T>(type: string, handler: (detail: T) => void) =>
      this.addEventListener(type, (event) => handler((event as CustomEvent<T>).detail));
    const flow = this.#flow;
    on<SendDetail>('kycvs-send', ({ mobile, name }) => void flow.sendOtp(mobile, name));
    on<{ otp: string }>('kycvs-verify', ({ otp }) => void flow.verifyOtp(otp));
    on('kycvs-resend', () => void flow.resend());
    on<Alert>('kycvs-invalid', (alert) => flow.invalid(alert));
    on<boolean>('kycvs-decide', (allow) => void this.#decide(allow));
    on('kycvs-cancel', () => this.#leave());
    on('kycvs-close', () => this.#leave());
  }

  async #decide(allow: boolean): Promise<void> {
    const answer = await this.#flow.decide(allow);
    if (!answer) return;
    if ('token' in answer) this.#channel?.post({ type: 'kycvs:result', token: answer.token, status: answer.vaccination_status });
    else this.#channel?.post({ type: 'kycvs:deny' });
  }

  /** Close, Cancel and Escape: what the loader hears depends on how far the citizen got. */
  #leave(): void {
    const { step, ended } = this.#flow;
    if (step === 'done') this.#channel?.post({ type: 'kycvs:close' });
    else if (step === 'ended' && ended?.outcome) this.#channel?.post({ type: 'kycvs:error', code: ended.outcome });
    else if (step !== 'ended') this.#channel?.post({ type: 'kycvs:cancel' });
  }

  protected override async updated(): Promise<void> {
    const { step, alert } = this.#flow;
    if (step !== this.#focusedStep) {
      this.#focusedStep = step;
      const current = this.querySelector<StepElement>('[data-step]');
      await current?.updateComplete;
      current?.focusStart();
    } else if (alert?.field && alert !== this.#focusedAlert) {
      this.#focusedAlert = alert;
      this.querySelector<HTMLInputElement>(`input[name="${alert.field}"]`)?.focus();
    }
  }

  #step(): TemplateResult {
    const { t, step, busy, alert, client, prefill, sent, verified, ended } = this.#flow;
    const invalid = alert?.field;
    switch (step) {
      case 'details':
        return html`<kycvs-details-step data-step .t=${t} .mobile=${prefill.mobile} .name=${prefill.name}
          .busy=${busy} .invalid=${invalid}></kycvs-details-step>`;
      case 'otp':
        return html`<kycvs-otp-step data-step .t=${t} .mobile=${this.#flow.sentTo}
          .sent=${sent} .busy=${busy} .invalid=${invalid}></kycvs-otp-step>`;
      case 'consent':
        return html`<kycvs-consent-step data-step .t=${t} .client=${client.name} .status=${verified?.status}
          .nameMatched=${verified?.nameMatched} .busy=${busy}></kycvs-consent-step>`;
      case 'done':
        return html`<kycvs-end-step data-step .t=${t} .heading=${t.doneHeading} .text=${t.doneText(client.name)}
          .closable=${true}></kycvs-end-step>`;
      case 'ended':
        return html`<kycvs-end-step data-step .t=${t} .heading=${t.errorHeading} .text=${ended?.text ?? ''}
          .closable=${Boolean(ended?.outcome)}></kycvs-end-step>`;
      case 'starting':
        return html`<p class="hint" aria-busy="true">${t?.loading ?? ''}</p>`;
    }
  }

  protected override render() {
    const { t, client, alert, notice } = this.#flow;
    return html`
      ${client.name
        ? html`<header class="header">
            <p class="asker">${t.asks(client.name)}</p>
            <p class="purpose">${t.purpose}: ${client.purpose}</p>
          </header>`
        : ''}
      <main>
        <p id="kycvs-alert" class="alert" role="alert">${alert?.text ?? ''}</p>
        <p class="notice" role="status">${notice}</p>
        ${this.#step()}
        ${client.name ? html`<p class="privacy">${t.privacy}</p>` : ''}
      </main>
    `;
  }
}

customElements.define('kycvs-app', KycVsApp);
