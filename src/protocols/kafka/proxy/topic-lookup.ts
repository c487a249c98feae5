// The side lookup of topic names for ids the proxy has not seen in a relayed Metadata response (a proxy
// started under live clients): one Metadata v12 request by topic id on a short-lived connection.
import { connect } from "node:net";
import { FrameReader, decodeResponse, encodeRequest, type MetadataResponse } from "../wire/index.js";

const METADATA_VERSION = 12;
const LOOKUP_TIMEOUT_MS = 5000;

export function lookupTopicNames(
  upstream: { host: string; port: number },
  topicIds: string[],
): Promise<MetadataResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(upstream);
    const frames = new FrameReader();
    const timer = setTimeout(
      () =>
        fail(
          new Error(
            `no Metadata answer from ${upstream.host}:${upstream.port} within ${LOOKUP_TIMEOUT_MS} ms`,
          ),
        ),
      LOOKUP_TIMEOUT_MS,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    socket.on("error", fail);
    socket.on("data", (chunk) => {
      try {
        const [frame] = frames.push(chunk);
        if (!frame) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(decodeResponse(3, METADATA_VERSION, frame).body);
      } catch (e) {
        fail(e as Error);
      }
    });
    socket.write(
      encodeRequest(3, METADATA_VERSION, 1, "faultbox-proxy-topic-lookup", {
        topics: topicIds.map((topicId) => ({ topicId, name: null })),
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    );
  });
}
