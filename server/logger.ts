import pino, { type Logger } from 'pino';

const BASE = { service: 'kyc-vs' };

/**
 * Structured JSON logs. Request bodies are never logged, and these paths are redacted as a
 * second line of defence should a personal field ever reach a log call.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  // Asynchronous writes to stdout: lines written while a write is pending go out together, and a
  // request never waits on the terminal or pipe (flushed on graceful shutdown; a SIGKILL may lose
  // the last lines, never data).
  return pino(
    {
      level,
      base: BASE,
      redact: { paths: ['mobile', 'name', 'otp', 'text', 'to', '*.mobile', '*.name', '*.otp', '*.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * The access log: one line per request of fixed fields (id, method, route pattern, status, ms),
 * none of them personal, so it skips the redaction pass (about half a line's cost). Same
 * destination and level as `log`.
 */
export function accessLogger(log: Logger): Logger {
  const destination = (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: log.level, base: BASE }, destination);
}
