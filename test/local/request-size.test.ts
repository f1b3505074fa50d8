/**
 * Issue 13 point 1 under `npm start`: a ~31 MB JSON body reached workerd through the local front and came
 * back as `502 text/plain` ("The local Worker did not answer: write ECONNRESET"). It must be the Worker's
 * 413 problem+json, with a Content-Length and without one (chunked), and the front must go on serving.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server";

const BODY_BYTES = 31 * 1024 * 1024;
let stateDir: string;
let platform: LocalPlatform | undefined;
let key: string;

beforeAll(async () => {
  stateDir = await makeStateDir();
  platform = await startLocalPlatform({ stateDir });
  key = await createKey(stateDir, { rateLimit: 100_000 });
}, 150_000);

afterAll(async () => {
  await platform?.stop();
  if (stateDir) await removeStateDir(stateDir);
}, 30_000);

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** POSTs a JSON fax of BODY_BYTES in 1 MiB writes, with or without Content-Length, as curl or a client would. */
function postBigFax(withLength: boolean): Promise<Answer> {
  const head = Buffer.from('{"to":"+15550100001","documents":[{"content_type":"application/pdf","content":"');
  const tail = Buffer.from('"}]}');
  const filler = Buffer.alloc(1 << 20, 0x41);
  const url = new URL("/v1/faxes", platform!.url);
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    if (withLength) headers["content-length"] = BODY_BYTES;
    const req = http.request({ host: url.hostname, port: url.port, method: "POST", path: url.pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    let written = 0;
    const writeMore = (): void => {
      while (written < BODY_BYTES) {
        const room = BODY_BYTES - written - tail.length;
        const chunk = written === 0 ? head : room <= 0 ? tail : filler.subarray(0, Math.min(filler.length, room));
        written += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

describe("a body over the limit under npm start", () => {
  for (const withLength of [true, false]) {
    it(`is 413 request.too_large problem+json ${withLength ? "with" : "without"} Content-Length`, async () => {
      const answer = await postBigFax(withLength);
      expect(answer.status, answer.body).toBe(413);
      expect(answer.contentType).toBe("application/problem+json");
      expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: "request.too_large" });
      // The front still serves: the connection it cut is not reused.
      const after = await fetch(`${platform!.url}/v1/faxes?limit=1`, { headers: { authorization: `Bearer ${key}` } });
      expect(after.status).toBe(200);
    });
  }
});
