import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { cgroupsPathUnder, moatKeys, podInfo } from "../../../core/sandbox/pod.ts";

Deno.test("pod: containerd's and CRI-O's annotations, sandbox or container", () => {
  assertEquals(podInfo({ "io.kubernetes.cri.container-type": "sandbox" }, "s1"), {
    type: "sandbox",
    sandboxId: "s1",
  });
  assertEquals(
    podInfo({
      "io.kubernetes.cri.container-type": "container",
      "io.kubernetes.cri.sandbox-id": "s1",
      "io.kubernetes.cri.sandbox-namespace": "prod",
    }, "c1"),
    { type: "container", sandboxId: "s1", sandboxNamespace: "prod" },
  );
  assertEquals(
    podInfo({
      "io.kubernetes.cri-o.ContainerType": "container",
      "io.kubernetes.cri-o.SandboxID": "x",
    }, "c")
      ?.sandboxId,
    "x",
  );
  assertEquals(podInfo({ "io.kubernetes.cri.container-type": "container" }, "c"), undefined);
  assertEquals(podInfo({ other: "1" }, "c"), undefined);
  assertEquals(moatKeys({ "dev.moat.trace": "all", "io.x": "y" }), { "dev.moat.trace": "all" });
});

Deno.test("pod: the cgroup parent annotation keeps the leaf and refuses bad values", () => {
  const a = { "dev.moat.spec.cgroup-parent": "/pods/p1/" };
  assertEquals(cgroupsPathUnder(a, "/kubepods/besteffort/c1", "c1"), "/pods/p1/c1");
  assertEquals(cgroupsPathUnder(a, undefined, "c2"), "/pods/p1/c2");
  assertEquals(cgroupsPathUnder({ "dev.gvisor.spec.cgroup-parent": "/g" }, "x", "c"), "/g/x");
  assertEquals(cgroupsPathUnder({}, "/a/b", "c"), "/a/b");
  assertThrows(
    () => cgroupsPathUnder({ "dev.moat.spec.cgroup-parent": "rel" }, "", "c"),
    /an absolute cgroup path/,
  );
  assertThrows(
    () => cgroupsPathUnder({ "dev.moat.spec.cgroup-parent": "/a/../b" }, "", "c"),
    /an absolute/,
  );
  assertThrows(() => cgroupsPathUnder(a, "system.slice:moat:c", "c"), /systemd cgroupsPath/);
});
