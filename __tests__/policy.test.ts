/**
 * The policy's tests (the Aspect, the rules, suppressions), one module per part in __tests__/policy/,
 * run as one jest file (support/groups.ts says why). One part: npm test -- __tests__/policy.test.ts -t "^rules "
 */
import { runModules } from "./support/groups";

runModules("policy", {
  "aspect": () => require("./policy/aspect"),
  "container-apps": () => require("./policy/container-apps"),
  "network": () => require("./policy/network"),
  "rules": () => require("./policy/rules"),
  "suppress": () => require("./policy/suppress"),
});
