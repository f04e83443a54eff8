// podman's and containerd's checkpoint/restore with moat as the runtime. Where CRIU works on the
// host (`moat features`: dev.moat.checkpoint.enabled), the engines' round trips; where it does
// not (CRIU 3.17 on a 6.13+ kernel), each engine must pass moat's reason through to its user and
// the container must keep running, unchanged. Either way a container whose sandbox mediates is
// refused with the way out (dev.moat.mediation=off).
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, uniqueId, WORK } from "../helpers/bundle.ts";
import { Containerd, have, Podman } from "../helpers/engines.ts";
import { IMAGE } from "../helpers/image.ts";
import { probeCriu } from "../../core/criu/probe.ts";

const criu = await probeCriu();
const opts = { sanitizeResources: false, sanitizeOps: false };
const OFF = "dev.moat.mediation=off";
// a counter the test can read back: it must continue after a restore, not start again
const COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done";

Deno.test({
  name: "podman: container checkpoint/restore, --export/--import under a new name",
  ignore: !(isRoot() && have("podman")),
  ...opts,
  async fn() {
    const p = new Podman();
    await p.setup();
    const run = async (annotate: boolean) => {
      const ann = annotate ? ["--annotation", OFF] : [];
      const d = await p.podman([
        "run",
        "-d",
        "--network",
        "none",
        ...ann,
        IMAGE,
        "sh",
        "-c",
        COUNTER,
      ]);
      assertEquals(d.code, 0, d.stderr);
      return d.stdout.trim();
    };
    const status = async (id: string) =>
      (await p.podman(["inspect", "--format", "{{.State.Status}}", id])).stdout.trim();
    const count = async (id: string) =>
      Number((await p.podman(["exec", id, "cat", "/tmp/count"])).stdout.trim());
    const ids: string[] = [];
    try {
      const mediating = await run(false);
      ids.push(mediating);
      const r = await p.podman(["container", "checkpoint", mediating]);
      assert(r.code !== 0);
      assertStringIncludes(r.stderr, "CRIU cannot checkpoint a seccomp listener");
      assertStringIncludes(r.stderr, OFF);
      assertEquals(await status(mediating), "running");
      const id = await run(true);
      ids.push(id);
      if (!criu.available) {
        for (const extra of [[], ["--export", `${WORK}/ck-${id}.tar`]]) {
          const c = await p.podman(["container", "checkpoint", ...extra, id]);
          assert(c.code !== 0);
          assertStringIncludes(c.stderr, criu.reason!.slice(0, 40));
        }
        assertEquals(await status(id), "running");
        const before = await count(id);
        await waitUntil(async () => (await count(id)) > before);
        return;
      }
      await waitUntil(async () => (await count(id)) >= 3);
      const ck = await p.podman(["container", "checkpoint", id]);
      assertEquals(ck.code, 0, ck.stderr);
      assertEquals(await status(id), "exited");
      const rs = await p.podman(["container", "restore", id]);
      assertEquals(rs.code, 0, rs.stderr);
      assertEquals(await status(id), "running");
      assert((await count(id)) >= 3, "the counter continued");
      const tar = `${WORK}/ck-${id}.tar`;
      const ex = await p.podman(["container", "checkpoint", "--export", tar, id]);
      assertEquals(ex.code, 0, ex.stderr);
      const name = uniqueId("restored");
      const im = await p.podman(["container", "restore", "--import", tar, "--name", name]);
      assertEquals(im.code, 0, im.stderr);
      ids.push(name);
      assertEquals(await status(name), "running");
      assert((await count(name)) >= 3, "the imported counter continued");
    } finally {
      for (const id of ids) await p.podman(["rm", "-f", id]);
    }
  },
});

Deno.test({
  name: "containerd: a task's checkpoint goes through moat (reason passed on where CRIU fails)",
  ignore: !(isRoot() && have("containerd") && have("ctr")),
  ...opts,
  async fn() {
    const cd = new Containerd();
    await cd.start();
    try {
      const run = async (annotate: boolean) => {
        const id = uniqueId("ck");
        const ann = annotate ? ["--annotation", OFF] : [];
        const r = await cd.ctr([
          "run",
          ...cd.runArgs(),
          "-d",
          ...ann,
          IMAGE,
          id,
          "sh",
          "-c",
          COUNTER,
        ]);
        assertEquals(r.code, 0, r.stderr);
        return id;
      };
      const running = async (id: string) =>
        (await cd.ctr(["task", "ls"])).stdout.split("\n").some((l) =>
          l.startsWith(`${id} `) && l.includes("RUNNING")
        );
      const mediating = await run(false);
      let c = await cd.ctr([
        "task",
        "checkpoint",
        "--image-path",
        `${WORK}/cd-${mediating}`,
        mediating,
      ]);
      assert(c.code !== 0);
      assertStringIncludes(c.stderr, "CRIU cannot checkpoint a seccomp listener");
      assert(await running(mediating));
      const id = await run(true);
      c = await cd.ctr(["task", "checkpoint", "--image-path", `${WORK}/cd-${id}`, id]);
      if (!criu.available) {
        assert(c.code !== 0);
        assertStringIncludes(c.stderr, criu.reason!.slice(0, 40));
      } else {
        // without --exit the task keeps running (runc's --leave-running)
        assertEquals(c.code, 0, c.stderr);
      }
      assert(await running(id));
      const e = await cd.ctr(["task", "exec", "--exec-id", "x", id, "cat", "/tmp/count"]);
      assertEquals(e.code, 0, e.stderr);
      assert(Number(e.stdout.trim()) > 0);
    } finally {
      await cd.stop();
    }
  },
});

async function waitUntil(pred: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 100));
  }
}
