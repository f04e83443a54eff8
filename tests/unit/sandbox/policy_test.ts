import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { parseCidr } from "../../../core/sandbox/cidr.ts";
import { describePolicy, resolvePolicy } from "../../../core/sandbox/policy.ts";

Deno.test("cidr: IPv4, IPv6, ports, brackets, host bits cleared", () => {
  const t = (s: string) => parseCidr(s).text;
  assertEquals(t("10.1.2.3/8"), "10.0.0.0/8");
  assertEquals(t("10.1.2.3"), "10.1.2.3/32");
  assertEquals(t("10.1.2.3:443"), "10.1.2.3/32:443");
  assertEquals(t("192.168.0.0/16:53"), "192.168.0.0/16:53");
  assertEquals(t("fd00:ec2::254/128"), "fd00:ec2::254/128");
  assertEquals(t("2001:db8:1:2::ff/32:443"), "2001:db8::/32:443");
  assertEquals(t("[2001:db8::1]:8080"), "2001:db8::1/128:8080");
  assertEquals(t("::ffff:10.0.0.1"), "::ffff:a00:1/128");
  assertEquals(t("::"), "::/128");
  assertEquals(t("::/0"), "::/0");
  assertEquals(parseCidr("::ffff:10.0.0.1").addr.slice(12), new Uint8Array([10, 0, 0, 1]));
  for (
    const [bad, why] of [
      ["10.0.0.0/33", "prefix must be 0..32"],
      ["10.0.0/8", "not an IPv4 or IPv6 address"],
      ["1.2.3.4:0", "port must be 1..65535"],
      ["1.2.3.4:70000", "port must be 1..65535"],
      ["fe80::1%eth0", "not an IPv4 or IPv6 address"],
      ["2001:db8::/129", "prefix must be 0..128"],
      ["1:2:3:4:5:6:7:8:9", "not an IPv4 or IPv6 address"],
      ["[::1", "unclosed ["],
      ["example.com", "not an IPv4 or IPv6 address"],
    ]
  ) {
    assertThrows(() => parseCidr(bad), `invalid CIDR ${JSON.stringify(bad)}: ${why}`);
  }
});

Deno.test("policy: built-in defaults, a policy file under annotations", () => {
  const p = resolvePolicy(undefined);
  assertEquals(describePolicy(p), {
    surface: "default",
    virtualize: "on",
    egress: { default: "allow", allow: [], deny: ["169.254.169.254/32", "fd00:ec2::254/128"] },
    trace: [],
  });
  const file = { "dev.moat.egress.default": "deny", "dev.moat.trace": "exec,connect" };
  const q = resolvePolicy(
    { "dev.moat.trace": "all", "dev.moat.uname.release": "5.10.0-moat" },
    file,
  );
  assertEquals(q.egress.default, "deny");
  assertEquals(q.trace.length, 8);
  assertEquals(q.uname, { release: "5.10.0-moat" });
  // an empty deny list lifts the metadata default
  assertEquals(resolvePolicy({ "dev.moat.egress.deny": "" }).egress.deny, []);
});

Deno.test("policy: a malformed value names the annotation (or file key) and the value", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ "dev.moat.surface": "strict" }, 'annotation dev.moat.surface: invalid value "strict"'],
    [{ "dev.moat.virtualize": "yes" }, 'annotation dev.moat.virtualize: invalid value "yes"'],
    [{ "dev.moat.egress.default": "block" }, 'dev.moat.egress.default: invalid value "block"'],
    [
      { "dev.moat.egress.allow": "10.0.0.0/8,300.1.1.1" },
      'annotation dev.moat.egress.allow: invalid CIDR "300.1.1.1"',
    ],
    [{ "dev.moat.trace": "exec,files" }, 'unknown event family "files"'],
    [{ "dev.moat.trace.file": "trace.json" }, 'dev.moat.trace.file: invalid value "trace.json"'],
    [{ "dev.moat.uname.release": "x".repeat(65) }, "dev.moat.uname.release: invalid value"],
  ];
  const including = (t: string) => new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  for (const [a, msg] of cases) assertThrows(() => resolvePolicy(a), including(msg));
  assertThrows(
    () => resolvePolicy({}, { "dev.moat.surface": "x" }, "/etc/moat/policy.json"),
    including('/etc/moat/policy.json: dev.moat.surface: invalid value "x"'),
  );
});
