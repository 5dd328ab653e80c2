/** The rule set, in report order. Adding a rule: a file named by its id, then a line here. */
import type { PolicyRule } from "../types";
import { rule as app001 } from "./MLF-APP-001";
import { rule as app002 } from "./MLF-APP-002";
import { rule as app003 } from "./MLF-APP-003";
import { rule as app004 } from "./MLF-APP-004";
import { rule as app005 } from "./MLF-APP-005";
import { rule as app006 } from "./MLF-APP-006";
import { rule as app007 } from "./MLF-APP-007";
import { rule as app008 } from "./MLF-APP-008";
import { rule as app009 } from "./MLF-APP-009";
import { rule as st001 } from "./MLF-ST-001";
import { rule as st002 } from "./MLF-ST-002";
import { rule as st003 } from "./MLF-ST-003";
import { rule as st004 } from "./MLF-ST-004";
import { rule as st005 } from "./MLF-ST-005";
import { rule as acr001 } from "./MLF-ACR-001";
import { rule as sb001 } from "./MLF-SB-001";
import { rule as sb002 } from "./MLF-SB-002";
import { rule as sec001 } from "./MLF-SEC-001";
import { rule as sup001 } from "./MLF-SUP-001";
import { rule as aca001 } from "./MLF-ACA-001";
import { rule as aca002 } from "./MLF-ACA-002";
import { rule as aca003 } from "./MLF-ACA-003";
import { rule as aca004 } from "./MLF-ACA-004";
import { rule as aca005 } from "./MLF-ACA-005";
import { rule as eg001 } from "./MLF-EG-001";
import { rule as net001 } from "./MLF-NET-001";
import { rule as net002 } from "./MLF-NET-002";
import { rule as net003 } from "./MLF-NET-003";

export const RULES: readonly PolicyRule[] = [
  app001, app002, app003, app004, app005, app006, app007, app008, app009,
  st001, st002, st003, st004, st005,
  acr001, sb001, sb002, sec001, sup001,
  aca001, aca002, aca003, aca004, aca005,
  eg001,
  net001, net002, net003,
];
