// @ts-check
/**
 * The local mail outbox (issue 19): under `npm start` the portal's emails (sign-up, sign-in, invitations)
 * are not sent; the Worker hands each to the LOCAL_OUTBOX service binding (src/portal/mail.ts), which
 * writes it here as a small RFC 5322 message, one file each, named so that names sort by time.
 * `npm run -s mail:last` prints the newest.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** @param {string} stateDir */
export function outboxDir(stateDir) {
  return path.join(stateDir, "outbox");
}

let sequence = 0;

/**
 * Writes one message; returns its path.
 * @param {string} dir
 * @param {{ from: string, to: string, subject: string, text: string }} mail
 */
export function writeMail(dir, mail) {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const name = `${now.toISOString().replace(/[:.]/g, "-")}-${String(sequence++ % 10000).padStart(4, "0")}.eml`;
  const file = path.join(dir, name);
  const oneLine = (/** @type {string} */ s) => s.replace(/[\r\n]+/g, " ");
  writeFileSync(file, `From: ${oneLine(mail.from)}\nTo: ${oneLine(mail.to)}\nSubject: ${oneLine(mail.subject)}\nDate: ${now.toUTCString()}\n\n${mail.text}\n`);
  return file;
}

/**
 * The newest message's file, or null when the outbox is empty.
 * @param {string} dir
 */
export function newestMail(dir) {
  let names;
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
  } catch {
    return null;
  }
  names.sort();
  const last = names.at(-1);
  return last ? path.join(dir, last) : null;
}

/**
 * A Miniflare service binding (a function of the request) that stores what the Worker posts.
 * @param {string} dir
 * @returns {(request: Request) => Promise<Response>}
 */
export function outboxBinding(dir) {
  return async (request) => {
    const mail = /** @type {{ from?: unknown, to?: unknown, subject?: unknown, text?: unknown }} */ (await request.json());
    if (typeof mail.from !== "string" || typeof mail.to !== "string" || typeof mail.subject !== "string" || typeof mail.text !== "string") {
      return new Response("from, to, subject and text are required strings\n", { status: 400 });
    }
    const file = writeMail(dir, { from: mail.from, to: mail.to, subject: mail.subject, text: mail.text });
    console.log(`local-worker: mail to ${mail.to} ("${mail.subject}") is in ${file}`);
    return new Response(null, { status: 204 });
  };
}

/** @param {string} file */
export function readMail(file) {
  return readFileSync(file, "utf8");
}
