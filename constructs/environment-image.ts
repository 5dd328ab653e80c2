import { Construct } from "constructs";
import { Fn, Token, type ITerraformDependable } from "cdktf";
import { AzapiResourceAction } from "./azapi";
import { IMAGE_OUTPUTS, type ImageStack } from "./image-stack";
import type { ManagedIdentity } from "./identity";
import type { Registry } from "./registry";
import { TerraformData } from "./terraform-data";

/** ACR's importImage action (learn.microsoft.com/rest/api/containerregistry/registries/import-image). */
export const ACR_API_VERSION = "2023-07-01";

/** What an app needs to run an image by digest. */
export interface RunnableImage {
  /** Registry host the app pulls from. */
  readonly loginServer: string;
  readonly repository: string;
  /** `sha256:<hex>`. */
  readonly digest: string;
  /** `<login server>/<repository>@sha256:<hex>`. */
  readonly reference: string;
  /** What the app waits for before its first pull: the digest check, and the import into its own registry. */
  readonly ready: readonly ITerraformDependable[];
}

export interface EnvironmentImageProps {
  /** The stack that built the image; its state holds the digest. */
  readonly source: ImageStack;
  /** Identity that pulls the image. */
  readonly identity: ManagedIdentity;
  /** The environment's own registry, which receives the image by import of its digest.
   * @default none: the identity pulls from the source's registry, with AcrPull granted on it */
  readonly ownRegistry?: Registry;
}

/**
 * The image an environment runs: the image stack's digest, read from that stack's state (a Terraform
 * reference, not a copy of its value), and either pulled from the shared registry or imported by
 * digest into the environment's own. No build happens here.
 */
export class EnvironmentImage extends Construct implements RunnableImage {
  readonly loginServer: string;
  readonly repository: string;
  readonly digest: string;
  readonly reference: string;
  readonly ready: readonly ITerraformDependable[];
  /** The import into the environment's own registry (ownRegistry only). */
  readonly import?: AzapiResourceAction;

  constructor(scope: Construct, id: string, props: EnvironmentImageProps) {
    super(scope, id);
    const sourceStack = props.source.node.id;
    const state = props.source.remoteState(this, "source");
    // try(): an image stack not deployed yet has no outputs; the check below then names what to deploy.
    const output = (name: string): string => Token.asString(Fn.try([state.getString(name), ""]));
    const sourceRegistryId = output(IMAGE_OUTPUTS.registryId);
    this.repository = output(IMAGE_OUTPUTS.repository);
    this.digest = output(IMAGE_OUTPUTS.digest);
    const check = new TerraformData(this, "digest", {
      input: this.digest,
      lifecycle: {
        precondition: [
          {
            condition: Fn.can(Fn.regex("^sha256:[0-9a-f]{64}$", this.digest)),
            errorMessage: `No image in the state of ${sourceStack} yet: deploy it first (npm run deploy -- ${sourceStack}), then this stack.`,
          },
        ],
      },
    });
    const ready: ITerraformDependable[] = [check];
    if (props.ownRegistry) {
      this.loginServer = props.ownRegistry.loginServer;
      // Same digest, copied registry to registry by Azure: the manifest and layers are the pushed bytes.
      this.import = new AzapiResourceAction(this, "import", {
        type: `Microsoft.ContainerRegistry/registries@${ACR_API_VERSION}`,
        resourceId: props.ownRegistry.id,
        action: "importImage",
        method: "POST",
        body: {
          source: { resourceId: sourceRegistryId, sourceImage: `${this.repository}@${this.digest}` },
          // The tag keeps the manifest from counting as untagged; apps run it by digest, never by tag.
          targetTags: [`${this.repository}:${output(IMAGE_OUTPUTS.tag)}`],
          mode: "Force",
        },
        dependsOn: [check],
      });
      ready.push(this.import);
    } else {
      this.loginServer = output(IMAGE_OUTPUTS.loginServer);
      props.identity.grant(this, "acr-pull", "AcrPull", sourceRegistryId);
    }
    this.reference = `${this.loginServer}/${this.repository}@${this.digest}`;
    this.ready = ready;
  }
}
