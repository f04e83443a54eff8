/** Validation table for the `linux` member (resources and seccomp live in their own files). */

import {
  absPath,
  arrOf,
  bool,
  type Check,
  fail,
  int64,
  intIn,
  isAbsent,
  mapOf,
  member,
  obj,
  oneOf,
  req,
  str,
  strArray,
  uint32,
  unique,
} from "./check.ts";
import {
  MEMORY_POLICY_FLAGS,
  MEMORY_POLICY_MODES,
  NAMESPACES,
  PERSONALITY_DOMAINS,
  ROOTFS_PROPAGATION,
} from "./tables.ts";
import { checkResources } from "./validate_resources.ts";
import { checkSeccomp } from "./validate_seccomp.ts";

/** `{containerID, hostID, size}` as used by linux.uid/gidMappings and mounts[].uid/gidMappings. */
export const idMappings: Check = arrOf(obj({
  containerID: req(uint32),
  hostID: req(uint32),
  size: req(intIn(1, 0xffff_ffff)),
}));

const deviceNumber = intIn(0, 0xfffff, "a device number in range 0..1048575");

const device = obj({
  type: req(oneOf("device type", ["c", "b", "u", "p"])),
  path: req(absPath),
  // int64 in the spec, but a device node's number is Linux's: 12+20 bits (the plan allows 20+20)
  major: deviceNumber,
  minor: deviceNumber,
  fileMode: uint32,
  uid: uint32,
  gid: uint32,
}, (o, path) => {
  if (o.type === "p") return;
  for (const n of ["major", "minor"]) {
    if (isAbsent(o[n])) fail(member(path, n), `missing (required for device type "${o.type}")`);
  }
});

export const checkLinux: Check = obj({
  namespaces: arrOf(
    obj({ type: req(oneOf("namespace", NAMESPACES)), path: absPath }),
    unique("type", "namespace"),
  ),
  uidMappings: idMappings,
  gidMappings: idMappings,
  timeOffsets: mapOf(
    obj({ secs: int64, nanosecs: intIn(0, 999_999_999) }),
    (k, path) => {
      if (k !== "boottime" && k !== "monotonic") fail(path, `unknown clock ${JSON.stringify(k)}`);
    },
  ),
  devices: arrOf(device),
  netDevices: mapOf(obj({ name: str })),
  cgroupsPath: str,
  resources: checkResources,
  rootfsPropagation: oneOf("propagation mode", ROOTFS_PROPAGATION),
  seccomp: checkSeccomp,
  sysctl: mapOf(str),
  maskedPaths: arrOf(absPath),
  readonlyPaths: arrOf(absPath),
  mountLabel: str,
  personality: obj({
    domain: req(oneOf("personality domain", PERSONALITY_DOMAINS)),
    flags: strArray,
  }),
  intelRdt: obj({
    closID: str,
    l3CacheSchema: str,
    memBwSchema: str,
    schemata: strArray,
    enableMonitoring: bool,
    enableCMT: bool,
    enableMBM: bool,
  }),
  memoryPolicy: obj({
    mode: req(oneOf("memory policy mode", MEMORY_POLICY_MODES)),
    nodes: str,
    flags: arrOf(oneOf("memory policy flag", MEMORY_POLICY_FLAGS)),
  }),
});
