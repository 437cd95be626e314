import {
  PROTOCOL_VERSION,
  type FrameEvent,
  type InitMessage,
  type KycVsErrorCode,
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

type FieldOf<T> = T extends unknown ? keyof T : never;
/**
 * A message on the port, every field unchecked until read. `type` is typed only so that a renamed
 * event breaks the build; at run time it is just compared.
 */
type FrameEventFields = Partial<Record<FieldOf<FrameEvent>, unknown>> & { type?: FrameEvent['type'] };

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
    let readyTimer: ReturnType<typeof setTimeout> | undefined;

    const close = () => {
      window.removeEventListener('message', onWindowMessage);
      clearTimeout(readyTimer);
      port?.close();
      modal.close();
      open = false;
    };
    // A promise settles once: after the citizen shared, a later cancel or close only closes.
    // Hosts switch on the code, so the message is the code itself unless it adds a fact.
    const fail = (code: KycVsErrorCode, message: string = code) => {
      reject(new KycVsError(code, message));
      close();
    };
    const cancel = () => fail('cancelled');

    // Each event is checked and handled in one place (protocol/messages.ts isFrameEvent's checks, not
    // the function: a guard and a second switch over the same types cost every host page bytes).
    // The port is private to our frame, but a frame of another version may send what this loader
    // does not know: that is ignored.
    const onPortMessage = ({ data }: MessageEvent<FrameEventFields | null>) => {
      if (data?.v !== PROTOCOL_VERSION) return;
      const { type, height, token, status, code } = data;
      if (type === 'kycvs:resize' && typeof height === 'number' && height >= 0) modal.setHeight(height);
      // The frame keeps a "done" screen up until the citizen closes it; the host can go on now.
      if (type === 'kycvs:result' && typeof token === 'string' && (status === 0 || status === 1 || status === 2)) {
        resolve({ token, status });
      }
      if (type === 'kycvs:deny') fail('denied');
      if (type === 'kycvs:error' && (code === 'expired' || code === 'failed')) fail(code);
      if (type === 'kycvs:cancel' || type === 'kycvs:close') cancel();
    };

    // Only the handshake uses window messages: from our own frame's window and the service origin.
    const onWindowMessage = (event: MessageEvent) => {
      const target = modal.frame.contentWindow;
      if (port || !target || event.source !== target || event.origin !== serviceOrigin) return;
      // isReadyMessage's check, written out for the same reason.
      if (event.data?.type !== 'kycvs:ready' || event.data.v !== PROTOCOL_VERSION) return;
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
    modal.frame.onload = () => {
      if (port) return;
      readyTimer = setTimeout(
        () => fail('blocked_origin', `${location.origin} may not embed the verification page`),
        READY_GRACE_MS,
      );
    };
  });
}
