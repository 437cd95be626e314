// The employer dashboard's script: ask our backend for a link, show it to copy, and keep the list
// of links current while any is still waiting (our backend asks KYC-VS and verifies each token).
import type { DemoErrorResponse, EmployerLink, EmployerLinkOutcome, EmployerLinkRequest, EmployerLinksResponse } from '../contract.ts';

const POLL_MS = 1000;

const form = document.querySelector<HTMLFormElement>('#new-link')!;
const createError = document.querySelector<HTMLElement>('#create-error')!;
const created = document.querySelector<HTMLElement>('#created')!;
const createdFor = document.querySelector<HTMLElement>('#created-for')!;
const createdUrl = document.querySelector<HTMLInputElement>('#created-url')!;
const copyStatus = document.querySelector<HTMLElement>('#copy-status')!;
const table = document.querySelector<HTMLTableElement>('#links')!;
const noLinks = document.querySelector<HTMLElement>('#no-links')!;

function outcomeText(outcome: EmployerLinkOutcome): string {
  switch (outcome.state) {
    case 'waiting':
      return 'Waiting for the employee';
    case 'verified':
      return `Verified: ${outcome.label} (status ${outcome.status})`;
    case 'denied':
      return 'The employee chose not to share';
    case 'expired':
      return 'Expired without an answer';
    case 'failed':
      return `Not verified (${outcome.reason})`;
  }
}

function render(links: EmployerLink[]): void {
  noLinks.hidden = links.length > 0;
  table.hidden = links.length === 0;
  table.tBodies[0]!.replaceChildren(
    ...links.map((link) => {
      const row = document.createElement('tr');
      row.dataset.session = link.sessionId;
      const employee = document.createElement('td');
      employee.textContent = link.employee;
      const when = document.createElement('td');
      when.textContent = new Date(link.createdAt).toLocaleTimeString();
      const result = document.createElement('td');
      result.dataset.state = link.outcome.state;
      result.textContent = outcomeText(link.outcome);
      row.append(employee, when, result);
      return row;
    }),
  );
}

let polling: ReturnType<typeof setTimeout> | undefined;

/** The list now, and again every second while a link is still waiting. */
async function refresh(): Promise<void> {
  clearTimeout(polling);
  const response = await fetch('/api/employer/links');
  if (!response.ok) return;
  const { links } = (await response.json()) as EmployerLinksResponse;
  render(links);
  if (links.some((link) => link.outcome.state === 'waiting')) polling = setTimeout(() => void refresh(), POLL_MS);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  createError.textContent = '';
  const fields = new FormData(form);
  const body: EmployerLinkRequest = { employee: String(fields.get('employee') ?? '').trim(), lang: String(fields.get('lang') ?? '') };
  const response = await fetch('/api/employer/links', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await response.json()) as EmployerLink | DemoErrorResponse;
  if ('error' in data) {
    createError.textContent = `No link was created: ${data.message}`;
    return;
  }
  createdFor.textContent = data.employee;
  createdUrl.value = data.url;
  copyStatus.textContent = '';
  created.hidden = false;
  form.reset();
  createdUrl.focus();
  createdUrl.select();
  void refresh();
});

document.querySelector<HTMLButtonElement>('#copy')!.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(createdUrl.value);
    copyStatus.textContent = 'Copied.';
  } catch {
    // No clipboard permission: leave the link selected for Ctrl+C.
    createdUrl.select();
    copyStatus.textContent = 'Press Ctrl+C to copy the selected link.';
  }
});

void refresh();
