// `npm pack` of sdk/ installs offline into a fresh folder and works there: the library from ESM, the `edgefax` bin,
// and its offline render and codec tools.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { afterAll, describe, expect, it } from "vitest";
import { buildSdk, run } from "./build";

let work: string | undefined;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("npm pack of sdk/", () => {
  it("installs with npm install --offline into an empty project and runs", async () => {
    work = await mkdtemp(join(tmpdir(), "edgefax-pack-"));
    await buildSdk(); // then pack without prepack's second build, which could race the CLI tests reading sdk/dist
    await run("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", work], { cwd: resolve("sdk"), timeout: 170_000 });
    const tarball = (await readdir(work)).find((name) => name.endsWith(".tgz"))!;
    expect(tarball).toBe("edgefax-0.1.0.tgz");
    const app = join(work, "app");
    await mkdir(app);
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(work, tarball)], { cwd: app, timeout: 120_000 });
    expect((await readdir(join(app, "node_modules"))).filter((name) => !name.startsWith("."))).toEqual(["edgefax"]);
    await writeFile(
      join(app, "check.mjs"),
      `import { Edgefax, verifyWebhook, signedWebhookHeaders, ProblemError } from "edgefax";
const headers = await signedWebhookHeaders("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", '{"id":"evt_1","type":"webhook.ping"}');
const event = await verifyWebhook('{"id":"evt_1","type":"webhook.ping"}', headers, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const client = new Edgefax({ apiKey: "fx_test_x", baseUrl: "http://127.0.0.1:9", maxRetries: 0 });
const error = await client.faxes.get("fax_1").catch((e) => e);
console.log(JSON.stringify({ type: event.type, send: typeof client.faxes.send, error: error.name, problem: typeof ProblemError }));`,
    );
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ type: "webhook.ping", send: "function", error: "ConnectionError", problem: "function" });
    const bin = await run(join(app, "node_modules/.bin/edgefax"), ["--version"], { cwd: app });
    expect(bin.stdout.trim()).toBe("0.1.0");
    // The offline tools come bundled (PDFium and the codec inside the package): a PDF to TIFF-F and back to PBM.
    const doc = await PDFDocument.create();
    doc.addPage([612, 792]).drawText("Referral", { x: 72, y: 700, size: 24, font: await doc.embedFont(StandardFonts.Helvetica) });
    await writeFile(join(app, "letter.pdf"), await doc.save());
    const rendered = await run(join(app, "node_modules/.bin/edgefax"), ["render", "letter.pdf", "letter.tif"], { cwd: app });
    expect(rendered.stdout + rendered.stderr).toMatch(/letter\.tif: 1 page\(s\), fine, mh/);
    await run(join(app, "node_modules/.bin/edgefax"), ["codec", "decode", "letter.tif", "letter.pbm"], { cwd: app });
    const pbm = await readFile(join(app, "letter.pbm"));
    expect(pbm.subarray(0, 16).toString()).toMatch(/^P4\n1728 21\d\d\n/); // US Letter at 196 lines per inch, shrunk to 1728 pels
  }, 300_000);
});
