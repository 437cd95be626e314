import { VACCINATION_STATUSES, type VaccinationStatus } from '../../protocol/api.ts';
import { html } from '../html.ts';
import { layout } from './layout.ts';

/**
 * Check-in with no page script: <kyc-vs-button> is a form control, so the token is submitted with
 * the form and verified on the server that renders the answer.
 */
export function hotelPage(serviceUrl: string, checkinId: string, nonce: string): string {
  const main = html`
    <h1>Demo Hotel: online check-in</h1>
    <p>Our check-in asks for your vaccination status. Only the status is shared, and only if you agree.</p>
    <form method="post" action="/hotel/check-in" class="checkin">
      <input type="hidden" name="checkin" value="${checkinId}" />
      <label>Guest name <input name="guest" autocomplete="off" /></label>
      <label>Booking reference <input name="booking" value="HTL-2048" autocomplete="off" /></label>
      <kyc-vs-button client-id="demo-hotel" nonce="${nonce}" name="kycvs_token">Verify vaccination status</kyc-vs-button>
      <p class="verified-note">Status received: complete check-in to have it verified.</p>
      <button type="submit">Complete check-in</button>
    </form>`;
  return layout({ title: 'Demo Hotel: online check-in', serviceUrl, main });
}

export function checkInResultPage(
  serviceUrl: string,
  guest: string,
  outcome: { status: VaccinationStatus } | { error: string },
): string {
  const main =
    'status' in outcome
      ? html`
          <h1>Checked in</h1>
          <p id="checkin-result" data-status="${outcome.status}">
            ${guest || 'Guest'}: vaccination status verified by Demo Hotel's server:
            <strong>${VACCINATION_STATUSES[outcome.status]}</strong>.
          </p>`
      : html`
          <h1>Check-in not completed</h1>
          <p id="checkin-result" data-error="${outcome.error}">The vaccination status could not be verified (${outcome.error}).</p>
          <p><a href="/hotel">Try again</a></p>`;
  return layout({ title: 'Demo Hotel: check-in', serviceUrl, main });
}
