// The frame page's entry: small, so that it runs at once. The page already shows the first step
// (the server rendered it, prerender.ts); this says `ready` to the parent, so that `init` is on its
// way while the app's code (Lit, the steps, the flow) loads, and runs that code only once the
// page has been painted: the citizen sees the form without waiting for it.
import './styles.css';
import { connectToParent } from './channel.ts';
import { readPageConfig } from './config.ts';

const config = readPageConfig();
// The verification link's page stands alone in a tab: laid out as a page, not as a frame's content.
if (config.ok ? config.standalone : config.error.startsWith('link_')) document.documentElement.classList.add('standalone');
// Now, before the page's load event: the parent hears `ready` before `load`.
const parent = config.ok && !config.standalone ? connectToParent(config.parentOrigin) : undefined;
// A page that is not framed by its parent is told so by the app (boot); no unhandled rejection meanwhile.
parent?.catch(() => undefined);

/**
 * Once the server's first step has been painted (its first contentful paint): the app's code then
 * takes the main thread after the citizen sees the form, not before. A page without one (the link
 * page, an error) waits for nothing; a second at most should the browser never report the paint.
 */
function painted(): Promise<void> {
  const app = document.querySelector('kycvs-app');
  if (!app?.firstElementChild || !PerformanceObserver.supportedEntryTypes.includes('paint')) return Promise.resolve();
  return new Promise((resolve) => {
    new PerformanceObserver((entries, observer) => {
      if (!entries.getEntriesByName('first-contentful-paint').length) return;
      observer.disconnect();
      resolve();
    }).observe({ type: 'paint', buffered: true });
    setTimeout(resolve, 1000);
  });
}

void painted()
  .then(() => import('./app.ts'))
  .then(({ KycVsApp }) => {
    const app = document.querySelector('kycvs-app');
    if (app instanceof KycVsApp) void app.boot(config, parent);
  });
