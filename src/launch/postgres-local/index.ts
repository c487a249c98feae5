// A throwaway PostgreSQL from the system's server binaries (Debian's postgresql packages).
export { startPostgres, stopPostgresRecord, POSTGRES_USER, POSTGRES_DATABASE } from "./start.js";
export type { StartPostgresOptions, PostgresServer, PostgresRecord } from "./start.js";
export { findPostgresBin } from "./binaries.js";
