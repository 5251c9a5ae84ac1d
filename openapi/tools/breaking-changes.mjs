// The breaking-change gate: compares openapi.json with the last released spec.
// Usage: node tools/breaking-changes.mjs released/v1.json openapi.json
// Exit 1 when a breaking change is found and info.version keeps the released major.
import { readFileSync } from "node:fs";
import { apiCompare } from "api-smart-diff";

const [releasedPath, currentPath] = process.argv.slice(2);
const released = JSON.parse(readFileSync(releasedPath, "utf8"));
const current = JSON.parse(readFileSync(currentPath, "utf8"));
const major = (spec) => Number.parseInt(String(spec.info.version).split(".")[0], 10);

const { diffs } = apiCompare(released, current);
const counts = {};
for (const diff of diffs) counts[diff.type] = (counts[diff.type] ?? 0) + 1;
const breaking = diffs.filter((diff) => diff.type === "breaking");
const where = (diff) => "/" + diff.path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

console.log(
  `${releasedPath} (${released.info.version}) -> ${currentPath} (${current.info.version}): ` +
    Object.entries(counts).map(([type, n]) => `${n} ${type}`).join(", ") || "no changes",
);
for (const diff of breaking) {
  console.log(`BREAKING ${diff.action} at ${where(diff)}${diff.description ? ": " + diff.description : ""}`);
}
if (breaking.length && major(current) <= major(released)) {
  console.log(
    `\n${breaking.length} breaking change(s) while info.version keeps major ${major(released)}.` +
      "\nMake the change compatible (add instead of change: a new optional field, a new route," +
      " a new enum value in a request), or release a new major deliberately (see README," +
      ' "Versioning and deprecation").',
  );
  process.exit(1);
}
