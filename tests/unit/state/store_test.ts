import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { StateStore, validateId } from "../../../core/state/store.ts";
import { isAlive, parseProcStat } from "../../../core/state/liveness.ts";
import type { ContainerRecord } from "../../../core/state/types.ts";

function record(id: string): ContainerRecord {
  return {
    id,
    ociVersion: "1.3.0",
    bundle: "/b",
    rootfs: "/b/rootfs",
    created: "2026-01-01T00:00:00.000000000Z",
    owner: "",
    status: "created",
    pid: 1,
    pidStartTime: 1,
    sentryPid: 2,
    sentryStartTime: 2,
    controlSocket: "/x",
  };
}

Deno.test("state: two concurrent creates of one id: exactly one wins", async () => {
  const root = Deno.makeTempDirSync();
  // Separate processes, as two `moat create` calls would be.
  const script = `
    import { StateStore } from "${new URL("../../../core/state/store.ts", import.meta.url).href}";
    try { new StateStore(Deno.args[0]).claim("same"); console.log("won"); }
    catch (e) { console.log("lost: " + e.message); }`;
  const runs = Array.from({ length: 6 }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", script, root],
      stdout: "piped",
      stderr: "inherit",
    }).output());
  const outs = (await Promise.all(runs)).map((o) => new TextDecoder().decode(o.stdout).trim());
  assertEquals(outs.filter((o) => o === "won").length, 1, outs.join(" | "));
  assertEquals(outs.filter((o) => o === "lost: container with given ID already exists").length, 5);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("state: atomic write, exact id before unique prefix, ambiguity", () => {
  const store = new StateStore(Deno.makeTempDirSync());
  for (const id of ["abc", "abcdef", "xyz1", "xyz2"]) {
    store.claim(id).release();
    store.write(record(id));
  }
  assertEquals(store.lookup("abc"), "abc");
  assertEquals(store.lookup("abcd"), "abcdef");
  assertThrows(() => store.lookup("xyz"), /ambiguous/);
  assertThrows(() => store.lookup("nope"), "container does not exist");
  assertEquals(store.read("xyz1").sentryPid, 2);
  assertEquals(store.list(), ["abc", "abcdef", "xyz1", "xyz2"]);
  assert(![...Deno.readDirSync(store.dir("abc"))].some((e) => e.name.endsWith(".tmp")));
  store.remove("abc");
  assertThrows(() => store.read("abc"), "container does not exist");
  Deno.removeSync(store.root, { recursive: true });
});

Deno.test("state: container ids follow runc's rules", () => {
  for (const ok of ["a", "A-b_c.d+e", "0123"]) validateId(ok);
  for (const bad of ["", ".", "..", "a/b", "a b", "ä", "x\n"]) {
    assertThrows(() => validateId(bad), "invalid container ID format");
  }
});

Deno.test("state: liveness uses pid and start time, zombies are dead", () => {
  const self = parseProcStat(Deno.readTextFileSync("/proc/self/stat"))!;
  assert(isAlive(Deno.pid, self.startTime));
  assert(!isAlive(Deno.pid, self.startTime + 1));
  assert(!isAlive(0, 0));
  assertEquals(parseProcStat("12 (a) b) c) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 999 0"), {
    state: "Z",
    ppid: 1,
    startTime: 999,
  });
  assertEquals(
    self.ppid,
    Number(/^PPid:\t(\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"))![1]),
  );
});
