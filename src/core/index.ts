// The engine's public surface.
export {
  defineSpec,
  loadTypeScriptSpec,
  createApi,
  type SpecApi,
  type SpecDefinition,
  type InterfaceHandle,
  type ServiceHandle,
} from "./define.js";
export {
  SpecBuilder,
  type ServiceOptions,
  type AssumptionOptions,
  type ScenarioRef,
  type FaultScenarioOptions,
  type FaultMatrixOptions,
  FAULTABLE_SYSCALLS,
} from "./builder.js";
export { runSuite, selectTests, Runtime, NoTestMatched, type RunOptions } from "./engine.js";
export { parseShard, pickShard, type Shard } from "./shard.js";
export { TestRun } from "./run.js";
export { checkSetup, type SetupProblem } from "./services.js";
export {
  EventLog,
  emissionOrigin,
  matchesFilters,
  globMatch,
  type Event,
  type StoredEvent,
  type EventPredicate,
} from "./events.js";
export type { Observer, ObserverContext } from "./observer.js";
export * from "./history/index.js";
export * from "./model.js";
export {
  registerProtocol,
  getProtocol,
  protocolNames,
  checkRuleSupported,
  type ProtocolPlugin,
  type ProtocolProxy,
  type ProxyFactory,
  type ProxyOptions,
  type StepMethod,
  type StepCall,
  type StepOutcome,
  type Address,
  type RuleSupport,
  type HealthcheckContext,
} from "./protocol.js";
export {
  registerLauncher,
  getLauncher,
  registerProcessReaper,
  getProcessReaper,
  type ProcessReaper,
  type Launcher,
  type LaunchRequest,
  type RunningProcess,
} from "./launcher.js";
export {
  registerSyscallController,
  getSyscallController,
  SYSCALL_FAMILIES,
  ERRNOS,
  type SyscallController,
  type SyscallSession,
  type LaunchWrapper,
  type RuleCounts,
} from "./syscall.js";
export {
  SpecError,
  AssertionFailure,
  ServiceStartError,
  TestTimeout,
  errorMessage,
  type SourceLocation,
} from "./errors.js";
export { jsonDecoder, logfmtDecoder, regexDecoder, decodeLine, type Decoder } from "./decoders.js";
export { parseDuration, formatDuration } from "./duration.js";
export { parseProbability } from "./probability.js";
export { createRng, randomSeed, type Rng } from "./random.js";
export type { Response } from "./response.js";
export { exitCode, type SuiteResult, type TestResult, type Verdict } from "./results.js";
export { loadFile, loadJson, loadYaml, resolveInside } from "./files.js";
export { proxyPlaceholder, parseHostPort, startOrder } from "./topology.js";
export { allocatePortSync } from "./ports.js";
