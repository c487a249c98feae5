// A reader that closes our stdout or stderr early (`faultbox check SPEC | head -1`) ends the output,
// not the program: Node reports the closed pipe as an 'error' event (EPIPE), which would otherwise
// crash the process with a stack trace. Later writes to that stream are dropped.
let installed = false;

export function endQuietlyOnClosedOutput(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
      // Anything else on our own output (a full disk behind a redirect) is worth one line on the other stream.
      const other = stream === process.stdout ? process.stderr : process.stdout;
      if (!other.destroyed) other.write(`faultbox: cannot write output: ${err.message}\n`);
    });
  }
}
