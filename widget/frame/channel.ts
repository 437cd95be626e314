// The frame's side of the handshake (see protocol/messages.ts): say `ready` to the one allowed
// parent origin, take the MessagePort from its `init`, then talk only over that port.
import { PROTOCOL_VERSION, readInitMessage, type FrameEvent, type FrameOptions, type ReadyMessage } from '../../protocol/messages.ts';

type Payload<E> = E extends FrameEvent ? Omit<E, 'v'> : never;

export interface ParentChannel {
  readonly options: FrameOptions;
  post(event: Payload<FrameEvent>): void;
}

/** Resolves once the parent answered; rejects at once when this page is not framed by `parentOrigin`. */
export function connectToParent(parentOrigin: string): Promise<ParentChannel> {
  const ancestors = location.ancestorOrigins;
  if (window.parent === window || (ancestors && ancestors[0] !== parentOrigin)) {
    return Promise.reject(new Error('not_framed'));
  }
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window.parent || event.origin !== parentOrigin) return;
      const options = readInitMessage(event.data);
      const port = event.ports[0];
      if (!options || !port) return;
      window.removeEventListener('message', onMessage);
      resolve({ options, post: (message) => port.postMessage({ ...message, v: PROTOCOL_VERSION }) });
    };
    window.addEventListener('message', onMessage);
    const ready: ReadyMessage = { type: 'kycvs:ready', v: PROTOCOL_VERSION };
    // The exact origin, never '*': if the parent is anyone else the browser drops the message.
    window.parent.postMessage(ready, parentOrigin);
  });
}

/** What a standalone page shows an ending for: the posts that would have ended the frame's check. */
export type Ending = Extract<Payload<FrameEvent>, { type: 'kycvs:result' | 'kycvs:deny' | 'kycvs:cancel' | 'kycvs:error' }>;

/**
 * The verification link's page is top-level: there is no parent to tell, and nothing is posted
 * anywhere. The app's posts end the page itself instead (`onEnd`, once: a later Close or Cancel
 * changes nothing); heights and the "done" screen's Close mean nothing without a parent.
 */
export function pageChannel(options: FrameOptions, onEnd: (ending: Ending) => void): ParentChannel {
  let ended = false;
  return {
    options,
    post(event) {
      if (ended || event.type === 'kycvs:resize' || event.type === 'kycvs:close') return;
      ended = true;
      onEnd(event);
    },
  };
}
