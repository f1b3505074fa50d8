/**
 * Issue 13 point 13: README's "Walk-through with curl", run as written. The ```sh block under that heading is
 * taken from README.md and run by bash against a real `npm start`, in a directory with a 2-page some.pdf.
 * The one change made to it is the address (this instance's free port instead of 8787). Each `# → STATUS {…}`
 * comment is checked against the answer of the curl command before it, and every curl must answer 2xx.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

let stateDir: string;
let workDir: string;
let platform: LocalPlatform | undefined;

beforeAll(async () => {
  stateDir = await makeStateDir();
  platform = await startLocalPlatform({ stateDir });
  // Under the repository (in .wrangler/, ignored by git) so `npm run` finds package.json from there.
  workDir = await mkdtemp(path.join(ROOT, ".wrangler", "walkthrough-"));
}, 150_000);

afterAll(async () => {
  await platform?.stop();
  if (stateDir) await removeStateDir(stateDir);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 30_000);

/** The ```sh block that follows "## Walk-through with curl" in README.md. */
function walkthroughScript(readme: string): string {
  const section = readme.split(/^## Walk-through with curl\s*$/m)[1];
  const block = section ? /```sh\n([\s\S]*?)```/.exec(section) : null;
  if (!block?.[1]) throw new Error('README.md has no ```sh block under "## Walk-through with curl"');
  return block[1];
}

/** `# → 202 {"id":"fax_…","status":"queued","page_count":3,…}` → the status and the fields shown. */
function expectedAnswer(comment: string): { status: number; fields: Array<[string, string]> } {
  const match = /#\s*→\s*(\d{3})\s*(\{.*\})/.exec(comment);
  if (!match) throw new Error(`not an answer comment: ${comment}`);
  const fields = [...match[2]!.matchAll(/"(\w+)":("[^"]*"|-?\d+(?:\.\d+)?|true|false|null)/g)].map((m) => [m[1]!, m[2]!] as [string, string]);
  return { status: Number(match[1]), fields };
}

async function twoPagePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const n of [1, 2]) doc.addPage([612, 792]).drawText(`some.pdf, page ${n}`, { x: 72, y: 700, size: 18, font });
  return doc.save();
}

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", script], { cwd: workDir, env, timeout: 90_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("README walk-through", () => {
  it("runs as written and answers as shown", async () => {
    const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
    const script = walkthroughScript(readme);
    await writeFile(path.join(workDir, "some.pdf"), await twoPagePdf());

    // Which curl each `# →` comment describes: the last one started before it.
    const lines = script.split("\n");
    const expectations: Array<{ call: number; comment: string }> = [];
    let calls = 0;
    for (const line of lines) {
      if (/^\s*#\s*→/.test(line)) expectations.push({ call: calls - 1, comment: line.trim() });
      else if (!/^\s*#/.test(line)) calls += (line.match(/(^|[\s$(])curl -s\b/g) ?? []).length;
    }
    expect(expectations.length).toBeGreaterThan(0);

    const bodies = path.join(workDir, "answers.log");
    // curl as the README calls it, but recording each answer: the status on stderr, the body in a log.
    const recorder = [
      "set -euo pipefail",
      `curl() { command curl -w '%{stderr}@@status %{http_code}\\n' "$@" | tee -a "$WALK_ANSWERS"; local rc=\${PIPESTATUS[0]}; printf '\\n@@end\\n' >> "$WALK_ANSWERS"; return $rc; }`,
      "",
    ].join("\n");
    const runnable = recorder + script.replaceAll("http://127.0.0.1:8787", platform!.url);
    const result = await run(runnable, { ...process.env, EDGEFAX_STATE_DIR: stateDir, WALK_ANSWERS: bodies });
    expect(result.code, `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(0);

    const statuses = [...result.stderr.matchAll(/^@@status (\d{3})$/gm)].map((m) => Number(m[1]));
    const answers = (await readFile(bodies, "utf8")).split("\n@@end\n").slice(0, -1);
    expect(statuses).toHaveLength(calls);
    expect(answers).toHaveLength(calls);
    for (const [i, status] of statuses.entries()) expect(status, `curl #${i + 1}: ${answers[i]}`).toBeGreaterThanOrEqual(200);
    for (const [i, status] of statuses.entries()) expect(status, `curl #${i + 1}: ${answers[i]}`).toBeLessThan(300);

    // Step 1 names the key id (OAuth client_id) on stderr.
    expect(result.stderr).toMatch(/key id \(OAuth client_id\): key_/);
    for (const { call, comment } of expectations) {
      const { status, fields } = expectedAnswer(comment);
      expect(statuses[call], comment).toBe(status);
      const body = JSON.parse(answers[call]!) as Record<string, unknown>;
      for (const [key, shown] of fields) {
        if (shown.includes("…")) expect(String(body[key]), `${comment}: ${key}`).toMatch(new RegExp(`^${shown.slice(1, shown.indexOf("…"))}`));
        else expect(body[key], `${comment}: ${key}`).toEqual(JSON.parse(shown));
      }
    }

    // Step 4 saved what was sent.
    const saved = await readFile(path.join(workDir, "fax.pdf"));
    expect(saved.subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("finds the block and its answer comments", () => {
    const script = walkthroughScript("x\n## Walk-through with curl\n\n```sh\ncurl -s a\n# → 202 {\"id\":\"fax_…\",\"n\":3,…}\n```\n");
    expect(script).toBe('curl -s a\n# → 202 {"id":"fax_…","n":3,…}\n');
    expect(expectedAnswer('# → 202 {"id":"fax_…","status":"queued","page_count":3,…}  (a note)')).toEqual({
      status: 202,
      fields: [
        ["id", '"fax_…"'],
        ["status", '"queued"'],
        ["page_count", "3"],
      ],
    });
  });
});
