import { html, nothing, render, type PropertyValues, type TemplateResult } from 'lit';
import { MAX_NAMES_PER_MOBILE, NAME_TRIES_PER_SESSION } from '../../protocol/api.ts';
import type { FramePageConfig } from '../../protocol/messages.ts';
import { loadCatalog, pickLang, type Lang } from '../i18n/index.ts';
import { inLang, sentenceWith } from './client-text.ts';
import { rememberedLang } from './language-switch.ts';
import { pageChannel, type ParentChannel } from './channel.ts';
import { Flow, type Alert, type Correction, type Step } from './flow.ts';
import { LightElement } from './light-element.ts';
import { showEnding } from './link-ending.ts';
import { shell } from './markup.ts';
import type { SendDetail } from './steps/details-step.ts';
import './steps/consent-step.ts';
import './steps/correction-step.ts';
import './steps/details-step.ts';
import './steps/end-step.ts';
import './steps/otp-step.ts';

interface StepElement extends HTMLElement {
  updateComplete: Promise<boolean>;
  focusStart(): void;
}

/**
 * From the moment the OTP step shows until the citizen's decision, the host page must not be able
 * to tell a matched name from one that matches no one (or from an unregistered mobile): the frame
 * reports the OTP step's height once, on arrival, and then no height at all until the decision.
 * The consent and correction steps fit that height (sticky actions, the page scrolls inside the
 * frame if ever needed). Both also take focus the same way (their heading) and keep the title;
 * whatever happens inside the correction step (tries, the list of names) reports nothing.
 */
const HEIGHT_FROZEN: ReadonlySet<Step> = new Set(['otp', 'consent', 'correction']);

/** A long name as registries hold them (a 100-character one would only make every OTP step emptier). */
const PROBE_NAME = 'Venkata Lakshmi Narasimha Satyanarayana';
/** The correction step at its tallest: a full list of names on the mobile, tries left. */
const TALLEST_CORRECTION: Correction = {
  name: PROBE_NAME,
  triesLeft: NAME_TRIES_PER_SESSION,
  names: Array.from({ length: MAX_NAMES_PER_MOBILE }, () => PROBE_NAME),
  fixedByHost: false,
};

/** The frame page: talks to the parent, renders the current step, moves focus, reports its height. */
export class KycVsApp extends LightElement {
  readonly #flow = new Flow(this);
  #channel: ParentChannel | undefined;
  #focusedStep: Step = 'starting';
  #focusedAlert: Alert | null = null;
  #heightFrozen = false;
  #reportedHeight = -1;
  /**
   * The first step as the server sent it (prerender.ts): on screen, typed into, before this script
   * ran. It stays until the flow has a step of its own to show, then gives way in one update.
   */
  readonly #prerendered: ChildNode[] = [...this.childNodes];
  /** The field the citizen was in when the server's step gave way, to be in again. */
  #carriedFocus: { id: string; start: number | null; end: number | null } | null = null;

  /** `parent`: the handshake with the parent, begun by main.ts (undefined for a page that has none). */
  async boot(config: FramePageConfig, parent: Promise<ParentChannel> | undefined): Promise<void> {
    if (!config.ok) return this.#endEarly(config.error);
    let channel: ParentChannel;
    try {
      // The verification link's own page has no parent: its posts end the page itself.
      channel = config.standalone
        ? pageChannel({ sessionId: config.sessionId, lang: config.lang }, (ending) => void showEnding(this, this.#flow, ending))
        : await (parent ?? Promise.reject(new Error('not_framed')));
    } catch {
      return this.#endEarly('not_framed');
    }
    this.#channel = channel;
    const { options } = channel;
    // The citizen's own choice earlier in this browser session, then the host's, then the browser's.
    const lang = pickLang(rememberedLang(), [options.lang ?? '', ...navigator.languages]);
    const t = await loadCatalog(lang);
    document.documentElement.lang = lang;
    document.title = t.title;
    this.#flow.lang = lang;
    if (options.accent && CSS.supports('color', options.accent)) {
      document.documentElement.style.setProperty('--kycvs-accent', options.accent);
    }
    new ResizeObserver(() => this.#reportHeight()).observe(this);
    // Escape closes a modal frame; on a page of its own it would throw the check away.
    if (!config.standalone) {
      document.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this.#leave();
      });
    }
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
    on<string>('kycvs-correct-name', (name) => void flow.correctName(name));
    on('kycvs-show-names', () => void flow.showNames());
    on('kycvs-change-number', () => flow.changeNumber());
    on<Alert>('kycvs-invalid', (alert) => flow.invalid(alert));
    on<boolean>('kycvs-decide', (allow) => void this.#decide(allow));
    on('kycvs-cancel', () => this.#leave());
    // No match, and no correction: the check ends here; the host hears "failed", as for any check that cannot go on.
    on('kycvs-end', () => this.#channel?.post({ type: 'kycvs:error', code: 'failed' }));
    on('kycvs-close', () => this.#leave());
    on<Lang>('kycvs-lang', (lang) => void this.#switchLang(lang));
  }

  /**
   * The switcher: the same step re-renders in the new language, keeping what was typed. It posts
   * nothing: while the height is frozen (OTP step to decision) the new layout is not reported
   * either, and scrolls inside the frame if it must (#reportHeight).
   */
  async #switchLang(lang: Lang): Promise<void> {
    let t;
    try {
      t = await loadCatalog(lang);
    } catch {
      return; // The language's file did not load: the page stays as it is.
    }
    document.documentElement.lang = lang;
    document.title = t.title;
    await this.#flow.relabel(t, lang);
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

  protected override update(changed: PropertyValues): void {
    const takingOver = this.#flow.step !== 'starting' && this.#prerendered.length > 0;
    if (takingOver) this.#carryOver();
    super.update(changed);
    // In the same task as the render that replaces them: no frame shows both, or neither.
    if (takingOver) for (const node of this.#prerendered.splice(0)) node.remove();
  }

  /** What the citizen did in the server's step before this script ran: typed values, and where the caret was. */
  #carryOver(): void {
    const typed = (name: string) => this.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value ?? '';
    const { prefill } = this.#flow;
    this.#flow.prefill = { mobile: typed('mobile') || prefill.mobile, name: typed('name') || prefill.name };
    const active = document.activeElement;
    if (active && active !== this && this.contains(active) && active.id) {
      const input = active instanceof HTMLInputElement ? active : null;
      this.#carriedFocus = { id: active.id, start: input?.selectionStart ?? null, end: input?.selectionEnd ?? null };
    }
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
      const carried = this.#carriedFocus;
      this.#carriedFocus = null;
      const again = carried && document.getElementById(carried.id);
      if (carried && again instanceof HTMLElement) {
        again.focus();
        if (again instanceof HTMLInputElement && carried.start !== null) again.setSelectionRange(carried.start, carried.end ?? carried.start);
      } else {
        current?.focusStart();
      }
    } else if (alert?.field && alert !== this.#focusedAlert) {
      this.#focusedAlert = alert;
      this.querySelector<HTMLInputElement>(`input[name="${alert.field}"]`)?.focus();
    }
  }

  /**
   * The OTP step's height, grown to fit the tallest of the steps that may follow it: the consent
   * step, and the correction step with a full list of names; each under the longest alert the
   * frame may show. All are laid out now, hidden, at the same width and with what they will say
   * (language, who asks), before anyone knows which one will come.
   */
  async #frozenHeight(otpStep: StepElement): Promise<number> {
    const { t, client, issuer } = this.#flow;
    const probe = document.createElement('div');
    probe.className = 'probe';
    probe.inert = true;
    probe.style.width = `${otpStep.getBoundingClientRect().width}px`;
    const alerts = [`${t.nameMissed} ${t.nameTriesLeft(NAME_TRIES_PER_SESSION - 1)}`, ...Object.values(t.errors)];
    const alert = html`<p class="alert">${alerts.reduce((a, b) => (b.length > a.length ? b : a))}</p>`;
    render(
      html`<div>${alert}<kycvs-consent-step .t=${t} .client=${client} .pageLang=${this.#flow.lang} .issuer=${issuer}></kycvs-consent-step></div>
        <div>${alert}<kycvs-correction-step .t=${t} .correction=${TALLEST_CORRECTION}></kycvs-correction-step></div>`,
      probe,
    );
    document.body.append(probe);
    await Promise.all([...probe.querySelectorAll<StepElement>('kycvs-consent-step, kycvs-correction-step')].map((step) => step.updateComplete));
    const tallest = Math.max(...[...probe.children].map((candidate) => (candidate as HTMLElement).offsetHeight));
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
        return html`<kycvs-consent-step data-step .t=${t} .client=${client} .pageLang=${this.#flow.lang} .issuer=${this.#flow.issuer}
          .busy=${busy}></kycvs-consent-step>`;
      case 'correction':
        return html`<kycvs-correction-step data-step .t=${t} .correction=${this.#flow.correction} .busy=${busy}
          .invalid=${invalid}></kycvs-correction-step>`;
      case 'done':
        return html`<kycvs-end-step data-step .t=${t} .heading=${t.doneHeading} .text=${sentenceWith(html, t.doneText, inLang(html, client.name, client.nameLang, this.#flow.lang))}
          .shared=${shared} .closable=${true}></kycvs-end-step>`;
      case 'ended':
        return html`<kycvs-end-step data-step .t=${t} .heading=${t.errorHeading} .text=${ended?.text ?? ''}
          .closable=${Boolean(ended?.outcome)}></kycvs-end-step>`;
      case 'starting':
        return html`<p class="hint" aria-busy="true">${t?.loading ?? ''}</p>`;
    }
  }

  protected override render() {
    const { t, step, client, alert, notice, lang, issuer } = this.#flow;
    // The server's first step stays on screen until the flow has one of its own to show (update).
    if (step === 'starting' && this.#prerendered.length) return nothing;
    return shell(html, {
      t,
      client,
      lang,
      issuer,
      alert: alert?.text ?? '',
      notice,
      languageSwitch: html`<kycvs-language-switch .t=${t} .current=${lang}></kycvs-language-switch>`,
      step: this.#step(),
    });
  }
}

customElements.define('kycvs-app', KycVsApp);
