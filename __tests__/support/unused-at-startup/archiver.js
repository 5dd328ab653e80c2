// cdktf's zip library, loaded on first use as in the launcher's bundles (scripts/mlfunc.js,
// unusedAtStartup): only an ARCHIVE asset calls it, and mlfunc never makes one.
"use strict";
const { createRequire } = require("node:module");

module.exports = (...args) => require(createRequire(require.resolve("cdktf")).resolve("archiver"))(...args);
