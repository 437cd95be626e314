// What a curious host page can observe of the verification frame, recorded from inside the host
// page before the loader runs: every message the frame sends (window messages, and the loader's
// private port, which lives in the host's own realm and so can be tapped), every change to the
// iframe element's attributes (the loader sets its height), the sizes a ResizeObserver sees,
// focus and blur in the host document, and, with each entry, what the host's
// document.activeElement is and the frame's title. No timestamps: order only.
import type { Page } from '@playwright/test';

export interface Observation {
  kind: 'window-message' | 'port-message' | 'frame-attribute' | 'window-focus' | 'window-blur' | 'focusin' | 'focusout';
  /** The message's data, or the attribute's name and value, or the focus target. */
  detail: string;
  /** document.activeElement of the host page (through the loader's open shadow root). */
  active: string;
  /** The iframe element's size when this was seen, in CSS px. */
  frameSize: string;
  frameTitle: string;
}

export interface HostView {
  observations: Observation[];
  /** Sizes of the iframe element as the host's ResizeObserver reported them (coalesced by the browser). */
  resizes: string[];
}

declare global {
  interface Window {
    hostView: HostView;
  }
}

/** Installs the recorder; call before the page navigates. */
export async function recordHostView(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (window !== window.top) return; // init scripts run in every frame: record in the host page only
    const view: HostView = { observations: [], resizes: [] };
    window.hostView = view;
    let frame: HTMLIFrameElement | null = null;

    const describe = (el: Element | null) => (el ? el.tagName.toLowerCase() + (el.className ? `.${String(el.className)}` : '') : 'none');
    const active = () => {
      const outer = document.activeElement;
      const inner = outer?.shadowRoot?.activeElement ?? null;
      return inner ? `${describe(outer)} > ${describe(inner)}` : describe(outer);
    };
    const size = (el: Element | null) => {
      if (!el) return 'none';
      const box = el.getBoundingClientRect();
      return `${Math.round(box.width)}x${Math.round(box.height)}`;
    };
    const note = (kind: Observation['kind'], detail: string) =>
      view.observations.push({ kind, detail, active: active(), frameSize: size(frame), frameTitle: frame?.title ?? 'none' });

    addEventListener('message', (event) => note('window-message', `${JSON.stringify(event.data)} ports:${event.ports.length}`));
    addEventListener('focus', (event) => event.target === window && note('window-focus', ''));
    addEventListener('blur', (event) => event.target === window && note('window-blur', ''));
    addEventListener('focusin', (event) => note('focusin', describe(event.target as Element)), true);
    addEventListener('focusout', (event) => note('focusout', describe(event.target as Element)), true);

    // The loader's MessageChannel is made in this realm: a listener on its port1 hears everything.
    const NativeChannel = window.MessageChannel;
    window.MessageChannel = class extends NativeChannel {
      constructor() {
        super();
        this.port1.addEventListener('message', (event) => note('port-message', JSON.stringify(event.data)));
      }
    };

    const resizes = new ResizeObserver((entries) => {
      for (const entry of entries) view.resizes.push(`${Math.round(entry.contentRect.width)}x${Math.round(entry.contentRect.height)}`);
    });
    const attributes = new MutationObserver((records) => {
      for (const record of records) {
        const el = record.target as Element;
        note('frame-attribute', `${record.attributeName}=${el.getAttribute(record.attributeName!)}`);
      }
    });
    new MutationObserver(() => {
      const found = document.querySelector('.kyc-vs-modal')?.shadowRoot?.querySelector('iframe') ?? null;
      if (!found || found === frame) return;
      frame = found;
      resizes.observe(found);
      attributes.observe(found, { attributes: true });
    }).observe(document, { childList: true, subtree: true });
  });
}

export function hostView(page: Page): Promise<HostView> {
  return page.evaluate(() => window.hostView);
}

const DECISIONS = ['kycvs:result', 'kycvs:deny', 'kycvs:error', 'kycvs:cancel', 'kycvs:close'];

/** The observations before the frame first told the host how the check ended (the citizen's decision). */
export function beforeDecision(observations: Observation[]): Observation[] {
  const end = observations.findIndex(
    (o) => o.kind === 'port-message' && DECISIONS.includes((JSON.parse(o.detail) as { type: string }).type),
  );
  if (end < 0) throw new Error('the frame never told the host how the check ended');
  return observations.slice(0, end);
}

/** The first message that tells the host how the check ended. */
export function decision(observations: Observation[]): unknown {
  return JSON.parse(observations[beforeDecision(observations).length]!.detail);
}
