// The history checker (Jepsen's queue checks, built in): extract a history from the event log, check it.
export { checkHistory, type CheckOptions } from "./check.js";
export { historyFromEvents, HISTORY_EVENT_TYPES, type ExtractOptions, type Extracted } from "./extract.js";
export {
  describeVerdict,
  describeFailures,
  describeCounts,
  describeExample,
  describeKind,
} from "./summary.js";
export * from "./types.js";
export {
  runHistoryCheck,
  historyFailure,
  verdictForSpec,
  validAllow,
  historyMonitorDef,
  type HistoryCheckOptions,
} from "./run-check.js";
