// User namespaces: linux.uidMappings/gidMappings written by the sentry before the init does
// anything; root inside is an unprivileged id outside; devices are bound from the host.
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, MOAT, type SpecObject, uniqueId } from "../helpers/bundle.ts";
import { assertCreateRefused, moat, moatToFile, runBundle, waitFor } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

function userns(s: SpecObject, hostID = 100000, size = 65536) {
  s.linux.namespaces.push({ type: "user" });
  s.linux.uidMappings = [{ containerID: 0, hostID, size }];
  s.linux.gidMappings = [{ containerID: 0, hostID, size }];
}

Deno.test({
  name: "userns: root inside is the mapped id outside",
  ...root,
  async fn() {
    const bundle = makeBundle(
      [
        "sh",
        "-c",
        // it waits for the test to have looked at it from the host (no timing involved)
        "id -u; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /bin/busybox; echo x > /dev/null && echo dev-ok; while [ ! -e /dev/shm/go ]; do sleep 0.05; done",
      ],
      (s) => userns(s),
    );
    const id = uniqueId("userns");
    const running = runBundle(bundle, id);
    // From the host, the container's process runs as the mapped id.
    let hostUid = "";
    await waitFor(async () => {
      const st = await moat(["state", id]);
      if (st.code === 0 && JSON.parse(st.stdout).status === "running") {
        // state.pid is the container's init: its credentials as the host sees them
        try {
          const status = Deno.readTextFileSync(`/proc/${JSON.parse(st.stdout).pid}/status`);
          hostUid = /^Uid:\t(\d+)/m.exec(status)![1];
        } catch { /* gone */ }
      }
      return hostUid !== "";
    }, 30_000);
    const go = await moat(["exec", id, "touch", "/dev/shm/go"]);
    assertEquals(go.code, 0, go.stderr);
    const r = await running;
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().replace(/\s+/g, " "));
    assertEquals(lines, ["0", "0 100000 65536", "0 100000 65536", "65534", "dev-ok"]);
    assertEquals(hostUid, "100000");
  },
});

Deno.test({
  name: "userns: exec joins the user namespace too",
  ...root,
  async fn() {
    const bundle = makeBundle(["sleep", "30"], (s) => userns(s, 200000, 1000));
    const id = uniqueId("usexec");
    assertEquals((await moatToFile(["run", "-d", "--bundle", bundle, id], `${bundle}/o`)).code, 0);
    try {
      const r = await moat(["exec", id, "cat", "/proc/self/uid_map"]);
      assertEquals(r.stdout.trim().replace(/\s+/g, " "), "0 200000 1000", r.stderr);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "userns: bad mappings are clear errors and leave nothing",
  ...root,
  async fn() {
    const cases: Array<[(s: SpecObject) => void, string]> = [
      [
        (s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]),
        "linux.uidMappings: set without a user namespace",
      ],
      [
        (s) => s.linux.namespaces.push({ type: "user" }),
        "linux.uidMappings: a new user namespace needs uid and gid mappings",
      ],
      [
        (s) => userns(s, 4294967000, 65536),
        "linux.uidMappings[0]: range 0+65536 does not fit 32-bit ids",
      ],
      [(s) => {
        userns(s);
        s.linux.uidMappings.push({ containerID: 10, hostID: 300000, size: 5 });
      }, "write uid_map of the container init: invalid argument"],
    ];
    await assertCreateRefused(cases);
  },
});

Deno.test({
  name: "rootless: an unprivileged caller runs a container (cgroups skipped, XDG root)",
  ...root,
  async fn() {
    const bundle = makeBundle(
      ["sh", "-c", "id -u; cat /proc/self/uid_map; echo rootless-ok"],
      (s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) =>
          n.type !== "network"
        );
        s.linux.namespaces.push({ type: "user" });
        s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        // no network namespace of its own: sysfs cannot be mounted, bind the host's (runc spec --rootless)
        s.mounts = s.mounts.map((m: SpecObject) =>
          m.destination === "/sys"
            ? {
              destination: "/sys",
              type: "none",
              source: "/sys",
              options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
            }
            : m
        ).filter((m: SpecObject) => m.destination !== "/sys/fs/cgroup");
        s.mounts.find((m: SpecObject) => m.destination === "/dev/pts").options = [
          "nosuid",
          "noexec",
          "newinstance",
          "ptmxmode=0666",
          "mode=0620",
        ];
      },
    );
    const xdg = Deno.makeTempDirSync({ prefix: "moat-xdg-" });
    Deno.chownSync(xdg, 1000, 1000);
    const id = uniqueId("rootless");
    const r = await new Deno.Command("setpriv", {
      args: [
        "--reuid=1000",
        "--regid=1000",
        "--clear-groups",
        "env",
        `XDG_RUNTIME_DIR=${xdg}`,
        `DENO_DIR=${xdg}/deno`,
        MOAT,
        "run",
        "--bundle",
        bundle,
        id,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assertEquals(out.trim().split("\n").map((l) => l.trim().replace(/\s+/g, " ")), [
      "0",
      "0 1000 1",
      "rootless-ok",
    ], new TextDecoder().decode(r.stderr));
    assertEquals(r.code, 0);
    // the default state root of a non-root caller is $XDG_RUNTIME_DIR/moat (emptied by run's delete)
    assertEquals(
      [...Deno.readDirSync(`${xdg}/moat`)].filter((e) => !e.name.startsWith(".")).length,
      0,
    );
    Deno.removeSync(xdg, { recursive: true });
  },
});

Deno.test({
  name: "idmapped mounts: the mount's maps, or the container's with `idmap`",
  ...root,
  async fn() {
    const src = Deno.makeTempDirSync({ prefix: "moat-idmap-" });
    Deno.chmodSync(src, 0o755);
    Deno.writeTextFileSync(`${src}/f`, "x");
    // Without a user namespace: on-disk 0 appears as 1000 through the mount's own maps.
    const plain = makeBundle(["stat", "-c", "%u:%g", "/data/f"], (s) => {
      s.mounts.push({
        destination: "/data",
        type: "bind",
        source: src,
        options: ["bind"],
        uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      });
    });
    const a = await runBundle(plain, uniqueId("idmap"));
    assertEquals(a.stdout, "1000:1000\n", a.stderr);
    // In a user namespace (0 -> 100000), `idmap` makes host-root files the container root's:
    // without it they would show as 65534 and refuse writes.
    const inUserns = makeBundle([
      "sh",
      "-c",
      "stat -c %u /data/f; echo y > /data/g && echo wrote; stat -c %u /data/g",
    ], (s) => {
      userns(s);
      s.mounts.push({
        destination: "/data",
        type: "bind",
        source: src,
        options: ["bind", "idmap"],
      });
    });
    const b = await runBundle(inUserns, uniqueId("idmap"));
    assertEquals(b.stdout, "0\nwrote\n0\n", b.stderr);
    assertEquals(
      Deno.statSync(`${src}/g`).uid,
      0,
      "written through the idmapped mount as host root",
    );
    // Only bind mounts can be idmapped.
    const bad = makeBundle(["true"], (s) => {
      s.mounts.push({ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap"] });
    });
    const c = await moatToFile(["create", "--bundle", bad, uniqueId("idmap")], `${bad}/o`);
    assertEquals(c.code, 1);
    assertStringIncludes(c.stderr, "idmapped mounts are only supported for bind mounts");
    Deno.removeSync(src, { recursive: true });
  },
});
