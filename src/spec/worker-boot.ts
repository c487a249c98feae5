// The Starlark worker's entry when the faultbox command runs from its bundle: worker.cjs, the worker
// bundled as one CommonJS file beside this one (bin/build-bundle.js), compiled with a V8 code cache
// (code-cache.ts). From the sources, host.ts starts worker.ts through tsx instead.
import { join } from "node:path";
import { runWithCodeCache } from "./code-cache.js";

runWithCodeCache(join(__dirname, "worker.cjs"), () => {});
