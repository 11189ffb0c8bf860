// Compile docgen's JSON schemas with ajv in strict mode (all strict options on, formats from
// ajv-formats), as an office's other tools may: one line per schema, exit 1 if any is refused.
// Usage: NODE_PATH=<node_modules with ajv and ajv-formats> node scripts/ajv_strict.js SCHEMAS_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const dir = process.argv[2];
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const names = fs.readdirSync(dir).filter((n) => n.endsWith(".schema.json")).sort();
for (const name of names) {
  const schema = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
  ajv.addSchema(schema, name); // records refer to each other's schemas by file name
}
let refused = 0;
for (const name of names) {
  try {
    ajv.getSchema(name); // compiles the schema and every $ref it reaches
    const defs = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")).$defs || {};
    for (const def of Object.keys(defs)) ajv.getSchema(`${name}#/$defs/${def}`); // used or not
    console.log(`ok ${name}`);
  } catch (error) {
    refused += 1;
    console.log(`refused ${name}: ${error.message}`);
  }
}
process.exit(refused ? 1 : 0);
