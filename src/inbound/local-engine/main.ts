/**
 * `npm run ocr:serve` (and `npm start`, beside the gateway): the local OCR service on OCR_HTTP (host:port, default
 * 127.0.0.1:8790), checking signatures with OCR_SECRET, reading OCR_WORKERS pages at once. A self-hoster who keeps PHI off any AI runs it at the origin
 * and points the Worker's OCR_URL at it.
 */
import { startFaxOcrEngine } from "./engine";
import { createOcrService } from "./service";

const secret = process.env.OCR_SECRET;
if (!secret) {
  console.error("OCR_SECRET is not set: the service would accept pages from anyone.");
  process.exit(2);
}
const [host, port] = (process.env.OCR_HTTP ?? "127.0.0.1:8790").split(":");
// OCR_WORKERS: pages read at once (tesseract workers); by default one per core, at most 4.
const engine = await startFaxOcrEngine({ workers: process.env.OCR_WORKERS ? Number(process.env.OCR_WORKERS) : undefined });
const server = createOcrService(engine, secret);
server.listen(Number(port), host, () => console.log(`OCR service (${engine.name}) listening on http://${host}:${port}`));

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  server.close();
  void engine.stop().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Under `npm start` (scripts/start.mjs sets EDGEFAX_SUPERVISOR_PID): stop once start.mjs is gone, even if it was killed outright.
const supervisor = Number(process.env.EDGEFAX_SUPERVISOR_PID);
if (supervisor) {
  setInterval(() => {
    if (process.ppid !== supervisor) stop();
  }, 1_000).unref();
}
