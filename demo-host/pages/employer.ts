import { html } from '../html.ts';
import { languageOptions } from './language-options.ts';
import { layout } from './layout.ts';

/**
 * An employer with no website for employees: HR makes a verification link, sends it by SMS or
 * email, and the result appears here once the employee has answered on KYC-VS's own page.
 */
export function employerPage(serviceUrl: string): string {
  const main = html`
    <h1>Demo Employer: vaccination status of new joiners</h1>
    <p>Our workplace policy asks new joiners for their vaccination status. We have no web page for them: we send
      each one a KYC-VS link. They confirm it is them on KYC-VS's own page and choose whether to share; we learn
      only the status.</p>
    <form id="new-link" class="checkin">
      <label>Employee (name or reference, kept on this list only)
        <input name="employee" required maxlength="80" autocomplete="off" />
      </label>
      <label>Language of the check
        <select name="lang">${languageOptions("Employee's browser language")}</select>
      </label>
      <button type="submit">Create verification link</button>
      <p id="create-error" class="error" role="alert"></p>
    </form>
    <section id="created" class="result" aria-labelledby="created-heading" hidden>
      <h2 id="created-heading">Link to send</h2>
      <p>Send this link to <strong id="created-for"></strong> by SMS or email. It can be used once and expires in 10 minutes.</p>
      <label>Verification link <input id="created-url" readonly /></label>
      <button type="button" id="copy">Copy link</button>
      <span id="copy-status" role="status"></span>
    </section>
    <section class="result" aria-labelledby="links-heading">
      <h2 id="links-heading">Links we created</h2>
      <p id="no-links">No links yet.</p>
      <table id="links" hidden>
        <thead>
          <tr><th scope="col">Employee</th><th scope="col">Created</th><th scope="col">Result</th></tr>
        </thead>
        <tbody></tbody>
      </table>
    </section>`;
  return layout({ title: 'Demo Employer: verification links', serviceUrl, main, scripts: ['employer'] });
}
