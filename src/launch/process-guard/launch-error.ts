// An error a user can cause or fix while starting a local service (missing Java, busy port, a broker
// that never becomes ready). `what` names the thing that failed, `hint` says what to do about it; the
// message already contains both so it can be printed as is.
export class LaunchError extends Error {
  readonly what: string;
  readonly hint: string;

  constructor(what: string, hint: string, detail?: string) {
    super(`${what}\n  what to do: ${hint}${detail ? `\n${detail}` : ""}`);
    this.name = "LaunchError";
    this.what = what;
    this.hint = hint;
  }
}
