/**
 * Terraform's built-in `terraform_data` resource. cdktf's own `DataResource` adds a validation that
 * runs `terraform version` at every synth, so synth would need Terraform on the PATH (and spend a
 * process start per stack); the resource itself needs no provider and nothing at synth.
 */
import { Construct } from "constructs";
import { TerraformResource, type TerraformResourceConfig } from "cdktf";

export interface TerraformDataProps extends Pick<TerraformResourceConfig, "provisioners" | "dependsOn"> {
  /** A value whose change replaces the resource, running its provisioners again. */
  readonly triggersReplace?: { readonly [key: string]: unknown };
}

export class TerraformData extends TerraformResource {
  static readonly tfResourceType = "terraform_data";
  private readonly triggersReplace?: { readonly [key: string]: unknown };

  constructor(scope: Construct, id: string, props: TerraformDataProps) {
    super(scope, id, {
      terraformResourceType: TerraformData.tfResourceType,
      terraformGeneratorMetadata: { providerName: "terraform" },
      provisioners: props.provisioners,
      dependsOn: props.dependsOn,
    });
    this.triggersReplace = props.triggersReplace;
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return { triggers_replace: this.triggersReplace };
  }
}
