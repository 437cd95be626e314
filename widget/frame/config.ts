import { FRAME_CONFIG_ELEMENT_ID, type FramePageConfig } from '../../protocol/messages.ts';

/** The boot data the server injected into the page; a page without it is treated as misplaced. */
export function readPageConfig(): FramePageConfig {
  const text = document.getElementById(FRAME_CONFIG_ELEMENT_ID)?.textContent ?? 'null';
  const config = JSON.parse(text) as FramePageConfig | null;
  return config ?? { ok: false, error: 'unknown_client' };
}
