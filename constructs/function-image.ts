import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { Image } from "@cdktf/provider-docker/lib/image";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image";
import type { Registry } from "./registry";

export interface FunctionImageProps {
  /** Folder holding the generated build context (Dockerfile, host.json, functions, model, runtime). */
  readonly contextDir: string;
  /** Hash of the context's relative paths and contents; it becomes the image tag. */
  readonly contentHash: string;
  readonly registry: Registry;
}

/**
 * The function app's container image, built by the docker provider from the build context and
 * pushed with the registry's scoped token. The tag is the context's content hash, so a changed
 * model or script is a new tag in the plan, while unchanged input plans no change at all.
 */
export class FunctionImage extends Construct {
  readonly repository: string;
  readonly tag: string;
  readonly image: Image;
  readonly push: RegistryImage;

  constructor(scope: Construct, id: string, props: FunctionImageProps) {
    super(scope, id);
    this.repository = props.registry.repository;
    this.tag = props.contentHash.slice(0, 16);
    // Copied into the stack folder: the JSON names it relative to the stack, never by this machine's path.
    const context = new TerraformAsset(this, "context", { path: props.contextDir, type: AssetType.DIRECTORY, assetHash: props.contentHash });
    const triggers = { context_hash: props.contentHash };
    this.image = new Image(this, "image", {
      name: `${props.registry.loginServer}/${this.repository}:${this.tag}`,
      buildAttribute: { context: `\${path.module}/${context.path}`, platform: "linux/amd64" },
      triggers,
      keepLocally: true,
    });
    this.push = new RegistryImage(this, "push", {
      name: this.image.name,
      triggers,
      // Old tags stay in the registry so a rollback is a plan away.
      keepRemotely: true,
      authConfig: props.registry.pushAuth,
    });
  }

  /** `<login server>/<repository>:<tag>`: what was pushed, under a tag that a rebuild may move. */
  get reference(): string {
    return this.push.name;
  }

  /** `sha256:<hex>` of the pushed manifest, known once it is pushed: the identity every environment runs. */
  get digest(): string {
    return this.push.sha256Digest;
  }
}
