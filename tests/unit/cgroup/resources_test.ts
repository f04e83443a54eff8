import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { detectLayout } from "../../../core/cgroup/detect.ts";
import { planV1 } from "../../../core/cgroup/resources_v1.ts";
import { planV2 } from "../../../core/cgroup/resources_v2.ts";
import { hybridHost, v1Host, v2Host } from "./fake_fs.ts";

const hybrid = (() => {
  const h = hybridHost();
  return detectLayout(h.mounts, h.fs);
})();
const v2 = (() => {
  const h = v2Host();
  return detectLayout(h.mounts, h.fs);
})();
const v1 = (() => {
  const h = v1Host();
  return detectLayout(h.mounts, h.fs);
})();

const files = (ws: Array<{ controller: string; file: string; value: string }>) =>
  ws.map((w) => `${w.controller}:${w.file}=${w.value}`);

Deno.test("v1: every memory, cpu, pids, blkio field to its file", () => {
  const out = planV1(
    {
      memory: {
        limit: 100,
        reservation: 50,
        swap: 200,
        kernel: 10,
        kernelTCP: 20,
        swappiness: 10,
        disableOOMKiller: true,
      },
      cpu: {
        shares: 512,
        quota: 20000,
        period: 50000,
        realtimeRuntime: 1000,
        realtimePeriod: 10000,
        cpus: "0",
        mems: "0",
      },
      pids: { limit: 10 },
      blockIO: {
        weight: 300,
        leafWeight: 200,
        weightDevice: [{ major: 8, minor: 0, weight: 100, leafWeight: 50 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
      },
    },
    hybrid,
    false,
  );
  assertEquals(files(out.writes), [
    "memory:memory.soft_limit_in_bytes=50",
    "memory:memory.limit_in_bytes=100",
    "memory:memory.memsw.limit_in_bytes=200",
    "memory:memory.kmem.tcp.limit_in_bytes=20",
    "memory:memory.swappiness=10",
    "memory:memory.oom_control=1",
    "cpu:cpu.shares=512",
    "cpu:cpu.cfs_period_us=50000",
    "cpu:cpu.cfs_quota_us=20000",
    "cpu:cpu.rt_period_us=10000",
    "cpu:cpu.rt_runtime_us=1000",
    "cpuset:cpuset.cpus=0",
    "cpuset:cpuset.mems=0",
    "pids:pids.max=10",
    "blkio:blkio.weight=300",
    "blkio:blkio.leaf_weight=200",
    "blkio:blkio.weight_device=8:0 100",
    "blkio:blkio.leaf_weight_device=8:0 50",
    "blkio:blkio.throttle.read_bps_device=8:0 1000",
    "blkio:blkio.throttle.write_iops_device=8:0 10",
  ]);
  assertEquals(out.ignored, ["memory.kernel"]);
  assertEquals(files(planV1({ pids: { limit: -1 } }, hybrid, false).writes), ["pids:pids.max=max"]);
  assertEquals(planV1({ pids: { limit: 0 } }, hybrid, false).writes, []);
});

Deno.test("v1 hybrid: hugetlb goes to unified/ (.max); pure v1 without hugetlb: a clear error", () => {
  const out = planV1({ hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }] }, hybrid, false);
  assertEquals(files(out.writes), [":hugetlb.2MB.max=4194304"]);
  assertThrows(
    () => planV1({ hugepageLimits: [{ pageSize: "2MB", limit: 1 }] }, v1, false),
    /hugepageLimits\[0\]: the hugetlb controller is not mounted/,
  );
});

Deno.test("v1: what these hosts cannot enforce is an error naming the field", () => {
  assertThrows(
    () => planV1({ network: { classID: 1 } }, hybrid, false),
    "linux.resources.network: net_cls/net_prio controllers are not mounted",
  );
  assertThrows(
    () => planV1({ rdma: { mlx5_0: { hcaHandles: 1 } } }, hybrid, false),
    /rdma controller is not mounted/,
  );
  assertThrows(
    () => planV1({ unified: { "memory.max": "1" } }, hybrid, false),
    /controller "memory" is not available in the cgroup2 hierarchy at \/sys\/fs\/cgroup\/unified/,
  );
  assertThrows(
    () => planV1({ unified: { "memory.max": "1" } }, v1, false),
    /cannot use unified on cgroup v1/,
  );
  assertEquals(files(planV1({ unified: { "hugetlb.2MB.max": "0" } }, hybrid, false).writes), [
    ":hugetlb.2MB.max=0",
  ]);
});

Deno.test("v2: memory, cpu (weight, cpu.max), pids, io, hugetlb, rdma, unified last", () => {
  const out = planV2({
    memory: { limit: 100, reservation: 50, swap: 300 },
    cpu: { shares: 1024, quota: 20000, period: 50000, cpus: "0-1", mems: "0" },
    pids: { limit: 5 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 99 }] },
    hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 4 } },
    unified: { "memory.max": "200" },
  }, v2);
  assertEquals(files(out.writes), [
    ":memory.low=50",
    ":memory.max=100",
    ":memory.swap.max=200",
    ":cpu.weight=39",
    ":cpu.max=20000 50000",
    ":cpuset.cpus=0-1",
    ":cpuset.mems=0",
    ":pids.max=5",
    ":io.weight=4950",
    ":io.max=8:0 rbps=99",
    ":hugetlb.2MB.max=0",
    ":rdma.max=mlx5_0 hca_handle=3 hca_object=4",
    ":memory.max=200",
  ]);
  assertEquals(files(planV2({ blockIO: { weight: 500 } }, v2, { bfq: true }).writes), [
    ":io.bfq.weight=500",
  ]);
  assertThrows(() => planV2({ network: { classID: 1 } }, v2), /do not exist on cgroup v2/);
  assertThrows(() => planV2({ cpu: { realtimeRuntime: 5 } }, v2), /realtime/);
  assertThrows(
    () => planV2({ memory: { limit: 1 } }, hybrid),
    /memory controller is not available/,
  );
  assertThrows(() => planV2({ unified: { "a/b": "1" } }, v2), /invalid key/);
});
