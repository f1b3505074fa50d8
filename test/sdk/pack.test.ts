// `npm pack` of sdk/ installs offline into a fresh folder and works there: the library from ESM, the `edgefax` bin.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
  }, 300_000);
});
