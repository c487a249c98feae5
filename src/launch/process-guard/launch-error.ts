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

/** A service could not bind a port chosen free a moment earlier: starting again with new ports helps. */
export class PortRaceError extends LaunchError {
  constructor(what: string, detail?: string) {
    super(what, "retry (ports are chosen free at start) or pass other fixed ports", detail);
    this.name = "PortRaceError";
  }
}

/** Runs `attempt` up to `times` times while it fails with a PortRaceError. */
export async function retryOnPortRace<T>(times: number, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PortRaceError) || i >= times) throw err;
    }
  }
}
