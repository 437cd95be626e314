// The OpenAPI document as one readable HTML page: no script, one inline stylesheet, every schema a
// table with links between them. Made from the document, so the page and /openapi.json cannot differ.

type Json = Record<string, unknown>;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code{font:.9em ui-monospace,monospace;background:#f2f2f2;padding:0 .2em;border-radius:3px}
h2{border-bottom:2px solid #8a1c2b;padding-bottom:.2rem;margin-top:2.5rem}h3{margin-top:2rem}
.method{display:inline-block;min-width:3.5rem;color:#fff;background:#8a1c2b;border-radius:4px;padding:0 .4rem;font-size:.8em;text-align:center}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f7f7f7}.muted{color:#555}nav ul{columns:2}`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Text with `code` spans. */
const prose = (s: unknown) => (typeof s === 'string' ? escape(s).replace(/`([^`]+)`/g, '<code>$1</code>') : '');
const refName = (ref: string) => ref.split('/').pop() ?? ref;
const anchor = (name: string) => `schema-${name}`;

function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a href="#${anchor(name)}">${escape(name)}</a>`;
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(' | ');
  if ('const' in schema) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) return (schema[key] as Json[]).map(typeOf).join(' | ');
  }
  if (schema.type === 'array') return `array of ${typeOf(schema.items as Json)}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any');
  const format = schema.format ? ` (${escape(String(schema.format))})` : schema.pattern ? ` matching <code>${escape(String(schema.pattern))}</code>` : '';
  return `${escape(type)}${format}`;
}

function fieldsTable(schema: Json): string {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) return `<p>${typeOf(schema)}</p>`;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(
    ([name, field]) =>
      `<tr><td><code>${escape(name)}</code>${required.has(name) ? '' : ' <span class="muted">optional</span>'}</td><td>${typeOf(field)}</td><td>${prose(field.description)}</td></tr>`,
  );
  const closed = schema.additionalProperties === false ? '<p class="muted">No other fields are accepted.</p>' : '';
  return `<table><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows.join('')}</table>${closed}`;
}

function operationHtml(method: string, path: string, op: Json): string {
  const parts = [`<h3 id="${escape(String(op.operationId))}"><span class="method">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>`];
  parts.push(`<p><strong>${prose(op.summary)}</strong>${op.description ? ` ${prose(op.description)}` : ''}</p>`);
  const security = (op.security as Json[] | undefined) ?? [];
  const schemes = security.map((s) => Object.keys(s)[0] ?? 'none');
  parts.push(`<p class="muted">Authorisation: ${schemes.map((s) => (s === 'none' ? 'none' : `<code>${escape(s)}</code>`)).join(' or ')}</p>`);
  const body = ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined;
  if (body) parts.push(`<p>Body (JSON): ${typeOf(body)}</p>`);
  const rows = Object.entries(op.responses as Record<string, Json>).map(([status, response]) => {
    const content = response.content as Record<string, Json> | undefined;
    const [mediaType, media] = Object.entries(content ?? {})[0] ?? ['', {}];
    const schema = (media as Json).schema as Json | undefined;
    return `<tr><td>${escape(status)}</td><td>${prose(response.description)}</td><td>${schema ? typeOf(schema) : escape(mediaType)}</td></tr>`;
  });
  parts.push(`<table><tr><th>status</th><th>when</th><th>body</th></tr>${rows.join('')}</table>`);
  return parts.join('\n');
}

/** The page, and its stylesheet (the page's CSP allows it by hash). */
export function renderApiReference(document: Json): { html: string; style: string } {
  const info = document.info as Json;
  const paths = document.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = ((op.tags as string[] | undefined) ?? ['Other'])[0]!;
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
      toc.push(`<li><a href="#${escape(String(op.operationId))}">${method.toUpperCase()} ${escape(path)}</a></li>`);
    }
  }
  const schemas = ((document.components as Json).schemas ?? {}) as Record<string, Json>;
  const schemaSections = Object.entries(schemas).map(
    ([name, schema]) => `<h3 id="${anchor(name)}">${escape(name)}</h3>\n<p>${prose(schema.description)}</p>\n${fieldsTable(schema)}`,
  );
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(String(info.title))} API reference</title><style>${STYLE}</style></head>
<body><header><h1>${escape(String(info.title))} API reference</h1><p>${prose(info.summary)}</p><p>${prose(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI ${escape(String(document.openapi))}).</p></header>
<nav aria-label="Operations"><ul>${toc.join('')}</ul></nav>
<main>${[...byTag].map(([tag, ops]) => `<section><h2>${escape(tag)}</h2>${ops.join('\n')}</section>`).join('\n')}
<section><h2>Schemas</h2>${schemaSections.join('\n')}</section></main></body></html>`;
  return { html, style: STYLE };
}
