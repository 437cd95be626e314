import { html } from '../html.ts';
import { languageOptions } from './language-options.ts';
import { layout } from './layout.ts';

const TRAINS = ['12951 Mumbai Rajdhani', '12002 Bhopal Shatabdi', '22439 Vande Bharat Express'];

/** A booking form whose "Verify" runs the recommended flow: session from the backend, token back to it. */
export function railwayPage(serviceUrl: string): string {
  const main = html`
    <h1>Demo Railways: book a ticket</h1>
    <p>Travel rules ask for each passenger's vaccination status. We learn that one fact, and only if the passenger agrees.</p>
    <form id="booking" data-client-id="demo-railway" novalidate>
      <label>Passenger name <input name="passenger" autocomplete="off" /></label>
      <label>Passenger mobile <input name="mobile" inputmode="numeric" autocomplete="off" /></label>
      <label>Train
        <select name="train">${TRAINS.map((train) => html`<option>${train}</option>`)}</select>
      </label>
      <label>Language of the check
        <select name="lang">${languageOptions("Browser's language")}</select>
      </label>
      <button type="button" id="verify">Verify vaccination status</button>
    </form>
    <section class="result" aria-labelledby="verification-heading">
      <h2 id="verification-heading">Vaccination status</h2>
      <output id="verification-result" aria-live="polite" data-state="idle">Not checked yet.</output>
    </section>
    <section class="result" aria-labelledby="webhook-heading">
      <h2 id="webhook-heading">Events received by webhook</h2>
      <p>KYC-VS also tells our server how each check ended, by a signed POST that our server verifies.</p>
      <output id="webhook-result" aria-live="polite" data-state="idle">No event yet.</output>
    </section>`;
  return layout({ title: 'Demo Railways: book a ticket', serviceUrl, main, scripts: ['railway'] });
}
