// containerd 1.6 with `ctr`, the runc v2 shim and bin/moat as its runc binary: the calls the
// shim makes (create/start/exec/kill/delete/ps with --log JSON and pid files) against moat.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, uniqueId } from "../helpers/bundle.ts";
import { Containerd, have } from "../helpers/engines.ts";
import { IMAGE } from "../helpers/image.ts";

const enabled = isRoot() && have("containerd") && have("ctr");

Deno.test({
  name: "containerd: run --rm, detached task with exec, ps, kill and delete",
  ignore: !enabled,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cd = new Containerd();
    await cd.start();
    try {
      await t.step("run --rm prints the output", async () => {
        const r = await cd.ctr([
          "run",
          ...cd.runArgs(),
          "--rm",
          IMAGE,
          uniqueId("r"),
          "echo",
          "hi from ctr",
        ]);
        assertEquals(r.stdout, "hi from ctr\n", r.stderr);
        assertEquals(r.code, 0);
      });
      await t.step(
        "a missing executable comes back as containerd's error, from moat's log",
        async () => {
          const r = await cd.ctr([
            "run",
            ...cd.runArgs(),
            "--rm",
            IMAGE,
            uniqueId("m"),
            "no-such-command",
          ]);
          assertEquals(r.code === 0, false);
          assertStringIncludes(
            r.stderr,
            `exec: "no-such-command": executable file not found in $PATH`,
          );
        },
      );
      await t.step("a bad mount comes back as containerd's error", async () => {
        const r = await cd.ctr([
          "run",
          ...cd.runArgs(),
          "--rm",
          "--mount",
          "type=bind,src=/nonexistent-moat-src,dst=/x,options=rbind:ro",
          IMAGE,
          uniqueId("b"),
          "true",
        ]);
        assertEquals(r.code === 0, false);
        assertStringIncludes(r.stderr, "stat /nonexistent-moat-src: no such file or directory");
      });
      const id = uniqueId("d");
      await t.step("a detached task runs", async () => {
        const r = await cd.ctr([
          "run",
          ...cd.runArgs(),
          "-d",
          IMAGE,
          id,
          "sh",
          "-c",
          'trap "exit 42" USR1; while :; do sleep 0.1; done',
        ]);
        assertEquals(r.code, 0, r.stderr);
        const ls = await cd.ctr(["task", "ls"]);
        assertStringIncludes(ls.stdout, id);
        assertStringIncludes(ls.stdout, "RUNNING");
      });
      await t.step("task exec runs inside it", async () => {
        const r = await cd.ctr([
          "task",
          "exec",
          "--fifo-dir",
          `${cd.dir}/fifo`,
          "--exec-id",
          "x1",
          id,
          "sh",
          "-c",
          "echo exec-ok; hostname",
        ]);
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "exec-ok\n");
      });
      await t.step("task ps lists its processes", async () => {
        const r = await cd.ctr(["task", "ps", id]);
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "PID");
      });
      await t.step("task pause and resume; task metrics reads the container's cgroup", async () => {
        assertEquals((await cd.ctr(["task", "pause", id])).code, 0);
        assertStringIncludes((await cd.ctr(["task", "ls"])).stdout, "PAUSED");
        assertEquals((await cd.ctr(["task", "resume", id])).code, 0);
        assertStringIncludes((await cd.ctr(["task", "ls"])).stdout, "RUNNING");
        const m = await cd.ctr(["task", "metrics", "--format", "json", id]);
        assertEquals(m.code, 0, m.stderr);
        const metrics = JSON.parse(m.stdout);
        assert(JSON.stringify(metrics).includes("memory"), m.stdout.slice(0, 300));
      });
      await t.step("task kill delivers the signal; delete reports the exit status", async () => {
        assertEquals((await cd.ctr(["task", "kill", "-s", "SIGUSR1", id])).code, 0);
        const end = Date.now() + 10_000;
        let ls = "";
        while (Date.now() < end) {
          ls = (await cd.ctr(["task", "ls"])).stdout;
          if (ls.includes("STOPPED")) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assertStringIncludes(ls, "STOPPED");
        const del = await cd.ctr(["task", "delete", id]);
        assertEquals(del.code, 0, del.stderr);
        assertStringIncludes(del.stdout + del.stderr, "42", JSON.stringify(del));
        assertEquals((await cd.ctr(["containers", "delete", id])).code, 0);
      });
    } finally {
      await cd.stop();
    }
  },
});
