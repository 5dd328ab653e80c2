/**
 * The constructs' tests, one module per construct in __tests__/constructs/, run as one jest file
 * (support/groups.ts says why). One construct: npm test -- __tests__/constructs.test.ts -t "^storage "
 */
import { runFolder } from "./support/groups";

runFolder("constructs");
