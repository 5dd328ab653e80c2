/**
 * The review's tests (diff, plan summary, gates, report, workflow), one module per part in
 * __tests__/review/, run as one jest file (support/groups.ts says why). review-cli.test.ts and
 * review-base.test.ts stay files of their own: one mocks the synth module, the other changes directory.
 * One part: npm test -- __tests__/review.test.ts -t "^diff "
 */
import { runFolder } from "./support/groups";

runFolder("review");
