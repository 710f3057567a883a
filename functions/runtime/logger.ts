// Structured JSON logs (pino), one object per line. Secret-shaped fields are redacted wherever
// they appear so a careless `logger.info({ obj })` cannot leak Secret data.

import pino from 'pino';
import type { DestinationStream } from 'pino';
import type { Logger } from './function.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface RuntimeLogger extends Logger {
  child(bindings: Record<string, unknown>): RuntimeLogger;
  fatal(obj: object, msg?: string): void;
  isLevelEnabled(level: string): boolean;
}

export function createLogger(level = 'info', destination?: DestinationStream): RuntimeLogger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['data', 'stringData', '*.data', '*.stringData', '*.*.data', '*.*.stringData'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  ) as unknown as RuntimeLogger;
}
