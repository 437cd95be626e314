import { html, render, type TemplateResult } from 'lit';
import type { FramePageConfig } from '../../protocol/messages.ts';
import { loadCatalog, pickLang } from '../i18n/index.ts';
import { connectToParent, type ParentChannel } from './channel.ts';
import { Flow, type Alert, type Step } from './flow.ts';
import { LightElement } from './light-element.ts';
import type { SendDetail } from './steps/details-step.ts';
import './steps/consent-step.ts';
import './steps/details-step.ts';
import './steps/end-step.ts';
import './steps/no-match-step.ts';
import './steps/otp-step.ts';

interface StepElement extends HTMLElement {
  updateComplete: Promise<boolean>;
  focusStart(): void;
}

/**
 * From the moment the OTP step shows until the citizen's decision, the host page must not be able
 * to tell a matched name from one that matches no one (or from an unregistered mobile): the frame
 * reports the OTP step's height once, on arrival, and then no height at all until the decision.
 * The consent and no-match steps fit that height (sticky actions, the page scrolls inside the
 * frame if ever needed). Both also take focus the same way (their heading) and keep the title.
 */
const HEIGHT_FROZEN: ReadonlySet<Step> = new Set(['otp', 'consent', 'no-match']);

/** The frame page: talks to the parent, renders the current step, moves focus, reports its height. */
export class KycVsApp extends LightElement {
  readonly #flow = new Flow(this);
  #channel: ParentChannel | undefined;
  #focusedStep: Step = 'starting';
  #focusedAlert: Alert | null = null;
  #heightFrozen = false;
  #reportedHeight = -1;

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
    new ResizeObserver(() => this.#reportHeight()).observe(this);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#leave();
    });
    this.#listen();
    const started = this.#flow.start(t, config, options);
    // The first height is reported here, before any answer from the service can change the step,
    // not whenever the first resize callback comes: the host sees the same messages in the same
    // order on every run (a later step reports itself when it renders, see updated()).
    await this.updateComplete;
    this.#reportHeight();
    await started;
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
    // No match: the check ends here; the host hears "failed", as for any check that cannot go on.
    on('kycvs-end', () => this.#channel?.post({ type: 'kycvs:error', code: 'failed' }));
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

  #reportHeight(height = this.offsetHeight): void {
    if (this.#heightFrozen || height === this.#reportedHeight) return;
    this.#reportedHeight = height;
    this.#channel?.post({ type: 'kycvs:resize', height });
  }

  protected override async updated(): Promise<void> {
    const { step, alert } = this.#flow;
    if (step !== this.#focusedStep) {
      this.#focusedStep = step;
      const current = this.querySelector<StepElement>('[data-step]');
      await current?.updateComplete;
      // Reported at once, in the task that rendered the step (not at the next resize callback),
      // so the report's place among the frame's messages never depends on timing.
      if (!HEIGHT_FROZEN.has(step)) {
        this.#heightFrozen = false;
        this.#reportHeight();
      } else if (!this.#heightFrozen && current) {
        this.#reportHeight(await this.#frozenHeight(current));
        this.#heightFrozen = true;
      }
      current?.focusStart();
    } else if (alert?.field && alert !== this.#focusedAlert) {
      this.#focusedAlert = alert;
      this.querySelector<HTMLInputElement>(`input[name="${alert.field}"]`)?.focus();
    }
  }

  /**
   * The OTP step's height, grown to fit the taller of the two steps that may follow it: both are
   * laid out now, hidden, at the same width and with what they will say (language, who asks),
   * before anyone knows which one will come.
   */
  async #frozenHeight(otpStep: StepElement): Promise<number> {
    const { t, client } = this.#flow;
    const probe = document.createElement('div');
    probe.className = 'probe';
    probe.inert = true;
    probe.style.width = `${otpStep.getBoundingClientRect().width}px`;
    render(html`<kycvs-consent-step .t=${t} .client=${client.name}></kycvs-consent-step>
      <kycvs-no-match-step .t=${t}></kycvs-no-match-step>`, probe);
    document.body.append(probe);
    const next = [...probe.children] as StepElement[];
    await Promise.all(next.map((step) => step.updateComplete));
    const tallest = Math.max(...next.map((step) => step.offsetHeight));
    probe.remove();
    return this.offsetHeight + Math.max(0, tallest - otpStep.offsetHeight);
  }

  #step(): TemplateResult {
    const { t, step, busy, alert, client, prefill, sent, shared, ended } = this.#flow;
    const invalid = alert?.field;
    switch (step) {
      case 'details':
        return html`<kycvs-details-step data-step .t=${t} .mobile=${prefill.mobile} .name=${prefill.name}
          .busy=${busy} .invalid=${invalid}></kycvs-details-step>`;
      case 'otp':
        return html`<kycvs-otp-step data-step .t=${t} .mobile=${this.#flow.sentTo}
          .sent=${sent} .busy=${busy} .invalid=${invalid}></kycvs-otp-step>`;
      case 'consent':
        return html`<kycvs-consent-step data-step .t=${t} .client=${client.name} .busy=${busy}></kycvs-consent-step>`;
      case 'no-match':
        return html`<kycvs-no-match-step data-step .t=${t}></kycvs-no-match-step>`;
      case 'done':
        return html`<kycvs-end-step data-step .t=${t} .heading=${t.doneHeading} .text=${t.doneText(client.name)}
          .shared=${shared} .closable=${true}></kycvs-end-step>`;
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
