/** One text message to a 10-digit Indian mobile number. */
export interface SmsMessage {
  to: string;
  text: string;
}

/** Where OTP texts go: the demo outbox, or an operator's SMS gateway. */
export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
  /** Releases connections on shutdown, once every text handed over was sent. */
  close?(): void;
}

export class SmsDeliveryError extends Error {
  readonly code = 'sms_delivery_failed';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}
