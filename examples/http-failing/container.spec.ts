// An image-based service: needs a Docker or Podman engine; without one the error names the alternatives.
import { defineSpec } from "../../src/index.js";

export default defineSpec((fb) => {
  fb.service("web", {
    image: "nginx:1.27",
    interfaces: [fb.interface("main", "http", 80)],
    healthcheck: fb.ready({ timeout: "30s" }),
  });
  fb.test("serves", async () => {
    fb.assertTrue(true);
  });
});
