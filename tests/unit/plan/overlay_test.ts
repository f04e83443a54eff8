// The rootfs overlay's planning (core/plan/overlay.ts): --overlay2 syntax, media, scopes, and
// the plan records the sentry and the init execute.
import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { PlanError } from "../../../core/plan/errors.ts";
import {
  applyOverlays,
  overlayChoice,
  parseOverlay2,
  planOverlays,
} from "../../../core/plan/overlay.ts";
import { buildPlan } from "../../../core/plan/resolve.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { fakeHost, PLAN_OPTS, planOf } from "./fixtures.ts";

const host = (kinds: Record<string, "dir" | "file"> = {}) => ({
  kind: (p: string) =>
    kinds[p] ?? (p.startsWith("/bundle/rootfs") || p === "/data" ? "dir" : "missing"),
});
const OPTS = { id: "c1", stateDir: "/run/moat/c1" };
const writable = (s: { root: { readonly: boolean } }) => (s.root.readonly = false);

Deno.test("overlay2: the syntax of runsc's flag, sizes with k/m/g", () => {
  assertEquals(parseOverlay2("none", "--overlay2"), undefined);
  assertEquals(parseOverlay2("root:memory", "--overlay2")?.medium, "memory");
  assertEquals(parseOverlay2("all:self", "--overlay2")?.scope, "all");
  assertEquals(parseOverlay2("root:memory,size=64m", "--overlay2")?.size, 64 * 1024 * 1024);
  assertEquals(parseOverlay2("root:memory,size=2G", "--overlay2")?.size, 2 * 1024 ** 3);
  assertEquals(parseOverlay2("root:memory,size=4096", "--overlay2")?.size, 4096);
  const d = parseOverlay2("root:dir=/var/tmp/", "--overlay2");
  assertEquals([d?.medium, d?.dir], ["dir", "/var/tmp"]);
});

Deno.test("overlay2: bad values name the flag or the annotation", () => {
  const bad: Array<[string, RegExp]> = [
    ["memory", /no scope/],
    ["rootfs:memory", /unknown scope "rootfs"/],
    ["root:disk", /unknown medium "disk"/],
    ["root:dir=var", /absolute path/],
    ["root:dir=/a/../b", /must not contain \.\./],
    ["root:memory,size=10x", /unknown option "size=10x"/],
    ["root:memory,size=0", /positive size/],
    ["root:memory,size=1m,size=2m", /given twice/],
    ["root:self,size=1m", /memory medium only/],
    ["", /no scope/],
  ];
  for (const [v, re] of bad) {
    const e = assertThrows(() => parseOverlay2(v, "--overlay2"), re);
    assertEquals(e instanceof PlanError, true);
    assertEquals(e.message.startsWith(`--overlay2: invalid value ${JSON.stringify(v)}: `), true);
  }
  assertThrows(
    () => overlayChoice({ "dev.moat.overlay2": "root:nope" }, "root:memory"),
    /^annotation dev\.moat\.overlay2: invalid value "root:nope"/,
  );
});

Deno.test("overlay2: the annotation wins over the flag, in both directions", () => {
  assertEquals(overlayChoice({ "dev.moat.overlay2": "none" }, "root:memory"), undefined);
  assertEquals(overlayChoice({ "dev.moat.overlay2": "root:self" }, undefined)?.medium, "self");
  assertEquals(overlayChoice({}, "root:memory")?.where, "--overlay2");
  assertEquals(overlayChoice(undefined, undefined), undefined);
});

Deno.test("overlay2: root:memory is a tmpfs under the state dir, bounded by the memory limit", () => {
  const plan = planOf(writable);
  const o = planOverlays(parseOverlay2("root:memory", "--overlay2")!, plan, {
    ...OPTS,
    memoryLimit: 256 * 1024 * 1024,
  }, host());
  assertEquals(o.layers, [{
    destination: "/",
    medium: "memory",
    lower: "/bundle/rootfs",
    upper: "/run/moat/c1/overlay/root/upper",
    work: "/run/moat/c1/overlay/root/work",
    target: "/bundle/rootfs",
    tmpfs: "/run/moat/c1/overlay/root",
    tmpfsData: `mode=0700,size=${256 * 1024 * 1024}`,
  }]);
  assertEquals(o.filestores, []);
  // an explicit size is taken as given; no limit, no size
  const sized = planOverlays(parseOverlay2("root:memory,size=1m", "f")!, plan, {
    ...OPTS,
    memoryLimit: 1 << 30,
  }, host());
  assertEquals(sized.layers[0].tmpfsData, "mode=0700,size=1048576");
  const free = planOverlays(parseOverlay2("root:memory", "f")!, plan, OPTS, host());
  assertEquals(free.layers[0].tmpfsData, "mode=0700");
});

Deno.test("overlay2: self puts the filestore beside the source, never inside it", () => {
  const plan = planOf(writable);
  const o = planOverlays(parseOverlay2("root:self", "--overlay2")!, plan, OPTS, host());
  assertEquals(o.filestores, ["/bundle/.moat.filestore.c1"]);
  assertEquals(o.layers[0].upper, "/bundle/.moat.filestore.c1/root/upper");
  assertEquals(o.layers[0].target, "/bundle/rootfs");
  const d = planOverlays(
    parseOverlay2("root:dir=/var/lib/x", "f")!,
    plan,
    OPTS,
    host({ "/var/lib/x": "dir" }),
  );
  assertEquals(d.filestores, ["/var/lib/x/.moat.filestore.c1"]);
  // dir= inside the lower: the kernel would refuse it, so the plan does, naming the flag
  assertThrows(
    () =>
      planOverlays(parseOverlay2("root:dir=/bundle/rootfs/tmp", "--overlay2")!, plan, OPTS, host()),
    /^--overlay2: the filestore \/bundle\/rootfs\/tmp\/\.moat\.filestore\.c1 would be inside/,
  );
  assertThrows(
    () => planOverlays(parseOverlay2("root:dir=/nope", "--overlay2")!, plan, OPTS, host()),
    "--overlay2: dir=/nope: no such directory",
  );
});

Deno.test("overlay2: read-only roots and mounts are never overlaid; all: takes writable dir binds", () => {
  const ro = planOf();
  assertEquals(
    planOverlays(parseOverlay2("root:memory", "f")!, ro, OPTS, host()).layers,
    [],
  );
  // deno-lint-ignore no-explicit-any
  const spec: any = defaultSpec();
  spec.process.terminal = false;
  spec.root.readonly = false;
  {
    const s = spec;
    s.mounts.push(
      { destination: "/data", type: "bind", source: "/data", options: ["rbind", "rw"] },
      { destination: "/ro", type: "bind", source: "/data", options: ["rbind", "ro"] },
      { destination: "/etc/conf", type: "bind", source: "/conf", options: ["bind"] },
    );
  }
  const plan = buildPlan(parseSpec(spec), PLAN_OPTS, fakeHost({ "/data": "dir", "/conf": "file" }));
  const h = host({ "/conf": "file" });
  const root = planOverlays(parseOverlay2("root:self", "f")!, plan, OPTS, h);
  assertEquals(root.layers.map((l) => l.destination), ["/"]);
  const all = planOverlays(parseOverlay2("all:self", "f")!, plan, OPTS, h);
  assertEquals(all.layers.map((l) => [l.destination, l.medium]), [
    ["/", "self"],
    ["/data", "self"],
    ["/etc/conf", "memory"],
  ]);
  // a file source cannot be self: memory, with a warning naming it
  assertEquals(all.warnings, ["f: /conf is not a directory: /etc/conf uses the memory medium"]);
  assertEquals(all.filestores, ["/bundle/.moat.filestore.c1", "/.moat.filestore.c1"]);
  applyOverlays(plan, all);
  const dataMount = plan.mounts.find((m) => m.destination === "/data")!;
  assertEquals(
    dataMount.source,
    "/.moat.filestore.c1/mount" + plan.mounts.indexOf(dataMount) + "/merged",
  );
  const conf = plan.mounts.find((m) => m.destination === "/etc/conf")!;
  assertEquals(conf.source.endsWith("/file"), true);
  assertEquals(plan.mounts.find((m) => m.destination === "/ro")!.source, "/data");
  // the records round-trip
  assertEquals(decodePlan(encodePlan(plan)).overlays, plan.overlays);
});

Deno.test("overlay2: the C decoder takes the overlay records and bounds them", async () => {
  const plan = planOf(writable);
  applyOverlays(plan, planOverlays(parseOverlay2("root:memory,size=8m", "f")!, plan, OPTS, host()));
  const { loadLibmoat } = await import("../../../ffi/libmoat.ts");
  const lib = loadLibmoat();
  assertEquals(lib.planCheck(encodePlan(plan)), null);
  plan.overlays![0].upper = "relative";
  assertEquals(
    /OV_UPPER "relative" is not an absolute path/.test(lib.planCheck(encodePlan(plan)) ?? ""),
    true,
  );
});

Deno.test("overlay2: sources in one directory share one filestore, dotted paths included", () => {
  // deno-lint-ignore no-explicit-any
  const spec: any = defaultSpec();
  spec.process.terminal = false;
  spec.root.readonly = false;
  spec.mounts.push({
    destination: "/data",
    type: "bind",
    source: "/bundle/rootfs/../data",
    options: ["rbind"],
  });
  const plan = buildPlan(parseSpec(spec), PLAN_OPTS, fakeHost({ "/bundle/rootfs/../data": "dir" }));
  const o = planOverlays(
    parseOverlay2("all:self", "f")!,
    plan,
    OPTS,
    host({ "/bundle/rootfs/../data": "dir" }),
  );
  assertEquals(o.filestores, ["/bundle/.moat.filestore.c1"]);
  assertEquals(o.layers.map((l) => l.upper.replace(/\/upper$/, "").split("/").pop()), [
    "root",
    `mount${plan.mounts.findIndex((m) => m.destination === "/data")}`,
  ]);
});
