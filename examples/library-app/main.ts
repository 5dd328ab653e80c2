// A platform team's own cdktf app using mlfunc as a construct library (docs/library.md). Install:
// npm install <mlfunc git url or packed tarball> cdktf constructs @cdktf/provider-azurerm @cdktf/provider-docker
import { App } from "cdktf";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { ImageStack, MlfuncStack, buildContext, enforcePolicy, loadDeployment, projectPaths, writeBuildContext } from "mlfunc";

const deployment = loadDeployment(process.env.MLFUNC_CONFIG ?? "mlfunc.yaml"); // validated, defaults applied
const paths = projectPaths(deployment.file); // cdktf.out and .mlfunc/ next to the deployment file
const app = new App({ outdir: paths.outdir, stackTraces: false }); // no machine paths in manifest.json
const context = buildContext(deployment); // one image for every environment
const dir = writeBuildContext(context, paths.contextsDir);
// Built and pushed once; every environment runs its digest.
const { names } = deployment.image;
const image = new ImageStack(app, deployment.image.stackName, {
  resourceGroupName: names.resourceGroup,
  location: deployment.image.location,
  registryName: names.registry,
  registryTokenName: names.registryToken,
  repository: names.repository,
  buildContext: { dir, hash: context.hash },
  state: deployment.state,
  tags: deployment.image.tags,
});

for (const env of deployment.environments) {
  const stack = new MlfuncStack(app, env.stackName, {
    environment: env,
    functions: deployment.functions,
    image,
    state: deployment.state,
    appSettings: { SCORING_MODE: "shadow" }, // added to the function app's settings
    tags: { "cost-center": "ml-platform-42" }, // on every resource
  });
  // Every part is a typed property: add your own resources next to mlfunc's. hostedApp is the app
  // under any hosting (an App Service plan or Container Apps); functionApp / containerApp are set for theirs.
  new ManagementLock(stack, "no-delete", {
    name: `${env.stackName}-no-delete`,
    scope: stack.resourceGroup.resource.id,
    lockLevel: "CanNotDelete",
    notes: `Protects ${stack.hostedApp.name} (${stack.hostedApp.hosting}) and its data`,
  });
}

enforcePolicy(app, { errorAt: "high" }); // the policy rules, as mlfunc's own synth runs them
app.synth();
