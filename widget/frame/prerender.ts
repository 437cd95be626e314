// Runs on the server (server/http/widget-routes.ts): the frame's first step as HTML, from the same
// templates the frame renders with Lit (markup.ts), so that the page shows the form as soon as it
// is parsed. It carries what the page config already says (who asks and why, who runs the
// service) and the catalog's words; never anything of the citizen (the host's prefill reaches the
// frame by message, once its script runs).
import type { FramePageConfig } from '../../protocol/messages.ts';
import { LANGS, loadCatalog, pickLang, type Lang } from '../i18n/index.ts';
import { clientFromConfig } from './client-text.ts';
import { detailsForm, languageList, shell } from './markup.ts';

/** Text already escaped for HTML. */
class Markup {
  constructor(readonly text: string) {}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** An attribute binding at the end of the template so far: ` name=`, ` ?name=`, ` .name=` or ` @name=`. */
const BINDING = /\s([.?@]?)([A-Za-z][\w-]*)=$/;

function content(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(content).join('');
  return value === undefined || value === null ? '' : escapeHtml(String(value));
}

/**
 * markup.ts's templates as text, bound as Lit binds them: `name=${v}` an attribute, `?name=${v}`
 * present when true, a child value as escaped text; `.name` and `@name` are the script's
 * (a property, a listener) and leave nothing.
 */
export function htmlText(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const binding = out.lastIndexOf('<') > out.lastIndexOf('>') ? BINDING.exec(out) : null;
    if (binding) {
      out = out.slice(0, binding.index);
      const [, kind, name] = binding;
      if (kind === '') out += ` ${name}="${escapeHtml(String(value))}"`;
      else if (kind === '?' && value) out += ` ${name}`;
    } else {
      out += content(value);
    }
    out += strings[i + 1]!;
  });
  return new Markup(out);
}

/** The tags of an Accept-Language header, most wanted first. */
export function acceptedLanguages(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((item) => {
      const [tag = '', ...params] = item.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter(({ tag, q }) => tag !== '' && tag !== '*' && q > 0)
    .sort((a, b) => b.q - a.q)
    .map(({ tag }) => tag);
}

export interface FirstStep {
  lang: Lang;
  title: string;
  /** The inside of <kycvs-app>. */
  html: string;
}

/**
 * The details step as the frame first shows it, in the language the browser asks for (the frame's
 * own choice, which also weighs the host's `lang` and the citizen's earlier pick, may differ: the
 * frame then re-renders in it). Send stays disabled: the session does not exist yet.
 * The language list holds the current language only: laying out every language's name makes the
 * browser look up a font for each of their scripts (a 26–58 ms forced layout in the frame's first
 * render, bench/results/optimisations.md); the frame lists them all when it takes over, at the
 * same width (styles.css).
 */
export async function prerenderFirstStep(config: Extract<FramePageConfig, { ok: true }>, acceptLanguage: string | undefined): Promise<FirstStep> {
  const lang = pickLang(undefined, acceptedLanguages(acceptLanguage));
  const t = await loadCatalog(lang);
  const markup = shell(htmlText, {
    t,
    client: clientFromConfig(config, lang),
    lang,
    issuer: config.issuerName,
    alert: '',
    notice: '',
    languageSwitch: htmlText`<kycvs-language-switch>${languageList(htmlText, { t, current: lang, langs: LANGS.filter((l) => l.code === lang) })}</kycvs-language-switch>`,
    step: htmlText`<kycvs-details-step data-step>${detailsForm(htmlText, { t, mobile: '', name: '', busy: true, invalid: undefined })}</kycvs-details-step>`,
  });
  return { lang, title: t.title, html: markup.text };
}
