// faultbox as a library: the engine, the TypeScript spec API, and the built-in launchers and protocols.
import { registerProtocol } from "./core/protocol.js";
import { registerLaunchers } from "./launch/index.js";
import { httpProtocol } from "./protocols/http/index.js";
import { registerKafkaProtocol } from "./protocols/kafka/plugin/index.js";
import { postgresProtocol } from "./protocols/postgres/index.js";
import { tcpProtocol } from "./protocols/tcp/index.js";
import { registerSeccompController } from "./syscall/index.js";

/** Registers the built-in launchers and protocols (idempotent). */
export function registerBuiltins(): void {
  registerLaunchers();
  registerProtocol(httpProtocol);
  registerProtocol(tcpProtocol);
  registerProtocol(postgresProtocol);
  registerKafkaProtocol();
  registerSeccompController();
}
registerBuiltins();

export * from "./core/index.js";
export {
  FaultboxProxyClient,
  FaultboxProxyError,
  type FaultboxProxyClientOptions,
  type RuleRequest,
  type EventFilter,
  type EventsPage,
  type ProxyInfo,
  type ControlEvent,
  type ProxyView,
  type RuleView,
} from "./control/client.js";
