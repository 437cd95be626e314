// The verification link page's last screen. The page has no website around it to close it, so it
// ends on a page of its own: what happened, that the verifier has been told (when it has), and
// that the tab can be closed. It takes the app's place, so nothing of the check stays on screen.
import { html, render } from 'lit';
import type { Catalog } from '../i18n/index.ts';
import type { Ending } from './channel.ts';
import { inLang, sentenceWith, type ShownClient } from './client-text.ts';
import type { EndStep } from './steps/end-step.ts';
import './steps/end-step.ts';

interface Shown {
  t: Catalog;
  client: ShownClient;
  lang: string;
}

export async function showEnding(app: HTMLElement, { t, client, lang }: Shown, ending: Ending): Promise<void> {
  // The verifier's name, marked English where it has no text in the page's language (as in the frame).
  const name = inLang(html, client.name, client.nameLang, lang);
  const [heading, text] =
    ending.type === 'kycvs:result'
      ? [t.doneHeading, sentenceWith(html, t.linkDone, name)]
      : ending.type === 'kycvs:deny'
        ? [t.linkDeniedHeading, sentenceWith(html, t.linkDenied, name)]
        : [t.linkEndedHeading, sentenceWith(html, t.linkEnded, name)];
  const shared = ending.type === 'kycvs:result' ? ending.status : undefined;
  const page = document.createElement('div');
  page.className = 'ending';
  render(
    html`<header class="header">
        <p class="asker">${sentenceWith(html, t.asks, name)}</p>
        <p class="purpose">${t.purpose}: ${inLang(html, client.purpose, client.purposeLang, lang)}</p>
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
