import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** `consent: true` is the host backend's statement that its own app collected the code; the frame asks the citizen instead. */
export const checkConsentFlag: Step<{ consent: boolean }> = (ctx) => {
  if (ctx.input.consent && !ctx.caller.apiClient) {
    throw new ApiError('forbidden', 'consent: true is for host backends calling with their API key; the widget asks the citizen.');
  }
};
