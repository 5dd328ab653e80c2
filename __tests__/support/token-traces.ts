// cdktf captures a complete stack trace into a plain object for every token it creates, to show only in
// rare token errors. Under jest each capture is source-mapped, which made it a third of a synth's CPU.
// Captures into anything but an error come out empty, as they do when the launcher runs the app
// (scripts/mlfunc.js). Errors keep jest's source-mapped traces: jest installs that formatter on Node's
// own Error after the setup files run, so it is looked up there, at each call.
import { types } from "node:util";
import { runInThisContext } from "node:vm";

const nodeError = runInThisContext("Error") as ErrorConstructor;

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown => {
  if (!types.isNativeError(error)) return "";
  const format = nodeError.prepareStackTrace;
  return format ? format(error, frames) : `${String(error)}\n    at ${frames.join("\n    at ")}`;
};
