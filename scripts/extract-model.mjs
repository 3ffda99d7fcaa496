#!/usr/bin/env node
// Trims one of botocore's service models to the operations Phantom serves, keeping every shape
// they reach and dropping documentation. The output is committed under src/aws-wire/models/ so that
// a fresh clone needs no Python; model-conformance tests compare it with botocore when present.
//
//   node scripts/extract-model.mjs SERVICE-2.JSON OUT.JSON Operation1 Operation2 ...
import { readFileSync, writeFileSync } from "node:fs";

const [source, target, ...operations] = process.argv.slice(2);
if (!source || !target || operations.length === 0) {
  console.error("usage: extract-model.mjs SERVICE-2.JSON OUT.JSON Operation...");
  process.exit(2);
}
const model = JSON.parse(readFileSync(source, "utf8"));
const keep = new Set();
function reach(name) {
  if (keep.has(name)) return;
  const shape = model.shapes[name];
  if (!shape) throw new Error(`unknown shape ${name}`);
  keep.add(name);
  for (const m of Object.values(shape.members ?? {})) reach(m.shape);
  if (shape.member) reach(shape.member.shape);
  if (shape.key) reach(shape.key.shape);
  if (shape.value) reach(shape.value.shape);
}
const strip = (obj) => {
  if (Array.isArray(obj)) return obj.map(strip);
  if (obj && typeof obj === "object") {
    const out = {};
    for (const [k, v] of Object.entries(obj)) if (k !== "documentation" && k !== "documentationUrl") out[k] = strip(v);
    return out;
  }
  return obj;
};
const ops = {};
for (const name of operations.sort()) {
  const op = model.operations[name];
  if (!op) throw new Error(`unknown operation ${name}`);
  ops[name] = strip(op);
  if (op.input) reach(op.input.shape);
  if (op.output) reach(op.output.shape);
  for (const e of op.errors ?? []) reach(e.shape);
}
const shapes = {};
for (const name of [...keep].sort()) shapes[name] = strip(model.shapes[name]);
const { apiVersion, protocol, xmlNamespace, endpointPrefix, signingName, targetPrefix, serviceId } = model.metadata;
const metadata = { apiVersion, protocol, xmlNamespace, endpointPrefix, signingName, targetPrefix, serviceId };
writeFileSync(target, JSON.stringify({ metadata, operations: ops, shapes }, null, 1) + "\n");
console.log(`${target}: ${Object.keys(ops).length} operations, ${keep.size} shapes`);
