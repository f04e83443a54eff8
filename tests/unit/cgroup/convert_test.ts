import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import {
  blkioWeightToIoWeight,
  cpuMax,
  hugepageDirToSize,
  hugepageSizeBytes,
  parseInterval,
  sharesToWeight,
  swapToV2,
  v2Limit,
  weightToShares,
} from "../../../core/cgroup/convert.ts";

Deno.test("cpu shares ↔ weight: [2,262144] ↔ [1,10000], 1024 → 39 (runc)", () => {
  assertEquals(sharesToWeight(0), 0);
  assertEquals(sharesToWeight(2), 1);
  assertEquals(sharesToWeight(1024), 39);
  assertEquals(sharesToWeight(262144), 10000);
  assertEquals(weightToShares(1), 2);
  assertEquals(weightToShares(10000), 262144);
});

Deno.test("blkio weight → io.weight: [10,1000] → [1,10000]", () => {
  assertEquals(blkioWeightToIoWeight(10), 1);
  assertEquals(blkioWeightToIoWeight(1000), 10000);
  assertEquals(blkioWeightToIoWeight(500), 4950);
});

Deno.test("cpu.max: quota/period, max when unlimited, default period 100000", () => {
  assertEquals(cpuMax(50000, 100000), "50000 100000");
  assertEquals(cpuMax(-1, 250000), "max 250000");
  assertEquals(cpuMax(20000, undefined), "20000 100000");
  assertEquals(cpuMax(undefined, undefined), undefined);
  assertEquals(cpuMax(undefined, 50000), "max 50000");
});

Deno.test("v2 limits: -1 → max, 0 → not written", () => {
  assertEquals(v2Limit(-1), "max");
  assertEquals(v2Limit(0), undefined);
  assertEquals(v2Limit(4096), "4096");
});

Deno.test("v2 swap arithmetic: memory.swap.max = swap - limit (runc)", () => {
  assertEquals(swapToV2(200, 100), "100");
  assertEquals(swapToV2(100, 100), "0");
  assertEquals(swapToV2(-1, 100), "max");
  assertEquals(swapToV2(undefined, 100), undefined);
  assertThrows(() => swapToV2(50, 100), /should be greater than memory limit/);
  assertThrows(() => swapToV2(200, undefined), /without memory limit/);
  assertThrows(() => swapToV2(200, -1), /unlimited/);
});

Deno.test("hugepage sizes: OCI names and sysfs directories", () => {
  assertEquals(hugepageSizeBytes("2MB"), 2 * 1024 * 1024);
  assertEquals(hugepageSizeBytes("1GB"), 1024 ** 3);
  assertThrows(() => hugepageSizeBytes("2M"), /invalid hugepage size/);
  assertEquals(hugepageDirToSize("hugepages-2048kB"), "2MB");
  assertEquals(hugepageDirToSize("hugepages-1048576kB"), "1GB");
  assertEquals(hugepageDirToSize("hugepages-64kB"), "64KB");
});

Deno.test("events --interval: Go durations and plain seconds", () => {
  assertEquals(parseInterval("5s"), 5000);
  assertEquals(parseInterval("100ms"), 100);
  assertEquals(parseInterval("1m30s"), 90_000);
  assertEquals(parseInterval("2"), 2000);
  assertThrows(() => parseInterval("5x"), /invalid duration/);
  assertThrows(() => parseInterval("0s"), /greater than 0/);
});
