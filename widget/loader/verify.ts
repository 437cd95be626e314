import {
  PROTOCOL_VERSION,
  isFrameEvent,
  isReadyMessage,
  type FrameEvent,
  type InitMessage,
  type VerifyOptions,
  type VerifyResult,
} from '../../protocol/messages.ts';
import { KycVsError } from './errors.ts';
import { openModal, type Modal } from './modal.ts';

/**
 * A frame refused by `frame-ancestors` still fires `load` but never says `ready`. The frame posts
 * `ready` before its own load event, so this grace only covers cross-process delivery order.
 */
const READY_GRACE_MS = 3000;

// The frame's title in each language. Kept here, not imported from the frame's catalogs, so the
// loader stays a few kilobytes.
const LABELS: Record<string, string> = { en: 'Vaccination status check', hi: 'टीकाकरण स्थिति जाँच' };

let open = false;

/** Opens the frame and settles once the citizen shares, refuses, cancels or the frame cannot run. */
export function verify(options: VerifyOptions, scriptUrl: URL): Promise<VerifyResult> {
  return new Promise<VerifyResult>((resolve, reject) => {
    if (typeof options?.clientId !== 'string' || options.clientId === '') {
      throw new KycVsError('failed', 'KycVs.verify needs a clientId');
    }
    if (open) throw new KycVsError('failed', 'a verification is already open');
    open = true;

    const src = new URL('widget/', scriptUrl);
    src.searchParams.set('client_id', options.clientId);
    src.searchParams.set('origin', location.origin);
    const serviceOrigin = src.origin;
    const lang = (options.lang ?? navigator.language).slice(0, 2);

    let port: MessagePort | undefined;
    let settled = false;
    let readyTimer: ReturnType<typeof setTimeout> | undefined;

    const settle = (error: KycVsError | null, result?: VerifyResult) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(result!);
    };
    const close = () => {
      window.removeEventListener('message', onWindowMessage);
      clearTimeout(readyTimer);
      port?.close();
      modal.close();
      open = false;
    };
    const fail = (error: KycVsError) => {
      settle(error);
      close();
    };
    const cancel = () => (settled ? close() : fail(new KycVsError('cancelled', 'the citizen cancelled')));

    const onPortMessage = (event: MessageEvent) => {
      if (!isFrameEvent(event.data)) return;
      const message: FrameEvent = event.data;
      switch (message.type) {
        case 'kycvs:resize':
          return modal.setHeight(message.height);
        case 'kycvs:result':
          // The frame keeps a "done" screen up until the citizen closes it; the host can go on now.
          return settle(null, { token: message.token, status: message.status });
        case 'kycvs:deny':
          return fail(new KycVsError('denied', 'the citizen chose not to share'));
        case 'kycvs:error':
          return fail(new KycVsError(message.code, `verification ${message.code}`));
        case 'kycvs:cancel':
        case 'kycvs:close':
          return cancel();
      }
    };

    // Only the handshake uses window messages: from our own frame's window and the service origin.
    const onWindowMessage = (event: MessageEvent) => {
      const target = modal.frame.contentWindow;
      if (port || !target || event.source !== target || event.origin !== serviceOrigin) return;
      if (!isReadyMessage(event.data)) return;
      clearTimeout(readyTimer);
      const channel = new MessageChannel();
      port = channel.port1;
      port.onmessage = onPortMessage;
      const { sessionId, nonce, name, mobile } = options;
      const init: InitMessage = {
        type: 'kycvs:init',
        v: PROTOCOL_VERSION,
        options: { sessionId, nonce, name, mobile, lang, accent: modal.accent },
      };
      target.postMessage(init, serviceOrigin, [channel.port2]);
      modal.frame.focus();
    };

    window.addEventListener('message', onWindowMessage);
    const modal: Modal = openModal(src.href, LABELS[lang] ?? LABELS.en!, cancel);
    modal.frame.addEventListener('load', () => {
      if (port) return;
      readyTimer = setTimeout(
        () => fail(new KycVsError('blocked_origin', `${location.origin} may not embed the verification page`)),
        READY_GRACE_MS,
      );
    });
  });
}
