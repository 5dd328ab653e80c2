/**
 * The build context's tests (what ships in the image, edge cases, hostile input), one module per part
 * in __tests__/build-context/, run as one jest file (support/groups.ts says why).
 * One part: npm test -- __tests__/build-context.test.ts -t "^edge-cases "
 */
import { runModules } from "./support/groups";

runModules("build-context", {
  "edge-cases": () => require("./build-context/edge-cases"),
  "generate": () => require("./build-context/generate"),
  "hostile-image": () => require("./build-context/hostile-image"),
});
