/** Validation table for `linux.resources` (cgroup settings). */

import {
  arrOf,
  bool,
  type Check,
  int64,
  intIn,
  mapOf,
  matching,
  nonEmptyStr,
  obj,
  oneOf,
  req,
  str,
  uint16,
  uint32,
  uint64,
} from "./check.ts";

/** Byte counts where -1 means "unlimited". */
const memoryBytes = intIn(-1, 2 ** 63, "-1 (unlimited) or a non-negative 64-bit integer");

const weightDevice = obj({
  major: req(int64),
  minor: req(int64),
  weight: uint16,
  leafWeight: uint16,
});

const throttleDevices = arrOf(obj({ major: req(int64), minor: req(int64), rate: req(uint64) }));

export const checkResources: Check = obj({
  devices: arrOf(obj({
    allow: req(bool),
    type: oneOf("device type", ["a", "c", "b"]),
    major: int64,
    minor: int64,
    access: matching(/^[rwm]*$/, "made of the letters r, w and m"),
  })),
  memory: obj({
    limit: memoryBytes,
    reservation: memoryBytes,
    swap: memoryBytes,
    kernel: memoryBytes,
    kernelTCP: memoryBytes,
    swappiness: intIn(0, 100),
    disableOOMKiller: bool,
    useHierarchy: bool,
    checkBeforeUpdate: bool,
  }),
  cpu: obj({
    shares: uint64,
    quota: int64,
    burst: uint64,
    period: uint64,
    realtimeRuntime: int64,
    realtimePeriod: uint64,
    cpus: str,
    mems: str,
    idle: int64,
  }),
  pids: obj({ limit: int64 }),
  blockIO: obj({
    weight: uint16,
    leafWeight: uint16,
    weightDevice: arrOf(weightDevice),
    throttleReadBpsDevice: throttleDevices,
    throttleWriteBpsDevice: throttleDevices,
    throttleReadIOPSDevice: throttleDevices,
    throttleWriteIOPSDevice: throttleDevices,
  }),
  hugepageLimits: arrOf(obj({
    pageSize: req(matching(/^\d+(KB|MB|GB)$/, `a hugepage size such as "2MB" or "1GB"`)),
    limit: req(uint64),
  })),
  network: obj({
    classID: uint32,
    priorities: arrOf(obj({ name: req(nonEmptyStr), priority: req(uint32) })),
  }),
  rdma: mapOf(obj({ hcaHandles: uint32, hcaObjects: uint32 })),
  unified: mapOf(str),
});
