// Tags 40-41 (PROTOCOL.md §6a): encoded by TS, read back by both decoders; C bounds-checks them.
import { assertEquals, assertStringIncludes } from "../../helpers/assert.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { buildPlan } from "../../../core/plan/resolve.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { loadLibmoat } from "../../../ffi/libmoat.ts";
import { fakeHost } from "../plan/fixtures.ts";

function plan() {
  // deno-lint-ignore no-explicit-any
  const s: any = defaultSpec();
  s.process.terminal = false;
  s.root.path = "rootfs";
  return buildPlan(parseSpec(s), {
    id: "c1",
    bundle: "/bundle",
    notifySocket: "/run/n.sock",
    controlSocket: "/run/c.sock",
    noPivot: false,
    noNewKeyring: false,
    preserveFds: 0,
  }, fakeHost());
}

Deno.test("plan tags CGROUP_PROCS/CGROUP_V2_DIR: round trip through both decoders", () => {
  const p = plan();
  p.cgroupProcs = ["/sys/fs/cgroup/pids/c1/cgroup.procs", "/sys/fs/cgroup/unified/c1/cgroup.procs"];
  p.cgroupV2Dir = "/sys/fs/cgroup/unified/c1";
  const bytes = encodePlan(p);
  const back = decodePlan(bytes);
  assertEquals(back.cgroupProcs, p.cgroupProcs);
  assertEquals(back.cgroupV2Dir, p.cgroupV2Dir);
  assertEquals(loadLibmoat().planCheck(bytes), null);
});

Deno.test("plan tags: C rejects relative cgroup paths and more than 16 CGROUP_PROCS", () => {
  const p = plan();
  p.cgroupV2Dir = "unified/c1";
  assertStringIncludes(loadLibmoat().planCheck(encodePlan(p)) ?? "", "CGROUP_V2_DIR");
  const q = plan();
  q.cgroupProcs = Array.from({ length: 17 }, (_, i) => `/sys/fs/cgroup/x${i}/cgroup.procs`);
  assertStringIncludes(loadLibmoat().planCheck(encodePlan(q)) ?? "", "more than 16 CGROUP_PROCS");
  const r = plan();
  r.cgroupProcs = ["pids/cgroup.procs"];
  assertStringIncludes(loadLibmoat().planCheck(encodePlan(r)) ?? "", "not an absolute path");
});
