// Clickjacking defence: Share acts only once the whole frame has been in view, unobscured, for
// ARM_AFTER_MS, and is still so when clicked. The host page can style the ancestors of our iframe
// (body opacity, an element laid over it) in ways the loader cannot stop, so the frame checks
// what the citizen can actually see, with IntersectionObserver v2 where the browser has it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** How long the frame must have been in full view, without a break, before Share acts. */
export const ARM_AFTER_MS = 500;

// v2's `isVisible` is false while anything is painted over the target (pointer-events: none
// included), or the target or any ancestor, in any frame, has opacity < 1, a filter, or a
// transform other than a 2D translation or proportional upscale. `delay` is v2's minimum
// (it is computed at most every 100 ms). Browsers without v2 give the interaction delay alone.
const OPTIONS = { threshold: [0, 1], trackVisibility: true, delay: 100 } as IntersectionObserverInit;
const HAS_V2 = 'isVisible' in IntersectionObserverEntry.prototype;

function inFullView(entry: IntersectionObserverEntry | undefined): boolean {
  if (!entry?.isIntersecting) return false;
  const { intersectionRect: seen, boundingClientRect: box } = entry;
  const whole = seen.width >= box.width - 1 && seen.height >= box.height - 1;
  return whole && (!HAS_V2 || (entry as IntersectionObserverEntry & { isVisible: boolean }).isVisible);
}

/**
 * What is watched: a transparent, click-through layer over the whole frame page, on top of
 * everything in it (so our own content does not count as covering it). In full view means the
 * citizen sees the whole frame: who asks, what is shared, and the buttons.
 */
function frameViewport(): Element {
  let layer = document.getElementById('kycvs-viewport');
  if (!layer) {
    layer = document.createElement('div');
    layer.id = 'kycvs-viewport';
    layer.setAttribute('aria-hidden', 'true');
    document.body.append(layer);
  }
  return layer;
}

function observe(onEntry: (visible: boolean) => void): IntersectionObserver {
  const observer = new IntersectionObserver((entries) => onEntry(inFullView(entries.at(-1))), OPTIONS);
  observer.observe(frameViewport());
  return observer;
}

/** Arms its host's sensitive action once the frame has been in full view for ARM_AFTER_MS. */
export class VisibilityGuard implements ReactiveController {
  armed = false;
  readonly #host: ReactiveControllerHost;
  #observer: IntersectionObserver | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    this.#observer = observe((visible) => this.#seen(visible));
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.armed = false;
  }

  /**
   * Armed, and in full view when asked: a fresh observation at the click closes most of the
   * window between the host hiding the frame and the running observer's next report.
   */
  async confirm(): Promise<boolean> {
    if (!this.armed) return false;
    const visible = await new Promise<boolean>((resolve) => {
      const observer = observe((seen) => {
        observer.disconnect();
        resolve(seen);
      });
    });
    if (!visible) this.#seen(false);
    return visible && this.armed;
  }

  #seen(visible: boolean): void {
    if (visible) {
      this.#timer ??= setTimeout(() => {
        this.armed = true;
        this.#host.requestUpdate();
      }, ARM_AFTER_MS);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.armed) {
      this.armed = false;
      this.#host.requestUpdate();
    }
  }
}
