// runtime-spec 1.3 additions: linux.memoryPolicy (set_mempolicy before execve), linux.netDevices
// (host interfaces moved into the container), and intelRdt, refused rather than ignored.
import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { assertCreateRefused, moatToFile, runBundle } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "memoryPolicy: the process runs with the configured NUMA policy",
  ...root,
  async fn() {
    // numa_maps shows the policy of every mapping; the stack inherits the task's policy.
    const bind = makeBundle(["sh", "-c", "grep ' stack ' /proc/self/numa_maps"], (s) => {
      s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"] };
    });
    const r = await runBundle(bind, uniqueId("mpol"));
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, / bind=static:0 stack /);
    const plain = await runBundle(
      makeBundle(["sh", "-c", "grep ' stack ' /proc/self/numa_maps"]),
      uniqueId("mpol"),
    );
    assertMatch(plain.stdout, / default stack /);
  },
});

Deno.test({
  name: "memoryPolicy, intelRdt, netDevices: clear refusals, nothing left",
  ...root,
  async fn() {
    // deno-lint-ignore no-explicit-any
    const cases: Array<[(s: Record<string, any>) => void, string]> = [
      [
        (s) => (s.linux.memoryPolicy = { mode: "MPOL_BIND" }),
        "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node",
      ],
      [
        (s) => (s.linux.memoryPolicy = { mode: "MPOL_LOCAL", nodes: "0" }),
        "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes",
      ],
      [(s) => (s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "5000" }), "outside 0-1023"],
      [
        (s) => (s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "7" }),
        "linux.memoryPolicy: set_mempolicy: invalid argument",
      ],
      [
        (s) => (s.linux.intelRdt = { closID: "x" }),
        "linux.intelRdt: resctrl is not mounted on this host",
      ],
      [
        (s) => (s.linux.netDevices = { eth9: {} }),
        `linux.netDevices["eth9"]: no such network device on the host`,
      ],
    ];
    await assertCreateRefused(cases);
  },
});

Deno.test({
  name: "netDevices: a host interface moves into the container, renamed",
  ...root,
  async fn() {
    const host = `mv${Deno.pid % 100000}`;
    const peer = `${host}p`;
    const ip = (args: string[]) =>
      new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).output();
    assertEquals((await ip(["link", "add", host, "type", "veth", "peer", "name", peer])).code, 0);
    try {
      const bundle = makeBundle(["sh", "-c", "ls /sys/class/net | sort | tr '\\n' ' '"], (s) => {
        s.linux.netDevices = { [host]: { name: "eth7" } };
      });
      const r = await runBundle(bundle, uniqueId("netdev"));
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim(), "eth7 lo");
      // it left the host while the container had it; a veth dies with the container's namespace
      const gone = await ip(["link", "show", peer]);
      assertEquals(gone.code, 1, "the veth pair went away with the container's network namespace");
      // without a network namespace of its own the container cannot take devices
      const shared = makeBundle(["true"], (s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) =>
          n.type !== "network"
        );
        s.linux.netDevices = { lo: {} };
      });
      const refused = await moatToFile(
        ["create", "--bundle", shared, uniqueId("netdev")],
        `${shared}/o`,
      );
      assertEquals(refused.code, 1);
      assertStringIncludes(refused.stderr, "linux.netDevices: requires a new network namespace");
    } finally {
      await ip(["link", "del", host]);
    }
  },
});
