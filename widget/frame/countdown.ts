import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Whole seconds left until a deadline, re-rendering its host once a second until it reaches 0. */
export class Countdown implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #deadline = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  get seconds(): number {
    return Math.max(0, Math.ceil((this.#deadline - Date.now()) / 1000));
  }

  start(seconds: number): void {
    this.until(Date.now() + seconds * 1000);
  }

  /** Counts down to a moment (ms since the epoch), e.g. a minute after a code was sent. */
  until(deadline: number): void {
    this.#deadline = deadline;
    this.#stop();
    this.#timer = setInterval(() => {
      if (this.seconds === 0) this.#stop();
      this.#host.requestUpdate();
    }, 1000);
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
