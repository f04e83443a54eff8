// process.terminal: a pty inside the container, sent to --console-socket (detached) or relayed
// by the sentry (foreground run), with runc's refusals for the wrong combinations.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { socketPath } from "../helpers/run_dir.ts";
import { isRoot, makeBundle, MOAT, uniqueId, WORK } from "../helpers/bundle.ts";
import { moat, moatToFile, processesMentioning, ROOT, waitFor } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const RECEIVER = new URL("../helpers/console_receiver.py", import.meta.url).pathname;

Deno.test({
  name: "terminal: the pty master reaches --console-socket before create returns",
  ...root,
  async fn() {
    const id = uniqueId("tty");
    const bundle = makeBundle(
      ["sh", "-c", "tty; stty size; read line; echo got:$line; exit 4"],
      (s) => {
        s.process.terminal = true;
        s.process.consoleSize = { height: 40, width: 132 };
      },
    );
    const sock = socketPath(`c-${id}.sock`);
    const out = `${WORK}/c-${id}.out`;
    const receiver = new Deno.Command("python3", { args: [RECEIVER, sock, out, "hello\n"] })
      .spawn();
    await waitFor(() => {
      try {
        return Deno.statSync(sock).isSocket === true;
      } catch {
        return false;
      }
    });
    const c = await moatToFile(
      ["create", "--bundle", bundle, "--console-socket", sock, id],
      `${bundle}/o`,
    );
    assertEquals(c.code, 0, c.stderr);
    // The fd arrived while create ran: the receiver has written its metadata already.
    await waitFor(() => {
      try {
        return Deno.readTextFileSync(`${out}.meta`) !== "";
      } catch {
        return false;
      }
    });
    assertStringIncludes(Deno.readTextFileSync(`${out}.meta`), "fds=1");
    assertEquals((await moat(["start", id])).code, 0);
    await receiver.status;
    const text = Deno.readTextFileSync(out).replaceAll("\r", "");
    assertStringIncludes(text, "/dev/pts/0\n");
    assertStringIncludes(text, "40 132\n");
    assertStringIncludes(text, "got:hello\n");
    await waitFor(async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped");
    assertEquals((await moat(["delete", id])).code, 0);
    assertEquals(processesMentioning(id), []);
  },
});

Deno.test({
  name: "terminal: foreground run relays the pty and returns the exit status",
  ...root,
  async fn() {
    const id = uniqueId("ttyrun");
    const bundle = makeBundle(["sh", "-c", "test -t 0 && test -t 1 && tty && exit 5"], (s) => {
      s.process.terminal = true;
    });
    const r = await moat(["run", "--bundle", bundle, id]);
    assertEquals(r.code, 5, r.stderr);
    assertEquals(r.stdout.replaceAll("\r", ""), "/dev/pts/0\n");
  },
});

Deno.test({
  name: "terminal: runc's refusals for console socket misuse, nothing left",
  ...root,
  async fn() {
    const tty = makeBundle(["true"], (s) => (s.process.terminal = true));
    const id = uniqueId("nosock");
    const a = await moatToFile(["create", "--bundle", tty, id], `${tty}/o`);
    assertEquals(a.code, 1);
    assertStringIncludes(
      a.stderr,
      "cannot allocate tty if runc will detach without setting console socket",
    );
    const plain = makeBundle(["true"]);
    const b = await moatToFile(
      ["create", "--bundle", plain, "--console-socket", "/tmp/x.sock", id],
      `${plain}/o`,
    );
    assertEquals(b.code, 1);
    assertStringIncludes(
      b.stderr,
      "cannot use console socket if runc will not detach or allocate tty",
    );
    const missing = await moatToFile(
      ["create", "--bundle", tty, "--console-socket", socketPath(`no-such-${id}.sock`), id],
      `${tty}/o2`,
    );
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "no such file or directory");
    assertEquals((await moat(["state", id])).code, 1);
    assert(processesMentioning(id).length === 0);
  },
});

Deno.test({
  name: "terminal: a foreground run starts at the size of our terminal",
  ...root,
  async fn() {
    const bundle = makeBundle(["sh", "-c", "stty size"], (s) => (s.process.terminal = true));
    const q = (v: string) => `'${v}'`;
    const line = `stty rows 33 cols 111; ${MOAT} --root ${q(ROOT)} run --bundle ${q(bundle)} ${
      uniqueId("size")
    }`;
    const r = await new Deno.Command("script", {
      args: ["-qec", line, "/dev/null"],
      stdin: "null",
      stdout: "piped",
    }).output();
    assertStringIncludes(new TextDecoder().decode(r.stdout).replaceAll("\r", ""), "33 111\n");
    assert(r.success);
  },
});
