import { html, type SafeHtml } from '../html.ts';

export interface PageParts {
  title: string;
  /** The KYC-VS service origin: embed.js and the SMS outbox come from there. */
  serviceUrl: string;
  main: SafeHtml;
  /** This site's own module scripts under /assets/. */
  scripts?: string[];
}

/** The demo host's frame: nav, the page, the demo SMS outbox, and the one script tag a host adds. */
export function layout({ title, serviceUrl, main, scripts = [] }: PageParts): string {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="stylesheet" href="/static/demo.css" />
  </head>
  <body>
    <header class="site-header">
      <a class="brand" href="/">Demo host</a>
      <nav aria-label="Demo pages"><a href="/railway">Railway booking</a> <a href="/hotel">Hotel check-in</a> <a href="/employer">Employer links</a></nav>
    </header>
    <div class="layout">
      <main>${main}</main>
      <aside id="sms-outbox" data-service="${serviceUrl}" aria-labelledby="sms-outbox-heading">
        <h2 id="sms-outbox-heading">Demo SMS outbox</h2>
        <p class="hint">Demo mode sends no real SMS: the texts appear here.</p>
        <ol class="sms-list"></ol>
        <details>
          <summary>Demo people</summary>
          <ul>
            <li>9876543210: Asha Verma (fully vaccinated), Ravi Verma (partially), Meera Verma (not vaccinated)</li>
            <li>9123456780: Arjun Singh (fully vaccinated, single-dose vaccine)</li>
            <li>9000000000: not in the registry</li>
          </ul>
        </details>
      </aside>
    </div>
    <script src="${serviceUrl}/embed.js"></script>
    ${['outbox', ...scripts].map((name) => html`<script type="module" src="/assets/${name}.js"></script>`)}
  </body>
</html>`.value;
}
