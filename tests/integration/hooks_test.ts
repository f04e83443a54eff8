// Integration tests (root): the six OCI hooks with runtime-spec 1.3 semantics, observed from the
// hooks themselves (they append to a log on the host) and from the state moat leaves behind.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  waitFor,
} from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

function logDir(): string {
  const dir = `${WORK}/hooklogs/${uniqueId("h")}`;
  Deno.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A /bin/sh hook: `script` runs with the state JSON on stdin. */
function sh(script: string, extra: Record<string, unknown> = {}) {
  return { path: "/bin/sh", args: ["sh", "-c", script], ...extra };
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function stateDirGone(id: string): boolean {
  try {
    Deno.statSync(`${ROOT}/${id}`);
    return false;
  } catch {
    return true;
  }
}

async function assertNothingLeft(id: string) {
  assertEquals((await moat(["state", id])).code, 1, "no state");
  assert(stateDirGone(id), "state directory removed");
  assertEquals(processesMentioning(id), []);
  assertEquals(mountsMentioning(id), []);
}

Deno.test({
  name: "hooks: all six run in lifecycle order with the state on stdin, own env and argv",
  ...root,
  async fn() {
    const logs = logDir();
    const log = `${logs}/log`;
    // Each hook logs: its kind, the state JSON, and facts about where it runs.
    const record = (kind: string) =>
      `{ printf '%s\\n' "${kind} $(cat) argv=$(tr '\\0' '\\n' < /proc/$$/cmdline | head -n 1) env=$(env | grep -v '^PWD=' | sort | tr '\\n' ' ')mnt=$(readlink /proc/self/ns/mnt)"; } >> ${log}`;
    const bundle = makeBundle(["sh", "-c", `echo workload >> /logs/log`], (s: SpecObject) => {
      s.process.env.push("MOAT_CTR=from-container");
      s.annotations = { "org.example.k": "v" };
      s.mounts.push({ destination: "/logs", type: "bind", source: logs, options: ["rbind"] });
      s.hooks = {
        prestart: [sh(record("prestart"), { env: ["FOO=pre"] })],
        createRuntime: [
          sh(record("createRuntime"), { args: ["my-argv0", "-c", record("createRuntime")] }),
        ],
        // resolved in the runtime namespace: the host's /bin/sh, writing the host path of the log
        createContainer: [
          sh(record("createContainer") + `; ls ${s.root.path}/proc | grep -c . >> ${log}`),
        ],
        // resolved in the container: the busybox sh, writing through the bind mount; no env
        startContainer: [{
          path: "/bin/sh",
          args: ["sh", "-c", record("startContainer").replaceAll(log, "/logs/log")],
        }],
        poststart: [sh(record("poststart"))],
        poststop: [sh(record("poststop"))],
      };
    });
    const s0 = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
    const id = uniqueId("hooks");
    const hostMnt = Deno.readLinkSync("/proc/self/ns/mnt");
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const initPid = JSON.parse((await moat(["state", id])).stdout).pid;
    const afterCreate = read(log).trim().split("\n");
    assertEquals(afterCreate.map((l) => l.split(" ")[0]), [
      "prestart",
      "createRuntime",
      "createContainer",
      afterCreate[3],
    ]);
    assert(Number(afterCreate[3]) > 5, "createContainer sees the container's /proc mounted");
    const st = await moat(["start", id]);
    assertEquals(st.code, 0, st.stderr);
    await waitFor(() => read(log).includes("workload"));
    await waitFor(async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped");
    const del = await moat(["delete", id]);
    assertEquals(del.code, 0, del.stderr);

    const lines = read(log).trim().split("\n");
    const kinds = lines.map((l) => l.split(" ")[0]);
    assertEquals(kinds.filter((k) => !/^\d+$/.test(k)), [
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      ...(kinds.indexOf("poststart") < kinds.indexOf("workload")
        ? ["poststart", "workload"]
        : ["workload", "poststart"]),
      "poststop",
    ]);
    const entry = (kind: string) => {
      const l = lines.find((x) => x.startsWith(kind + " "))!;
      const json = l.slice(kind.length + 1, l.indexOf("} argv=") + 1);
      return { state: JSON.parse(json), rest: l.slice(l.indexOf("} argv=") + 2) };
    };
    for (
      const [kind, status, pid] of [
        ["prestart", "creating", initPid],
        ["createRuntime", "creating", initPid],
        ["createContainer", "creating", 1],
        ["startContainer", "created", 1],
        ["poststart", "running", initPid],
        ["poststop", "stopped", undefined],
      ] as const
    ) {
      const { state } = entry(kind);
      assertEquals(state.id, id, kind);
      assertEquals(state.status, status, kind);
      assertEquals(state.pid, pid, kind);
      assertEquals(state.bundle, bundle, kind);
      assertEquals(state.annotations, { "org.example.k": "v" }, kind);
      assertEquals(state.ociVersion, s0.ociVersion, kind);
    }
    // exactly their own env; startContainer without env gets the container's
    assertStringIncludes(entry("prestart").rest, "env=FOO=pre mnt=");
    assertStringIncludes(entry("poststart").rest, "env=mnt=");
    assertStringIncludes(entry("startContainer").rest, "MOAT_CTR=from-container");
    // args[0] is argv[0]
    assertStringIncludes(entry("createRuntime").rest, "argv=my-argv0 env=");
    assertStringIncludes(entry("prestart").rest, "argv=sh env=");
    // runtime hooks in our mount namespace; createContainer in the container's
    assertStringIncludes(entry("prestart").rest, `mnt=${hostMnt}`);
    assert(!entry("createContainer").rest.includes(`mnt=${hostMnt}`));
  },
});

async function createFails(edit: (s: SpecObject) => void, args = ["true"]) {
  const bundle = makeBundle(args, edit);
  const id = uniqueId("hookfail");
  const t0 = Date.now();
  const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
  return { ...r, id, bundle, ms: Date.now() - t0 };
}

Deno.test({
  name: "hooks: a failing createRuntime hook fails create with its output; nothing is left",
  ...root,
  async fn() {
    const logs = logDir();
    const r = await createFails((s) => {
      s.hooks = {
        createRuntime: [sh("echo to-out; echo to-err >&2; exit 3")],
        poststop: [sh(`echo poststop >> ${logs}/log`)],
      };
    });
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "error running createRuntime hook #0 (/bin/sh): exit status 3, stdout: to-out, stderr: to-err",
    );
    await assertNothingLeft(r.id);
    // the lifecycle goes on at destroy: poststop runs once
    assertEquals(read(`${logs}/log`), "poststop\n");
  },
});

Deno.test({
  name: "hooks: timeout kills the hook and names it; output is kept short",
  ...root,
  async fn() {
    const r = await createFails((s) => {
      s.hooks = { prestart: [sh("echo started; exec sleep 30", { timeout: 1 })] };
    });
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "error running prestart hook #0 (/bin/sh): hook ran past specified timeout of 1.0s, stdout: started",
    );
    assert(r.ms < 10_000, `took ${r.ms} ms`);
    await assertNothingLeft(r.id);

    const big = await createFails((s) => {
      s.hooks = { createRuntime: [sh("head -c 100000 /dev/zero | tr '\\0' x; exit 1")] };
    });
    assertEquals(big.code, 1);
    assert(big.stderr.length < 4096, `error of ${big.stderr.length} bytes`);
    assertStringIncludes(big.stderr, "exit status 1, stdout: xxxx");
    await assertNothingLeft(big.id);
  },
});

Deno.test({
  name: "hooks: createContainer runs in the container (C side): failure, timeout, missing path",
  ...root,
  async fn() {
    const fail = await createFails((s) => {
      s.hooks = { createContainer: [sh("echo cc-out; echo cc-err >&2; exit 4")] };
    });
    assertEquals(fail.code, 1);
    assertStringIncludes(
      fail.stderr,
      "error running createContainer hook #0 (/bin/sh): exit status 4, stdout: cc-out, stderr: cc-err",
    );
    await assertNothingLeft(fail.id);

    const slow = await createFails((s) => {
      s.hooks = { createContainer: [sh("true"), sh("exec sleep 30", { timeout: 1 })] };
    });
    assertEquals(slow.code, 1);
    assertStringIncludes(
      slow.stderr,
      "error running createContainer hook #1 (/bin/sh): hook ran past specified timeout of 1.0s",
    );
    assert(slow.ms < 10_000, `took ${slow.ms} ms`);
    await assertNothingLeft(slow.id);

    const missing = await createFails((s) => {
      s.hooks = { createContainer: [{ path: "/no/such/hook" }] };
    });
    assertEquals(missing.code, 1);
    assertStringIncludes(
      missing.stderr,
      "error running createContainer hook #0 (/no/such/hook): exec /no/such/hook: no such file or directory",
    );
    await assertNothingLeft(missing.id);
  },
});

Deno.test({
  name: "hooks: a relative hook path is refused before anything starts",
  ...root,
  async fn() {
    const r = await createFails((s) => {
      s.hooks = { poststop: [{ path: "bin/true" }] };
    });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /hooks\.poststop\[0\]\.path: .*absolute/);
    await assertNothingLeft(r.id);
  },
});

Deno.test({
  name:
    "hooks: failing startContainer or poststart fails start and stops and removes the container",
  ...root,
  async fn() {
    for (const [kind, hook] of [["startContainer", "exit 5"], ["poststart", "exit 6"]]) {
      const logs = logDir();
      const bundle = makeBundle(["sleep", "30"], (s) => {
        s.hooks = { [kind]: [sh(hook)], poststop: [sh(`echo poststop >> ${logs}/log`)] };
      });
      const id = uniqueId("startfail");
      const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
      assertEquals(c.code, 0, c.stderr);
      const pid = JSON.parse((await moat(["state", id])).stdout).pid;
      const st = await moat(["start", id]);
      assertEquals(st.code, 1, kind);
      assertStringIncludes(st.stderr, `error running ${kind} hook #0 (/bin/sh): exit status`);
      await waitFor(() => !processesMentioning(id).length && !isLive(pid));
      await assertNothingLeft(id);
      assertEquals(read(`${logs}/log`), "poststop\n", kind);
    }
  },
});

function isLive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test({
  name: "hooks: poststop is best effort, runs once, and ignores later edits to config.json",
  ...root,
  async fn() {
    const logs = logDir();
    const bundle = makeBundle(["true"], (s) => {
      s.hooks = {
        poststop: [sh("echo failing >&2; exit 1"), sh(`echo second >> ${logs}/log`)],
      };
    });
    const id = uniqueId("poststop");
    assertEquals((await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`)).code, 0);
    // the spec: later changes to config.json have no effect on this container
    const edited = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
    edited.hooks.poststop = [sh(`echo edited >> ${logs}/log`)];
    Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(edited));
    const del = await moat(["delete", "--force", id]);
    assertEquals(del.code, 0, del.stderr);
    assertStringIncludes(del.stderr, "error running poststop hook #0 (/bin/sh): exit status 1");
    assertStringIncludes(del.stderr, "failing");
    assertEquals(read(`${logs}/log`), "second\n");
    // a retried delete does not run them again
    assertEquals((await moat(["delete", "--force", id])).code, 0);
    assertEquals((await moat(["delete", id])).code, 1);
    assertEquals(read(`${logs}/log`), "second\n");
  },
});
