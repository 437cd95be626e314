import './styles.css';
import { KycVsApp } from './app.ts';
import { readPageConfig } from './config.ts';

// Boot synchronously, before the page's load event, so the parent sees `ready` before `load`.
const app = document.querySelector('kycvs-app');
if (app instanceof KycVsApp) void app.boot(readPageConfig());
