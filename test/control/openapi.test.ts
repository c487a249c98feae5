// The checked-in OpenAPI document (src/control/openapi.json) is a valid OpenAPI 3.1 document, and the
// live control API answers what it says: every operation is called, and every answer (success and
// error) is validated against the schema the document gives for that operation and status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { request } from "node:http";
import { startHarness, type Answer } from "./helpers.js";

const DOC_URL = new URL("../../src/control/openapi.json", import.meta.url);
const doc = JSON.parse(readFileSync(DOC_URL, "utf8")) as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: unknown }> }>>;
  components: { responses: Record<string, unknown> };
};
const BASE = "https://faultbox.invalid/openapi.json";
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

test("the document is valid OpenAPI 3.1", async () => {
  const result = await new Validator().validate(structuredClone(doc) as Parameters<Validator["validate"]>[0]);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

test("every operation's live answers match the document's schemas", async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat("date-time", (s: string) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addSchema(doc, BASE);
  const validated = new Set<string>();

  /** Validates an answer of METHOD TEMPLATE against the documented response for its status. */
  const check = (method: string, template: string, a: Answer, contentType = "application/json") => {
    const op = doc.paths[template]?.[method];
    assert.ok(op, `${method.toUpperCase()} ${template} is not in the document`);
    const status = String(a.status);
    let ref = `#/${pointer("paths", template, method, "responses", status)}`;
    const response = op.responses[status];
    assert.ok(
      response,
      `${method.toUpperCase()} ${template} answered ${status}, which the document does not list`,
    );
    if (response.$ref) ref = response.$ref;
    const validate = ajv.getSchema(`${BASE}${ref}/${pointer("content", contentType, "schema")}`);
    assert.ok(validate, `no ${contentType} schema for ${method.toUpperCase()} ${template} ${status}`);
    const body = contentType === "application/json" ? a.json : JSON.parse(a.text.split("\n")[0]!);
    assert.ok(
      validate(body),
      `${method.toUpperCase()} ${template} ${status}: ${ajv.errorsText(validate.errors)}\n${a.text}`,
    );
    if (a.status < 300) validated.add(`${method} ${template}`);
  };

  const h = await startHarness();
  try {
    const web = async (path: string) =>
      new Promise<void>((resolve) => {
        const req = request({ host: "127.0.0.1", port: h.webPort, path, agent: false }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", () => resolve());
        req.end();
      });
    check("get", "/", await h.call("GET", "/"));
    check("get", "/seed", await h.call("GET", "/seed"));
    check("get", "/proxies", await h.call("GET", "/proxies"));
    check("get", "/proxies/{name}", await h.call("GET", "/proxies/web"));
    check("get", "/proxies/{name}", await h.call("GET", "/proxies/nope"));
    const one = await h.call("POST", "/proxies/web/rules", {
      action: "error",
      path: "/x",
      status: 503,
      probability: 0.5,
    });
    check("post", "/proxies/{name}/rules", one);
    const many = await h.call("POST", "/proxies/web/rules", [
      { action: "delay", path: "/y", delay: "1ms" },
      { action: "drop", path: "/z" },
    ]);
    check("post", "/proxies/{name}/rules", many);
    check(
      "post",
      "/proxies/{name}/rules",
      await h.call("POST", "/proxies/web/rules", { action: "drop", nope: 1 }),
    );
    check(
      "post",
      "/proxies/{name}/rules",
      await h.call("POST", "/proxies/web/rules", "{}", { "Content-Type": "text/plain" }),
    );
    check(
      "post",
      "/proxies/{name}/rules",
      await h.call(
        "POST",
        "/proxies/web/rules",
        JSON.stringify({ action: "drop", path: "x".repeat(300 * 1024) }),
      ),
    );
    for (let i = 0; i < 6; i++) await web("/x");
    await web("/y");
    check("get", "/proxies/{name}/rules", await h.call("GET", "/proxies/web/rules"));
    const id = (one.json as { id: number }).id;
    check("get", "/proxies/{name}/rules/{id}", await h.call("GET", `/proxies/web/rules/${id}`));
    check("get", "/proxies/{name}/rules/{id}", await h.call("GET", "/proxies/web/rules/999"));
    check("get", "/rules", await h.call("GET", "/rules"));
    check("get", "/events", await h.call("GET", "/events"));
    check("get", "/events", await h.call("GET", "/events?type=fault&limit=2&since=1&proxy=web"));
    check("get", "/events", await h.call("GET", "/events?type=bad"));
    check("delete", "/proxies/{name}/rules/{id}", await h.call("DELETE", `/proxies/web/rules/${id}`));
    check("delete", "/proxies/{name}/rules/{id}", await h.call("DELETE", `/proxies/web/rules/${id}`));
    check("get", "/events", await h.call("GET", "/events"));
    check("delete", "/proxies/{name}/rules", await h.call("DELETE", "/proxies/web/rules"));
    check("post", "/reset", await h.call("POST", "/reset"));
    check("get", "/openapi.json", await h.call("GET", "/openapi.json"));
    assert.deepEqual((await h.call("GET", "/openapi.json")).json, doc);

    // The stream: one NDJSON line validated as an Event.
    await h.call("POST", "/proxies/web/rules", { action: "drop", path: "/s" });
    const line = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: h.control.address.port, path: "/events/stream?type=fault", agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c) => {
            text += c;
            if (text.includes("\n")) {
              req.destroy();
              resolve({ status: res.statusCode!, headers: res.headers, text, json: undefined });
            }
          });
          void web("/s");
        },
      );
      req.on("error", reject);
      req.end();
    });
    check("get", "/events/stream", line, "application/x-ndjson");
    check("get", "/events/stream", await h.call("GET", "/events/stream?since=x"));
  } finally {
    await h.close();
  }

  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m !== "parameters")
      .map((m) => `${m} ${path}`),
  );
  assert.deepEqual(
    documented.filter((op) => !validated.has(op)),
    [],
    "every documented operation answered successfully at least once",
  );
});
