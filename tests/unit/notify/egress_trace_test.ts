// The sentry's egress rule parser and decision, and its JSON trace writer, through the
// notify harness's `unit` mode (no root, no namespaces).
import { assert, assertEquals } from "../../helpers/assert.ts";
import { type HarnessRun, runHarness } from "../../helpers/notify_harness.ts";

let unit: Promise<HarnessRun> | undefined;
const run = () => (unit ??= runHarness(["unit"], 30_000));

Deno.test("egress rules: CIDR, CIDR:port, bracketed IPv6, v4-mapped rules become IPv4, host bits cleared", async () => {
  const { res, code } = await run();
  assertEquals(code, 0);
  const parsed = Object.fromEntries(
    Object.entries(res).filter(([k]) => k.startsWith("parse ")).map(([k, v]) => [k.slice(6), v]),
  );
  assertEquals(parsed, {
    "10.0.0.0/8": "v4 10.0.0.0/8 port 0",
    "10.1.2.3": "v4 10.1.2.3/32 port 0",
    "10.0.0.0/8:443": "v4 10.0.0.0/8 port 443",
    "10.1.2.3:80": "v4 10.1.2.3/32 port 80",
    "10.255.1.1/8": "v4 10.0.0.0/8 port 0",
    "fd00:ec2::254/128": "v6 fd00:ec2::254/128 port 0",
    "fd00::/8:53": "v6 fd00::/8 port 53",
    "[::1]:80": "v6 ::1/128 port 80",
    "[2001:db8::]/32:443": "v6 2001:db8::/32 port 443",
    "::1": "v6 ::1/128 port 0",
    "::ffff:169.254.169.254/128": "v4 169.254.169.254/32 port 0",
    "::ffff:10.0.0.0/104:22": "v4 10.0.0.0/8 port 22",
    "0.0.0.0/0": "v4 0.0.0.0/0 port 0",
    "::/0": "v6 ::/0 port 0",
    "10.0.0.0/33": "invalid",
    "10.0.0.0/": "invalid",
    "10.0.0.0/8:": "invalid",
    "10.0.0.0/8:0": "invalid",
    "10.0.0.0/8:65536": "invalid",
    "10.0.0.0/8:80x": "invalid",
    "fd00::1:80x": "invalid",
    "[::1": "invalid",
    "[::1]x": "invalid",
    "": "invalid",
    "1.2.3": "invalid",
    "host.example:80": "invalid",
    "10.0.0.1 ": "invalid",
    " 10.0.0.1": "invalid",
    "10.0.0.0/-1": "invalid",
    "[10.0.0.1]:80": "invalid",
  });
});

Deno.test("egress decision: most specific wins, a port beats none, deny wins a tie, v4-mapped is IPv4, 0.0.0.0 is loopback", async () => {
  const { res } = await run();
  const decided = Object.fromEntries(
    Object.entries(res).filter(([k]) => k.startsWith("decide ")).map(([k, v]) => [k.slice(7), v]),
  );
  assertEquals(decided, {
    // default allow; deny 169.254.169.254/32 fd00:ec2::254/128 127.0.0.2/32 127.0.0.0/8:7002
    // 2001:db8::/32 ::ffff:127.0.0.3/128; allow 127.0.0.2/32:7003 2001:db8:1::/48
    "test 127.0.0.1:7001": "allow",
    "test 127.0.0.2:7001": "deny",
    "test 127.0.0.2:7003": "allow",
    "test 127.9.9.9:7002": "deny",
    "test 0.0.0.0:7002": "deny",
    "test 127.0.0.3:1": "deny",
    "test 169.254.169.254:80": "deny",
    "test 169.254.169.253:80": "allow",
    "test ::ffff:169.254.169.254:80": "deny",
    "test ::ffff:0.0.0.0:7002": "deny",
    "test fd00:ec2::254:80": "deny",
    "test 2001:db8:ffff::1:80": "deny",
    "test 2001:db8:1::1:80": "allow",
    "test 2001:db9::1:80": "allow",
    "test :::1": "allow",
    // default deny; allow 10.0.0.0/8 10.1.0.0/16:443 192.168.0.0/16; deny 10.1.0.0/16
    // 192.168.0.0/16
    "strict 10.2.3.4:80": "allow",
    "strict 10.1.3.4:80": "deny",
    "strict 10.1.3.4:443": "allow",
    "strict 192.168.1.1:80": "deny",
    "strict 8.8.8.8:53": "deny",
    "strict ::1:80": "deny",
  });
  assertEquals(res["check short v4"], "EINVAL");
  assertEquals(res["check short v6"], "EINVAL");
  assertEquals(res["check rfc2133 v6"], "1", "24 bytes (no scope id) is a full IPv6 address");
  assertEquals(res["check unspec"], "1", "AF_UNSPEC dissolves an association: allowed");
  assertEquals(res["check unix"], "EAFNOSUPPORT");
  assertEquals(res["check empty"], "EINVAL");
});

Deno.test("trace JSON: escapes, valid UTF-8 kept, invalid bytes as \\udcXX, caps never split an escape", async () => {
  const { res } = await run();
  const json = Object.fromEntries(
    Object.entries(res).filter(([k]) => k.startsWith("json ")).map(([k, v]) => [k.slice(5), v]),
  );
  assertEquals(json, {
    "616263 cap 512": "abc (3 of 3)",
    "225c0a0d091f7f cap 512": '\\"\\\\\\n\\u000d\\t\\u001f\\u007f (7 of 7)',
    "c3a9 cap 512": "é (2 of 2)",
    "e282ac cap 512": "€ (3 of 3)",
    "f09f9880 cap 512": "😀 (4 of 4)",
    "80 cap 512": "\\udc80 (1 of 1)",
    "c0af cap 512": "\\udcc0\\udcaf (2 of 2)",
    "e0808f cap 512": "\\udce0\\udc80\\udc8f (3 of 3)",
    "eda080 cap 512": "\\udced\\udca0\\udc80 (3 of 3)",
    "f4908080 cap 512": "\\udcf4\\udc90\\udc80\\udc80 (4 of 4)",
    "e282 cap 512": "\\udce2\\udc82 (2 of 2)",
    "ff cap 512": "\\udcff (1 of 1)",
    "c3 cap 512": "\\udcc3 (1 of 1)",
    "61ff cap 6": "a (1 of 2)",
    "61ff cap 7": "a\\udcff (2 of 2)",
    "61e282ac cap 3": "a (1 of 4)",
    "610a cap 2": "a (1 of 2)",
  });
  // every escaped form decodes back to the bytes: U+DC80..U+DCFF stand for 0x80..0xff
  assertEquals(JSON.parse('"a\\udcff"'), "a\udcff");
});

Deno.test("trace JSON: an oversized event is cut to one valid line of at most 4096 bytes", async () => {
  const { res } = await run();
  const bytes = Number(res["trace.long.bytes"]);
  assert(bytes > 3000 && bytes <= 4096, `${bytes} bytes`);
  assertEquals(res["trace.long.last"], "newline");
  const line = JSON.parse(res["trace.long.line"]);
  assertEquals(line.truncated, true);
  assertEquals(line.decision, "allow");
  assertEquals(line.event, "exec");
  assert(/^\udcff+$/.test(line.path), "the path is cut at an escape boundary");
});

Deno.test("trace families: names and all; an unknown name or a trailing comma is refused", async () => {
  const { res } = await run();
  assertEquals(res["families all"], "255");
  assertEquals(res["families exec,denied"], String(1 | 128));
  assertEquals(res["families bad"], "-1");
  assertEquals(res["families trailing"], "-1");
});
