import { Construct } from "constructs";
import { Fn } from "cdktf";
import { TerraformData } from "./terraform-data";

/**
 * A Functions host key made once by Terraform: two random UUIDs without hyphens (244 random bits).
 * Terraform's `uuid()` changes at every plan, so `ignore_changes` keeps the first value, the pattern
 * Terraform documents for `uuid()` in resources. It is marked sensitive where it is made and wherever
 * it is used, so plans mask it; it is stored in state only, never in synthesized JSON.
 */
export class GeneratedKey extends Construct {
  protected readonly data: TerraformData;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.data = new TerraformData(this, "value", {
      input: Fn.sensitive(Fn.replace(Fn.join("", [Fn.uuid(), Fn.uuid()]), "-", "")),
      lifecycle: { ignoreChanges: ["input"] },
    });
  }

  /** The key, marked sensitive. */
  get value(): string {
    return Fn.sensitive(this.data.output);
  }
}
