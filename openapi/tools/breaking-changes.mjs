// The breaking-change gate: compares openapi.json with the last released spec.
// Usage: node tools/breaking-changes.mjs released/v1.json openapi.json
// Exit 1 when a breaking change is found and info.version keeps the released major.
import { readFileSync } from "node:fs";
import { apiCompare } from "api-smart-diff";

const [releasedPath, currentPath] = process.argv.slice(2);
// api-smart-diff knows OpenAPI 3.0 (no webhooks): a webhook payload is compared as what it
// is to a receiver, the answer of a synthetic operation (adding a field passes, removing
// one breaks).
function comparable(spec) {
  const paths = { ...spec.paths };
  for (const [name, item] of Object.entries(spec.webhooks ?? {})) {
    const content = item.post?.requestBody?.content ?? {};
    paths[`/webhooks/${name}`] = {
      get: { operationId: `webhook_${name}`, responses: { "200": { description: name, content } } },
    };
  }
  return { ...spec, paths, webhooks: undefined };
}
const released = comparable(JSON.parse(readFileSync(releasedPath, "utf8")));
const current = comparable(JSON.parse(readFileSync(currentPath, "utf8")));
const major = (spec) => Number.parseInt(String(spec.info.version).split(".")[0], 10);

const { diffs: all } = apiCompare(released, current);
const diffs = all.filter((diff) => diff.path[0] !== "components");
const counts = {};
for (const diff of diffs) counts[diff.type] = (counts[diff.type] ?? 0) + 1;
// (Components are also diffed out of context, as if every schema were a request body, and
// are left out above: the same change is classified in context where it is used.)
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
