import './styles.css';
import { KycVsApp } from './app.ts';
import { readPageConfig } from './config.ts';

const config = readPageConfig();
// The verification link's page stands alone in a tab: laid out as a page, not as a frame's content.
if (config.ok ? config.standalone : config.error.startsWith('link_')) document.documentElement.classList.add('standalone');
// Boot synchronously, before the page's load event, so the parent sees `ready` before `load`.
const app = document.querySelector('kycvs-app');
if (app instanceof KycVsApp) void app.boot(config);
