/**
 * The constructs' tests, one module per construct in __tests__/constructs/, run as one jest file
 * (support/groups.ts says why). One construct: npm test -- __tests__/constructs.test.ts -t "^storage "
 */
import { runModules } from "./support/groups";

runModules("constructs", {
  "azapi": () => require("./constructs/azapi"),
  "connections": () => require("./constructs/connections"),
  "event-grid": () => require("./constructs/event-grid"),
  "container-apps": () => require("./constructs/container-apps"),
  "function-app": () => require("./constructs/function-app"),
  "function-image": () => require("./constructs/function-image"),
  "identity": () => require("./constructs/identity"),
  "mlfunc-stack": () => require("./constructs/mlfunc-stack"),
  "mlfunc-stack-parts": () => require("./constructs/mlfunc-stack-parts"),
  "protection": () => require("./constructs/protection"),
  "monitoring": () => require("./constructs/monitoring"),
  "network": () => require("./constructs/network"),
  "registry": () => require("./constructs/registry"),
  "resource-group": () => require("./constructs/resource-group"),
  "service-bus": () => require("./constructs/service-bus"),
  "service-plan": () => require("./constructs/service-plan"),
  "state": () => require("./constructs/state"),
  "storage": () => require("./constructs/storage"),
});
