// The demo SMS outbox panel: demo mode sends no SMS, so the texts are shown here, newest first.
import type { OutboxEntry } from '../../server/sms/outbox.ts';

const REFRESH_MS = 2000;
const SHOWN = 5;

const panel = document.querySelector<HTMLElement>('#sms-outbox')!;
const list = panel.querySelector<HTMLOListElement>('.sms-list')!;
let lastSeen = '';

function renderEntry({ to, text, sent_at }: OutboxEntry): HTMLLIElement {
  const item = document.createElement('li');
  const meta = document.createElement('p');
  meta.className = 'sms-meta';
  meta.textContent = `To ${to} at ${new Date(sent_at).toLocaleTimeString()}`;
  const body = document.createElement('p');
  body.className = 'sms-text';
  // Make the code stand out; everything is set as text, never as HTML.
  const code = /\b\d{6}\b/.exec(text);
  if (code) {
    const strong = document.createElement('strong');
    strong.textContent = code[0];
    body.append(text.slice(0, code.index), strong, text.slice(code.index + code[0].length));
  } else {
    body.append(text);
  }
  item.append(meta, body);
  return item;
}

async function refresh(): Promise<void> {
  if (document.visibilityState !== 'visible') return;
  try {
    const response = await fetch(`${panel.dataset.service}/v1/dev/sms`, { cache: 'no-store' });
    const { messages } = (await response.json()) as { messages: OutboxEntry[] };
    const key = messages[0] ? `${messages.length}:${messages[0].sent_at}` : '';
    if (key === lastSeen) return;
    lastSeen = key;
    list.replaceChildren(...messages.slice(0, SHOWN).map(renderEntry));
  } catch {
    // The service may be restarting; the next tick tries again.
  }
}

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
