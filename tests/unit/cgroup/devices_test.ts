import { assertEquals } from "../../helpers/assert.ts";
import {
  effectiveRules,
  normalizeRule,
  ruleString,
  v1WritesFor,
} from "../../../core/cgroup/devices.ts";
import {
  compileDeviceFilter,
  encodeInsns,
  runDeviceFilter,
} from "../../../core/cgroup/devices_bpf.ts";

const defaultSpecRules = [{ allow: false, access: "rwm" }];

Deno.test("devices: runc's default spec (deny all) + defaults + linux.devices", () => {
  const rules = effectiveRules(defaultSpecRules, [{
    path: "/dev/fuse",
    type: "c",
    major: 10,
    minor: 229,
  }]);
  assertEquals(ruleString(rules[0]), "a");
  assertEquals(ruleString(rules.at(-1)!), "c 10:229 rwm");
  const writes = v1WritesFor(rules).map((w) => `${w.file} ${w.value}`);
  assertEquals(writes.slice(0, 4), [
    "devices.deny a",
    "devices.deny a",
    "devices.allow c *:* m",
    "devices.allow b *:* m",
  ]);
  assertEquals(writes.includes("devices.allow c 1:3 rwm"), true);
  assertEquals(normalizeRule({ allow: true, type: "c", major: 1, access: "mr" }), {
    allow: true,
    type: "c",
    major: 1,
    minor: -1,
    access: "rm",
  });
});

Deno.test("device BPF program: last matching rule wins, default deny, access subsets", () => {
  const rules = effectiveRules([
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 4, minor: 5, access: "r" },
    { allow: false, type: "c", major: 1, minor: 9, access: "w" },
  ], undefined);
  const p = compileDeviceFilter(rules);
  assertEquals(runDeviceFilter(p, "c", 1, 3, "rw"), true, "/dev/null");
  assertEquals(runDeviceFilter(p, "c", 1, 3, "m"), true, "mknod");
  assertEquals(runDeviceFilter(p, "b", 8, 0, "r"), false, "a disk");
  assertEquals(runDeviceFilter(p, "b", 8, 0, "m"), true, "mknod of a block device");
  assertEquals(runDeviceFilter(p, "c", 4, 5, "r"), true, "allowed read");
  assertEquals(runDeviceFilter(p, "c", 4, 5, "w"), false, "not allowed write");
  assertEquals(runDeviceFilter(p, "c", 4, 5, "rw"), false, "rw is not a subset of r");
  assertEquals(runDeviceFilter(p, "c", 136, 7, "rw"), true, "/dev/pts/7");
  assertEquals(encodeInsns(p).length, p.length * 8);
  // runc's default allow list comes after the spec rules: /dev/urandom write stays allowed.
  assertEquals(runDeviceFilter(p, "c", 1, 9, "w"), true);
});

Deno.test("device BPF program: an allow-all rule ends the search", () => {
  const p = compileDeviceFilter([
    normalizeRule({ allow: false, type: "c", major: 1, minor: 3 }),
    normalizeRule({ allow: true }),
  ]);
  assertEquals(runDeviceFilter(p, "c", 1, 3, "r"), true);
  assertEquals(runDeviceFilter(p, "b", 7, 7, "rwm"), true);
  const q = compileDeviceFilter([
    normalizeRule({ allow: true }),
    normalizeRule({ allow: false, type: "c", major: 1, minor: 3 }),
  ]);
  assertEquals(runDeviceFilter(q, "c", 1, 3, "r"), false);
  assertEquals(runDeviceFilter(q, "c", 1, 5, "r"), true);
});
