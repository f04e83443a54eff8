import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { detectLayout } from "../../../core/cgroup/detect.ts";
import { expandSlice, innerPath, resolveDirs, systemdToPath } from "../../../core/cgroup/paths.ts";
import { parseMountinfoCgroups } from "../../../core/plan/host.ts";
import { hybridHost, v1Host, v2Host } from "./fake_fs.ts";

const own = new Map([
  ["cpu", "/"],
  ["memory", "/user/42"],
  ["", "/user.slice/session-1.scope"],
]);

Deno.test("detect: hybrid (v1 + unified/), v2 only, v1 only; from a real mountinfo text", () => {
  const h = hybridHost();
  const hl = detectLayout(h.mounts, h.fs);
  assertEquals(hl.mode, "hybrid");
  assertEquals(hl.v2Mount, "/sys/fs/cgroup/unified");
  assertEquals(hl.v2Controllers, ["hugetlb"]);
  assertEquals(hl.v1.memory, "/sys/fs/cgroup/memory");
  const v2 = v2Host();
  assertEquals(detectLayout(v2.mounts, v2.fs).mode, "v2");
  const v1 = v1Host();
  assertEquals(detectLayout(v1.mounts, v1.fs).mode, "v1");
  const text = [
    "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755",
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
  ].join("\n");
  const l = detectLayout(parseMountinfoCgroups(text), h.fs);
  assertEquals(l.mode, "hybrid");
  assertEquals(l.v1.cpu, "/sys/fs/cgroup/cpu,cpuacct");
  assertEquals(l.v1Keys.cpuacct, "cpu,cpuacct");
});

Deno.test("paths: empty = <id> relative to the caller's cgroup (v1) and its parent (v2)", () => {
  const h = hybridHost();
  const l = detectLayout(h.mounts, h.fs);
  const d = resolveDirs(l, innerPath(undefined, "c1", false), own);
  assertEquals(d.v1.cpu, "/sys/fs/cgroup/cpu/c1");
  assertEquals(d.v1.memory, "/sys/fs/cgroup/memory/user/42/c1");
  assertEquals(d.v2, "/sys/fs/cgroup/unified/user.slice/c1");
});

Deno.test("paths: relative, absolute, cleaned; the root is refused", () => {
  const h = v2Host();
  const l = detectLayout(h.mounts, h.fs);
  assertEquals(
    resolveDirs(l, innerPath("a/b", "x", false), own).v2,
    "/sys/fs/cgroup/user.slice/a/b",
  );
  assertEquals(resolveDirs(l, innerPath("/a/../b/c", "x", false), own).v2, "/sys/fs/cgroup/b/c");
  assertEquals(resolveDirs(l, innerPath("/a/../b/c", "x", false), own).v1, {});
  assertThrows(() => innerPath("/", "x", false), /root cgroup/);
});

Deno.test("paths: systemd slice:prefix:name → cgroupfs path", () => {
  assertEquals(expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
  assertEquals(expandSlice("-.slice"), "");
  assertThrows(() => expandSlice("a--b.slice"), /invalid slice/);
  assertThrows(() => expandSlice("foo"), /invalid slice/);
  assertEquals(systemdToPath("system.slice:docker:abc", "x"), "/system.slice/docker-abc.scope");
  assertEquals(systemdToPath(":crio:abc", "x"), "/system.slice/crio-abc.scope");
  assertEquals(systemdToPath("", "c9"), "/system.slice/moat-c9.scope");
  assertEquals(systemdToPath("machine.slice::pod.slice", "x"), "/machine.slice/pod.slice");
  const i = innerPath("kubepods-besteffort.slice:cri-containerd:abc", "x", false);
  assertEquals(i.driver, "systemd");
  assertEquals(i.path, "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-abc.scope");
  assertThrows(() => innerPath("/a/b", "x", true), /slice:prefix:name/);
});
