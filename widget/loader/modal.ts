// The accessible modal that holds the frame: focus moves in and comes back, the rest of the page is
// inert, and narrow screens get a full-screen sheet. It lives in a shadow root so host styles cannot
// break it. Hosts theme it only through custom properties (colours, a bounded radius and width):
// no ::part, and `:host{all:initial!important}` (an !important rule of the shadow tree beats the
// page's, inline ones included), so the page cannot make the frame transparent, filtered,
// transformed, hidden or click-through by styling our elements. It can still style their
// ancestors (body opacity, an element laid over ours): the frame itself checks that it is in full
// view before Share acts (widget/frame/visibility.ts).

// Top-anchored, not centred: when the frame reports a new height only its bottom edge moves, so
// a button the citizen is about to press never jumps under the pointer. Narrow or short screens
// (a phone upright or on its side, 740×360) get the full-screen sheet: every pixel of height goes to
// the frame, whose consent buttons stay in view (sticky) instead of under the page's fold.
// One element is both the backdrop and the dialog (the frame is centred in it by auto side margins,
// not flex, and held 8vh from the top by its own margin): the same box in fewer bytes, which every
// host page loads. Colours as hex (#rrggbbaa), for the same bytes.
const STYLES =
  ':host{all:initial!important}' +
  'div{position:fixed;inset:0;z-index:2147483647;background-color:var(--kycvs-backdrop,#0f172a8c)}' +
  'iframe{display:block;width:min(100% - 2rem,max(var(--kycvs-width,440px),320px));margin:8vh auto 0;height:420px;max-height:calc(92vh - 1rem);border:0;border-radius:clamp(0px,var(--kycvs-radius,12px),24px);background:#fff;box-shadow:0 12px 40px #00000059}' +
  '@media (max-width:600px),(max-height:480px){iframe{margin:0;width:100%;height:100%!important;max-height:none;border-radius:0}}';

const REMOVE_DELAY_MS = 500;

/**
 * Opens the modal with the frame and returns the frame and the modal's close. A pair, not an object:
 * its names are the minifier's to shorten, which every host page's download is smaller for.
 */
export function openModal(src: string, label: string, onEscape: () => void): [frame: HTMLIFrameElement, close: () => void] {
  const opener = document.activeElement;
  const host = document.createElement('div');
  host.className = 'kyc-vs-modal';
  // Constructed stylesheets, not a <style> element, so hosts with a strict style-src CSP still work.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLES);
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet];

  const dialog = document.createElement('div');
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-modal', 'true');
  dialog.setAttribute('aria-label', label);
  const frame = document.createElement('iframe');
  frame.title = label;
  // WebOTP inside a cross-origin frame needs this permission from the embedding page.
  frame.allow = 'otp-credentials';
  frame.src = src;
  dialog.append(frame);
  root.append(dialog);

  const inerted = [...document.body.children].filter(
    (el): el is HTMLElement => el instanceof HTMLElement && !el.inert,
  );
  // In first: the frame's navigation starts now, and the page's restyle below overlaps it.
  document.body.append(host);
  for (const el of inerted) el.inert = true;
  const pageStyle = document.documentElement.style;
  const overflow = pageStyle.overflow;
  pageStyle.overflow = 'hidden';

  // Key presses inside the frame never reach this document; the frame reports its own Escape. On the
  // window, which the document's key events bubble to: no `document.` to download.
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onEscape();
  };
  addEventListener('keydown', onKey);

  return [
    frame,
    () => {
      removeEventListener('keydown', onKey);
      // Hide now, remove a moment later: the click that closed us may still be in flight in the
      // frame's process, and tearing the frame down under it can lose the browser's input ack.
      dialog.hidden = true;
      setTimeout(() => host.remove(), REMOVE_DELAY_MS);
      for (const el of inerted) el.inert = false;
      pageStyle.overflow = overflow;
      // After the host's own promise handlers have run (they may re-enable the opener).
      if (opener instanceof HTMLElement) setTimeout(() => opener.focus());
    },
  ];
}
