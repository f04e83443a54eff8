// mod.ts, the embedding API: a long-lived process that creates containers is their init's
// parent (as runc's caller is), so it waits for their exit status and never leaves a zombie.
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { isRoot, makeBundle, uniqueId, WORK } from "../helpers/bundle.ts";
import { openRuntime } from "../../mod.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

/** Our children (every thread's), from /proc: a zombie left behind shows up here. */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const t of Deno.readDirSync("/proc/self/task")) {
    const kids = Deno.readTextFileSync(`/proc/self/task/${t.name}/children`).trim();
    for (const k of kids ? kids.split(" ").map(Number) : []) {
      try {
        if (/\) Z /.test(Deno.readTextFileSync(`/proc/${k}/stat`))) out.push(k);
      } catch { /* reaped meanwhile */ }
    }
  }
  return out;
}

Deno.test({
  name: "embedded: create, start, wait gives the exit status; delete reaps; nothing left",
  ...root,
  async fn() {
    const rt = openRuntime({ root: `${WORK}/embedded` });
    const before = zombieChildren();
    const a = uniqueId("emb");
    const rec = await rt.create({ id: a, bundle: makeBundle(["sh", "-c", "exit 6"]) });
    await rt.start(a);
    assertEquals(await rt.wait(a), { code: 6 });
    await assertRejects(() => rt.wait(a), "already reaped");
    assertEquals(rt.state(a).status, "stopped");
    await rt.delete(a);
    // created and deleted without a wait: delete reaps the killed init
    const b = uniqueId("emb");
    await rt.create({ id: b, bundle: makeBundle(["sleep", "60"]) });
    await rt.start(b);
    await rt.kill(b, "KILL");
    await rt.delete(b, true);
    const c = uniqueId("emb");
    await rt.create({ id: c, bundle: makeBundle(["sleep", "60"]) });
    await rt.delete(c, true); // never started
    assertEquals(zombieChildren().filter((z) => !before.includes(z)), [], "no zombie");
    assertEquals(rec.id, a);
  },
});

Deno.test({
  name: "embedded: exec, pause/resume, update, ps, stats and events without a subprocess",
  ...root,
  async fn() {
    const rt = openRuntime({ root: `${WORK}/embedded` });
    const id = uniqueId("embx");
    const bundle = makeBundle(["sleep", "60"]);
    const rec = await rt.create({ id, bundle });
    try {
      await rt.start(id);
      const code = await rt.exec(id, {
        process: {
          args: ["sh", "-c", "echo from-exec > /dev/shm/x; exit 3"],
          cwd: "/",
          user: { uid: 0, gid: 0 },
        },
      });
      assertEquals(code, 3);
      assertEquals(
        Deno.readTextFileSync(`/proc/${rec.pid}/root/dev/shm/x`),
        "from-exec\n",
      );
      rt.pause(id);
      assertEquals(rt.state(id).status, "paused");
      rt.resume(id);
      assertEquals(rt.state(id).status, "running");
      await rt.update(id, { memory: { limit: 48 * 1024 * 1024 } });
      const mem = (rt.state(id) as { cgroup?: { v1?: { memory?: string } } }).cgroup?.v1?.memory;
      if (mem) {
        assertEquals(
          Deno.readTextFileSync(`${mem}/memory.limit_in_bytes`).trim(),
          String(48 * 1024 * 1024),
        );
      }
      assertEquals(rt.ps(id).includes(rec.pid), true);
      const stats = rt.stats(id);
      assertEquals(stats.type, "stats");
      const seen: string[] = [];
      const stop = new AbortController();
      await rt.events(id, 50, (e) => {
        seen.push(e.type);
        stop.abort();
      }, stop.signal);
      assertEquals(seen, ["stats"]);
    } finally {
      await rt.delete(id, true);
    }
  },
});
