#!/usr/bin/env node
// kycvs-verify <token> --issuer URL --audience ID [--nonce N] [--session ID] [--jwks-uri URL]
// Prints the verified claims as JSON and exits 0; a refused token prints its refusal code and
// exits 1; a usage error exits 2. A token of "-" is read from standard input.
import { parseArgs } from 'node:util';
import { StatusTokenError, verifyStatusToken } from './verify-status-token.js';

const USAGE = `usage: kycvs-verify <token | -> --issuer URL --audience CLIENT_ID [--nonce NONCE] [--session SESSION_ID] [--jwks-uri URL]

Verifies a KYC-VS status token against the issuer's published keys (<issuer>/.well-known/jwks.json).
  exit 0  the claims, as JSON, on standard output
  exit 1  refused: the refusal code (e.g. token_expired, audience_mismatch, txn_mismatch) on standard output
  exit 2  usage error`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        issuer: { type: 'string' },
        audience: { type: 'string' },
        nonce: { type: 'string' },
        session: { type: 'string' },
        'jwks-uri': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) return usage(positionals.length === 0 ? 'a token is required' : 'one token only');
  if (!values.issuer || !values.audience) return usage('--issuer and --audience are required');
  try {
    new URL(values.issuer);
  } catch {
    return usage(`--issuer is not a URL: ${values.issuer}`);
  }

  const token = positionals[0] === '-' ? (await readStdin()).trim() : positionals[0]!;
  try {
    const { claims } = await verifyStatusToken(token, {
      issuer: values.issuer,
      audience: values.audience,
      ...(values.nonce !== undefined && { nonce: values.nonce }),
      ...(values.session !== undefined && { sessionId: values.session }),
      ...(values['jwks-uri'] !== undefined && { jwksUri: values['jwks-uri'] }),
    });
    process.stdout.write(`${JSON.stringify(claims, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof StatusTokenError)) throw err;
    process.stdout.write(`${err.code}\n`);
    process.stderr.write(`kycvs-verify: refused: ${err.message}\n`);
    return 1;
  }
}

function usage(problem: string): number {
  process.stderr.write(`kycvs-verify: ${problem}\n${USAGE}\n`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

process.exitCode = await main(process.argv.slice(2));
