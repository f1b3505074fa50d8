// `node --import ./bench/peak-rss.mjs …`: prints the process's peak resident set size on stderr at exit
// (process.resourceUsage().maxRSS, KiB), for benchmarks that measure a child's memory.
process.on("exit", () => process.stderr.write(`peak_rss_mib=${Math.round(process.resourceUsage().maxRSS / 1024)}\n`));
