// Three builds, one per mode, because each output has a different shape:
//   vite build               → dist/widget/   the frame page (HTML + hashed assets, served under /widget/)
//   vite build --mode embed  → dist/embed.js  the loader, one classic script (IIFE) for any host page,
//                              and dist/embed.d.ts, its types (packages/verifier/embed.d.ts)
//   vite build --mode demo   → dist/demo-host/ the demo host's page scripts (ES modules)
//   vite build --mode me     → dist/me/       the citizen's own history page (served under /me/)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Where the service serves the frame page and its assets (server/http/widget-routes.ts). */
const FRAME_BASE = '/widget/';

/**
 * The frame's entry runs first and loads the app (Lit, the steps) once the server's first step is
 * painted (widget/frame/main.ts); the page fetches the app meanwhile, so that it is ready by then.
 */
const appPreload: Plugin = {
  name: 'kycvs-app-preload',
  transformIndexHtml: {
    order: 'post',
    handler: (_html, { chunk }) =>
      (chunk?.dynamicImports ?? []).map((file) => ({
        tag: 'link',
        attrs: { rel: 'modulepreload', crossorigin: true, href: `${FRAME_BASE}${file}` },
        injectTo: 'head' as const,
      })),
  },
};

const frame: UserConfig = {
  root: here('widget/frame'),
  base: FRAME_BASE,
  build: {
    outDir: here('dist/widget'),
    emptyOutDir: true,
    target: 'es2022',
    // Browsers that run the frame (custom elements, private fields) all support modulepreload.
    modulePreload: { polyfill: false },
  },
  plugins: [appPreload],
};

/** The loader's types (the verifier package's embed.d.ts) go out next to it: the service serves both. */
const loaderTypes: Plugin = {
  name: 'kycvs-embed-types',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'embed.d.ts', source: readFileSync(here('packages/verifier/embed.d.ts'), 'utf8') });
  },
};

const embed: UserConfig = {
  publicDir: false,
  plugins: [loaderTypes],
  build: {
    outDir: here('dist'),
    emptyOutDir: false,
    target: 'es2022',
    lib: {
      entry: here('widget/loader/embed.ts'),
      name: 'KycVsEmbed',
      formats: ['iife'],
      fileName: () => 'embed.js',
    },
    // Non-ASCII written as \u escapes: the loader's Hindi label gzips to ~50 B so, ~75 B as UTF-8.
    rolldownOptions: { output: { charset: 'ascii' } },
  },
};

const demo: UserConfig = {
  publicDir: false,
  build: {
    outDir: here('dist/demo-host'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        railway: here('demo-host/client/railway.ts'),
        outbox: here('demo-host/client/outbox.ts'),
        employer: here('demo-host/client/employer.ts'),
      },
      output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
};

/** A build of its own, so the frame's bundle and chunks stay exactly what they are. */
const me: UserConfig = {
  root: here('widget/me'),
  base: '/me/',
  publicDir: false,
  build: {
    outDir: here('dist/me'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
};

const MODES: Record<string, UserConfig> = { embed, demo, me };

export default defineConfig(({ mode }) => MODES[mode] ?? frame);
