/**
 * Splits one CSV record (RFC 4180 quoting, one physical line) into fields.
 * Returns null for a line with an unbalanced quote.
 */
export function parseCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const end = line.indexOf(',', i);
      const stop = end === -1 ? line.length : end;
      field += line.slice(i, stop);
      i = stop;
    }
    fields.push(field);
    field = '';
    i++; // past the comma (or past the end)
  }
  return fields;
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
