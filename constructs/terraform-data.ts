/**
 * Terraform's built-in `terraform_data` resource. cdktf's own `DataResource` adds a validation that
 * runs `terraform version` at every synth, so synth would need Terraform on the PATH (and spend a
 * process start per stack); the resource itself needs no provider and nothing at synth.
 */
import { Construct } from "constructs";
import { TerraformResource, type TerraformResourceConfig } from "cdktf";

export interface TerraformDataProps extends Pick<TerraformResourceConfig, "provisioners" | "dependsOn" | "lifecycle"> {
  /** A value whose change replaces the resource, running its provisioners again. */
  readonly triggersReplace?: { readonly [key: string]: unknown };
  /** A value stored in state and returned as `output`. */
  readonly input?: unknown;
}

export class TerraformData extends TerraformResource {
  static readonly tfResourceType = "terraform_data";
  private readonly triggersReplace?: { readonly [key: string]: unknown };
  private readonly input?: unknown;

  constructor(scope: Construct, id: string, props: TerraformDataProps) {
    super(scope, id, {
      terraformResourceType: TerraformData.tfResourceType,
      terraformGeneratorMetadata: { providerName: "terraform" },
      provisioners: props.provisioners,
      dependsOn: props.dependsOn,
      lifecycle: props.lifecycle,
    });
    this.triggersReplace = props.triggersReplace;
    this.input = props.input;
  }

  /** The stored `input`. */
  get output(): string {
    return this.getStringAttribute("output");
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return { triggers_replace: this.triggersReplace, input: this.input };
  }
}
