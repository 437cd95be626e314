import type { KycVsErrorCode } from '../../protocol/messages.ts';

/** The one error type `KycVs.verify()` rejects with; hosts switch on `code`. */
export class KycVsError extends Error {
  // Declared, not a class field: the constructor sets it, and a field costs the loader bytes.
  declare readonly code: KycVsErrorCode;

  constructor(code: KycVsErrorCode, message: string) {
    super(message);
    this.name = 'KycVsError';
    this.code = code;
  }
}
