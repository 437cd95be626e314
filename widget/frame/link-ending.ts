// The verification link page's last screen. The page has no website around it to close it, so it
// ends on a page of its own: what happened, that the verifier has been told (when it has), and
// that the tab can be closed. It takes the app's place, so nothing of the check stays on screen.
import { html, render } from 'lit';
import type { Catalog } from '../i18n/index.ts';
import type { Ending } from './channel.ts';
import type { EndStep } from './steps/end-step.ts';
import './steps/end-step.ts';

interface Shown {
  t: Catalog;
  client: { name: string; purpose: string };
}

export async function showEnding(app: HTMLElement, { t, client }: Shown, ending: Ending): Promise<void> {
  const [heading, text] =
    ending.type === 'kycvs:result'
      ? [t.doneHeading, t.linkDone(client.name)]
      : ending.type === 'kycvs:deny'
        ? [t.linkDeniedHeading, t.linkDenied(client.name)]
        : [t.linkEndedHeading, t.linkEnded(client.name)];
  const shared = ending.type === 'kycvs:result' ? ending.status : undefined;
  const page = document.createElement('div');
  page.className = 'ending';
  render(
    html`<header class="header">
        <p class="asker">${t.asks(client.name)}</p>
        <p class="purpose">${t.purpose}: ${client.purpose}</p>
      </header>
      <main>
        <kycvs-end-step .t=${t} .heading=${heading} .text=${text} .shared=${shared} .closable=${false}></kycvs-end-step>
      </main>`,
    page,
  );
  app.replaceWith(page);
  const step = page.querySelector<EndStep>('kycvs-end-step');
  await step?.updateComplete;
  step?.focusStart();
}
