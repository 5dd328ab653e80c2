// cdktf captures a complete stack trace into a plain object for every token it creates, to show only in
// rare token errors. Under jest each capture is source-mapped, which made it a third of a synth's CPU.
// Plain-object captures come out empty, as they do when the launcher runs the app (scripts/mlfunc.js).
// Errors keep jest's source-mapped traces: jest installs that formatter on Node's own Error after the
// setup files run, so it is looked up there, at each call. Node's fs errors are made with that Error.
import { statSync } from "node:fs";

const nodeError = ((): { prepareStackTrace?: (error: Error, frames: NodeJS.CallSite[]) => unknown } => {
  try {
    statSync("\0");
  } catch (e) {
    return (e as Error).constructor as ErrorConstructor;
  }
  throw new Error("statSync of a NUL path did not fail");
})();

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown => {
  if (typeof error === "object" && error !== null && Object.getPrototypeOf(error) === Object.prototype) return "";
  const format = nodeError.prepareStackTrace;
  return format ? format(error, frames) : `${String(error)}\n    at ${frames.join("\n    at ")}`;
};
