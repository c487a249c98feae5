// The proxy half of the postgres plugin: a TCP proxy acting per connection (the client speaks first,
// but rules act when the connection opens). Kept apart from the steps so it loads without pg.
import type { ProtocolPlugin } from "../../core/protocol.js";
import { startTcpProxy } from "../tcp/proxy.js";

export const postgresProxyPlugin = {
  name: "postgres",
  proxy: (o) => startTcpProxy({ ...o, protocol: "postgres", peekFirstChunk: false }),
  rules: {
    drop: { matchers: [], params: [] },
    delay: { matchers: [], params: ["delay"], required: ["delay"] },
  },
} satisfies Omit<ProtocolPlugin, "steps">;
