import { html } from '../html.ts';
import { layout } from './layout.ts';

export function indexPage(serviceUrl: string): string {
  const main = html`
    <h1>KYC-VS demo host</h1>
    <p>This site plays a verifier that embeds the KYC-VS check. It runs on its own origin; the check comes from
      <code>${serviceUrl}</code>.</p>
    <ul>
      <li><a href="/railway">Railway booking</a>: the backend creates the session with its API key (recommended).</li>
      <li><a href="/hotel">Hotel check-in</a>: a <code>&lt;kyc-vs-button&gt;</code> in a plain form, no page script.</li>
      <li><a href="/employer">Employer links</a>: no page embeds the check; the backend creates a verification link that
        HR sends to the employee, and the dashboard lists the results as they come in.</li>
    </ul>`;
  return layout({ title: 'KYC-VS demo host', serviceUrl, main });
}
