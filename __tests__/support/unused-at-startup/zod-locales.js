// zod's messages in other languages than English, which nothing uses: left out of each test file's
// start-up as the launcher's bundles leave them out (scripts/mlfunc.js, unusedAtStartup).
"use strict";
module.exports = {};
