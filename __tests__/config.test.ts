/**
 * The deployment file's tests (schema, validation, naming, hostile input), one module per part in
 * __tests__/config/, run as one jest file (support/groups.ts says why). config-all-problems.test.ts
 * stays a file of its own: it mocks the stack module.
 * One part: npm test -- __tests__/config.test.ts -t "^naming "
 */
import { runModules } from "./support/groups";

runModules("config", {
  "container-apps": () => require("./config/container-apps"),
  "edge-cases": () => require("./config/edge-cases"),
  "hostile-deployment-file": () => require("./config/hostile-deployment-file"),
  "naming": () => require("./config/naming"),
  "network": () => require("./config/network"),
  "script-warnings": () => require("./config/script-warnings"),
  "validation": () => require("./config/validation"),
});
