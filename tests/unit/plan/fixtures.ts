import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import type { HostFacts } from "../../../core/plan/host.ts";
import { buildPlan } from "../../../core/plan/resolve.ts";
import type { LaunchPlan } from "../../../core/plan/types.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { parseMountinfoCgroups, parseProcCgroup } from "../../../core/plan/host.ts";

// A hybrid host like these machines: v1 controllers plus hugetlb on the unified cgroup2.
export const HYBRID_MOUNTINFO = [
  "30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
  "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw",
  "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup rw,cpu,cpuacct",
  "34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory",
  "35 30 0:31 / /sys/fs/cgroup/pids rw,nosuid shared:15 - cgroup cgroup rw,pids",
].join("\n");

export const HYBRID_SELF = "0::/user\n4:pids:/user\n3:memory:/user\n2:cpu,cpuacct:/user\n";

export function fakeHost(kinds: Record<string, "dir" | "file"> = {}): HostFacts {
  return {
    capLast: () => 40,
    cgroupMounts: () => parseMountinfoCgroups(HYBRID_MOUNTINFO),
    ownCgroups: () => parseProcCgroup(HYBRID_SELF),
    kind: (p) => kinds[p] ?? (p.startsWith("/bundle/rootfs") ? "dir" : "missing"),
  };
}

/** The CLI-side options every planning test uses. */
export const PLAN_OPTS = {
  id: "c1",
  bundle: "/bundle",
  notifySocket: "/run/moat/c1/notify.sock",
  controlSocket: "/run/moat/c1/sentry.sock",
  noPivot: false,
  noNewKeyring: false,
  preserveFds: 0,
};

/** The plan of `moat spec`'s config (without a terminal), adjusted by `edit`, on the fake host. */
// deno-lint-ignore no-explicit-any
export function planOf(edit?: (s: any) => void): LaunchPlan {
  // deno-lint-ignore no-explicit-any
  const s: any = defaultSpec();
  s.process.terminal = false;
  edit?.(s);
  return buildPlan(parseSpec(s), PLAN_OPTS, fakeHost());
}
