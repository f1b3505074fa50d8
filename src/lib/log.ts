/**
 * Structured logs for the Worker and the gateway: one JSON object per line (`time`, `level`, `msg`, then
 * context), so a log shipper (Workers Logs, journald) can index them without parsing prose. Runtime-neutral:
 * it writes through `console.log`, which workerd forwards to Workers Logs and Node writes to stdout.
 *
 * Ids go under the fixed keys of `LogIds` (`fax_id`, never `fax` or `id`), so one query finds every line
 * about a fax, an account or a request, whichever part wrote it.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The only names ids are logged under. */
export const LOG_ID_KEYS = [
  "fax_id",
  "account_id",
  "request_id",
  "attempt_id",
  "delivery_id",
  "event_id",
  "endpoint_id",
  "message_id",
  "call_id",
  "audit_id",
] as const;

export type LogIdKey = (typeof LOG_ID_KEYS)[number];

export type LogIds = { [K in LogIdKey]?: string };

type LogValue = string | number | boolean | null | undefined;

/** Names ids were once logged under: refused at compile time, so every line uses the keys of `LOG_ID_KEYS`. */
type RetiredIdKey = "id" | "fax" | "account" | "request" | "attempt" | "delivery" | "event" | "endpoint" | "message" | "call" | "faxId" | "accountId" | "requestId" | "attemptId" | "deliveryId" | "callId";

export type LogFields = LogIds & { [K in RetiredIdKey]?: never } & Record<string, LogValue>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void; base?: LogFields } = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => console.log(line.endsWith("\n") ? line.slice(0, -1) : line));
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) if (v !== undefined) record[k] = v;
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** The default logger: info and above. */
export const log: Logger = createLogger();

/** For tests: drops everything. */
export const silentLogger: Logger = createLogger({ level: "error", write: () => undefined });
