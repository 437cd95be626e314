// The railway page's script: ask our backend for a session, let the passenger answer in the
// KYC-VS frame, hand the token to our backend, and show what the backend verified.
import type { KycVsErrorCode } from '../../protocol/messages.ts';
import type {} from '../../widget/loader/embed.ts';
import type { DemoErrorResponse, RailwaySessionResponse, RailwayVerifyRequest, RailwayVerifyResponse } from '../contract.ts';
import type { ReceivedEvent, WebhookEventsResponse } from '../webhook-receiver.ts';

const OUTCOMES: Record<KycVsErrorCode, string> = {
  cancelled: 'The passenger closed the check without answering.',
  denied: 'The passenger chose not to share their vaccination status.',
  expired: 'The check took too long and expired. Start it again.',
  failed: 'The check could not be completed.',
  blocked_origin: 'This site is not allowed to embed the KYC-VS check.',
};

const form = document.querySelector<HTMLFormElement>('#booking')!;
const button = document.querySelector<HTMLButtonElement>('#verify')!;
const output = document.querySelector<HTMLOutputElement>('#verification-result')!;
const webhookOutput = document.querySelector<HTMLOutputElement>('#webhook-result')!;

const EVENT_TEXT: Record<ReceivedEvent['type'], string> = {
  'session.completed': 'the passenger shared their status',
  'session.denied': 'the passenger chose not to share',
  'session.expired': 'the check expired without an answer',
  'session.failed': 'the check failed (too many wrong codes)',
};

/** Our server's record of the session's events, as KYC-VS pushed them; polled for a little while. */
async function watchWebhook(sessionId: string): Promise<void> {
  webhookOutput.dataset.state = 'pending';
  webhookOutput.textContent = 'Waiting for the signed event…';
  for (let tries = 0; tries < 60; tries++) {
    const response = await fetch(`/api/railway/events/${encodeURIComponent(sessionId)}`);
    const { enabled, events } = (await response.json()) as WebhookEventsResponse;
    if (!enabled) {
      webhookOutput.dataset.state = 'idle';
      webhookOutput.textContent = 'This demo runs without a webhook.';
      return;
    }
    const event = events[0];
    if (event) {
      const token = !event.token ? '' : 'error' in event.token ? ` Token refused: ${event.token.error}.` : ` Token in it verified: ${event.token.label} (status ${event.token.status}).`;
      webhookOutput.dataset.state = 'received';
      webhookOutput.dataset.type = event.type;
      webhookOutput.textContent = `${event.type} (signature verified): ${EVENT_TEXT[event.type]}.${token}`;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  webhookOutput.dataset.state = 'idle';
  webhookOutput.textContent = 'No event yet (an abandoned check reports "expired" when its session runs out).';
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = (await response.json()) as T | DemoErrorResponse;
  if (!response.ok) throw new Error((data as DemoErrorResponse).error);
  return data as T;
}

function show(state: 'pending' | 'verified' | 'error', text: string, code = ''): void {
  output.dataset.state = state;
  output.dataset.code = code;
  output.textContent = text;
}

button.addEventListener('click', async () => {
  const kycvs = window.KycVs;
  if (!kycvs) return show('error', 'The KYC-VS script did not load.', 'not_loaded');
  const fields = new FormData(form);
  const field = (name: string) => String(fields.get(name) ?? '').trim() || undefined;
  show('pending', 'Waiting for the passenger…');
  let sessionId: string | undefined;
  try {
    ({ sessionId } = await postJson<RailwaySessionResponse>('/api/railway/sessions', {}));
    const { token } = await kycvs.verify({
      clientId: form.dataset.clientId!,
      sessionId,
      name: field('passenger'),
      mobile: field('mobile'),
      lang: field('lang'),
    });
    const verified = await postJson<RailwayVerifyResponse>('/api/railway/verify', { sessionId, token } satisfies RailwayVerifyRequest);
    show('verified', `Verified by Demo Railways' server: ${verified.label} (status ${verified.status}).`, String(verified.status));
  } catch (error) {
    if (error instanceof kycvs.KycVsError) show('error', OUTCOMES[error.code], error.code);
    else show('error', `Verification failed: ${error instanceof Error ? error.message : String(error)}`, 'backend');
  }
  if (sessionId) void watchWebhook(sessionId);
});
