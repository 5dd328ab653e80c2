import { Construct } from "constructs";
import { TerraformOutput, TerraformStack, type TerraformBackend, type TerraformRemoteState } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import type { StateConfig } from "../config/schema";
import { ResourceGroup } from "./resource-group";
import { Registry } from "./registry";
import { FunctionImage } from "./function-image";
import { useStateBackend } from "./state-backend";
import { protectData } from "./protection";

/** The image stack's outputs that environment stacks read from its state. */
export const IMAGE_OUTPUTS = {
  digest: "image_digest",
  registryId: "registry_id",
  loginServer: "registry_login_server",
  repository: "repository",
  tag: "image_tag",
  reference: "image_reference",
} as const;

export interface ImageStackProps {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly registryName: string;
  /** Name of the token (and its scope map) that pushes the image. */
  readonly registryTokenName: string;
  readonly repository: string;
  /** The generated image build context and its content hash. */
  readonly buildContext: { readonly dir: string; readonly hash: string };
  /** @default "Basic" */
  readonly registrySku?: "Basic" | "Standard" | "Premium";
  /** Environment stacks read this stack's outputs from the same backend. @default local state in the project folder */
  readonly state?: StateConfig;
  readonly tags?: Readonly<Record<string, string>>;
  /** Address patterns (`review.allowDelete`) whose resources may be destroyed; the registry otherwise carries prevent_destroy. @default none */
  readonly allowDelete?: readonly string[];
}

/**
 * `<app>-image`: builds the image once from the build context and pushes it into the shared
 * registry. Its output `image_digest` is the identity every environment runs: environments refer to
 * it through this stack's remote state, never by a copy of the context or a tag.
 */
export class ImageStack extends TerraformStack {
  readonly registry: Registry;
  readonly image: FunctionImage;
  private readonly backend: TerraformBackend;

  constructor(scope: Construct, id: string, props: ImageStackProps) {
    super(scope, id);
    this.backend = useStateBackend(this, props.state ?? { backend: "local" }, id);
    new AzurermProvider(this, "azurerm", { features: [{}], storageUseAzuread: true });
    new DockerProvider(this, "docker", {});
    const resourceGroup = new ResourceGroup(this, "resource-group", { name: props.resourceGroupName, location: props.location, tags: props.tags });
    this.registry = new Registry(this, "registry", {
      name: props.registryName,
      resourceGroup,
      repository: props.repository,
      pushTokenName: props.registryTokenName,
      sku: props.registrySku,
      tags: props.tags,
    });
    this.image = new FunctionImage(this, "image", { contextDir: props.buildContext.dir, contentHash: props.buildContext.hash, registry: this.registry });
    new TerraformOutput(this, IMAGE_OUTPUTS.digest, { value: this.image.digest });
    new TerraformOutput(this, IMAGE_OUTPUTS.registryId, { value: this.registry.id });
    new TerraformOutput(this, IMAGE_OUTPUTS.loginServer, { value: this.registry.loginServer });
    new TerraformOutput(this, IMAGE_OUTPUTS.repository, { value: this.image.repository });
    new TerraformOutput(this, IMAGE_OUTPUTS.tag, { value: this.image.tag });
    new TerraformOutput(this, IMAGE_OUTPUTS.reference, { value: `${this.registry.loginServer}/${this.image.repository}@${this.image.digest}` });
    // The registry holds every digest an environment may still run.
    protectData(this, props.allowDelete);
  }

  /** This stack's state as a `terraform_remote_state` data source in `scope`'s stack, read from the same backend. */
  remoteState(scope: Construct, id: string): TerraformRemoteState {
    return this.backend.getRemoteStateDataSource(scope, id, this.node.id);
  }
}
