// Node-side suites: the codec (also loaded by the gateway) and the gateway's SIP/T.38/T.30 stack.
// Worker code is tested in workerd by vitest.config.ts instead.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
<<<<<<< HEAD
    include: ["test/install/**/*.test.ts", "test/codec/**/*.test.ts", "test/gateway/**/*.test.ts", "test/render/**/*.test.ts", "test/source/**/*.test.ts", "test/sdk/**/*.test.ts"],
=======
    include: ["test/install/**/*.test.ts", "test/codec/**/*.test.ts", "test/gateway/**/*.test.ts", "test/render/**/*.test.ts", "test/source/**/*.test.ts", "test/inbound/**/*.test.ts"],
>>>>>>> 5bb9c2d (The offline OCR engine in its own Node service (issue 14 point 2): src/inbound/local-engine runs tesseract.js 7 with @tesseract.js-data/eng's 4.0.0_best_int model from the package (no network), psm 4, isolated pixels removed on the page's own grid and then rows doubled on 204x98 pages; POST /pages checks the Standard Webhooks signature (OCR_SECRET) and the src/contract/ocr.ts shape; npm start runs it beside the gateway (OCR_URL handed to the Worker) and stops it with the rest; a dependency-cruiser rule keeps tesseract.js and the engine out of Worker code; node tests read forms they render (fine, standard, noisy) and extract their fields; npm run bench:ocr compares it with Debian's tesseract CLI on the same pages and times fax.received/fax.extracted under npm start)
    testTimeout: 60_000,
    pool: "forks",
  },
});
