/** What the client registry refuses, with a code the CLI and the admin API report. */
export class ClientError extends Error {
  readonly code: 'client_exists' | 'client_not_found' | 'client_invalid';
  constructor(code: ClientError['code'], message: string) {
    super(message);
    this.code = code;
  }
}
