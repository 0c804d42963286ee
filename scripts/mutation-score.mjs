// Sums StrykerJS results per file over several report or incremental JSON files
// (later files win for a file they share), then per folder and in all: Killed
// and Timeout count as detected, over Killed + Timeout + Survived + NoCoverage.
// Usage: node scripts/mutation-score.mjs reports/stryker-incremental-*.json
import { readFileSync } from "node:fs";

const files = new Map();
for (const path of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(path, "utf8"));
  for (const [file, data] of Object.entries(report.files)) files.set(file, data.mutants);
}

function tally(mutants) {
  const t = { killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
  for (const m of mutants) {
    if (m.status === "Killed") t.killed++;
    else if (m.status === "Timeout") t.timeout++;
    else if (m.status === "Survived") t.survived++;
    else if (m.status === "NoCoverage") t.noCoverage++;
  }
  const valid = t.killed + t.timeout + t.survived + t.noCoverage;
  return { score: ((100 * (t.killed + t.timeout)) / valid).toFixed(2), ...t };
}

const groups = new Map([["all", []]]);
for (const [file, mutants] of [...files].sort()) {
  console.log(file.padEnd(42), JSON.stringify(tally(mutants)));
  const folder = file.split("/").slice(0, -1).join("/");
  groups.set(folder, [...(groups.get(folder) ?? []), ...mutants]);
  groups.get("all").push(...mutants);
}
for (const [group, mutants] of groups) console.log(`${group}/`.padEnd(42), JSON.stringify(tally(mutants)));
