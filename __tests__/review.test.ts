/**
 * The review's tests (diff, plan summary, gates, report, workflow), one module per part in
 * __tests__/review/, run as one jest file (support/groups.ts says why). review-cli.test.ts and
 * review-base.test.ts stay files of their own: one mocks the synth module, the other changes directory.
 * One part: npm test -- __tests__/review.test.ts -t "^diff "
 */
import { runModules } from "./support/groups";

runModules("review", {
  "allow-patterns": () => require("./review/allow-patterns"),
  "container-apps": () => require("./review/container-apps"),
  "deployment-diff": () => require("./review/deployment-diff"),
  "diff": () => require("./review/diff"),
  "event-grid": () => require("./review/event-grid"),
  "hostile": () => require("./review/hostile"),
  "images": () => require("./review/images"),
  "plan-summary": () => require("./review/plan-summary"),
  "replacements": () => require("./review/replacements"),
  "report": () => require("./review/report"),
  "sensitive": () => require("./review/sensitive"),
  "size": () => require("./review/size"),
  "workflow": () => require("./review/workflow"),
});
