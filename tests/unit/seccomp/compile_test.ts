// libmoat's compiler (libseccomp linked statically) through FFI, and the content-hash cache.
import { assert, assertEquals, assertNotEquals } from "../../helpers/assert.ts";
import { compileCached } from "../../../core/seccomp/cache.ts";
import { encodeRules } from "../../../core/seccomp/encode.ts";
import { translateSeccomp } from "../../../core/seccomp/translate.ts";
import type { Seccomp } from "../../../core/spec/types.ts";
import { loadLibmoat, seccompCompiler } from "../../../ffi/libmoat.ts";
import { dockerLikeSeccompProfile } from "../../../tools/seccomp_docker_like.ts";

const rules = (s: unknown) => encodeRules(translateSeccomp(s as Seccomp).rules);

Deno.test("seccomp compile: BPF comes out in 8-byte instructions, unknown names are skipped", () => {
  const c = seccompCompiler();
  const out = c.compile(rules({
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"],
    syscalls: [{ names: ["read", "write", "no_such_syscall_xyz"], action: "SCMP_ACT_ALLOW" }],
  }));
  assert(out.bpf.length > 0 && out.bpf.length % 8 === 0);
  // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k }: the first loads seccomp_data.arch (4)
  const v = new DataView(out.bpf.buffer);
  assertEquals(v.getUint16(0, true), 0x20, "BPF_LD|BPF_W|BPF_ABS");
  assertEquals(v.getUint32(4, true), 4);
  assertEquals(out.skipped, ["arch:0x80000016", "no_such_syscall_xyz"]);
  assert(c.version.includes("libseccomp 2."), c.version);
});

Deno.test("seccomp compile: the C side rejects malformed rule lists", () => {
  const lib = loadLibmoat();
  const good = rules({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["getpid"], action: "SCMP_ACT_ERRNO" }],
  });
  const bad = (b: Uint8Array, msg: RegExp) => {
    let err = "";
    try {
      lib.seccompCompile(b);
    } catch (e) {
      err = (e as Error).message;
    }
    assert(msg.test(err), `${err} !~ ${msg}`);
  };
  bad(good.slice(0, good.length - 1), /truncated|malformed/);
  bad(new Uint8Array([...good, 0]), /trailing bytes/);
  const badMagic = good.slice();
  badMagic[0] = 0x58;
  bad(badMagic, /header/);
  const badAction = good.slice();
  new DataView(badAction.buffer).setUint32(8, 0x12345678, true);
  bad(badAction, /default action/);
  // random mutations never crash
  for (let i = 0; i < 2000; i++) {
    const m = good.slice();
    m[i % m.length] ^= (i * 37) & 0xff;
    try {
      lib.seccompCompile(m);
    } catch { /* rejected: fine */ }
  }
});

Deno.test("seccomp cache: a hit returns the same BPF without compiling", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const profile = dockerLikeSeccompProfile();
    const r = rules(profile);
    let compiles = 0;
    const real = seccompCompiler();
    const counting = {
      version: real.version,
      compile: (b: Uint8Array) => {
        compiles++;
        return real.compile(b);
      },
    };
    const t0 = performance.now();
    const cold = await compileCached(r, counting, dir);
    const t1 = performance.now();
    const warm = await compileCached(r, counting, dir);
    const t2 = performance.now();
    assertEquals([cold.hit, warm.hit, compiles], [false, true, 1]);
    assertEquals(warm.bpf, cold.bpf);
    assertEquals(warm.key, cold.key);
    assert(cold.bpf.length / 8 <= 4096, `${cold.bpf.length / 8} instructions`);
    console.log(
      `docker-like profile: ${cold.bpf.length / 8} instructions, cold ${
        (t1 - t0).toFixed(1)
      } ms, ` +
        `cached ${(t2 - t1).toFixed(1)} ms`,
    );
    // another profile, another key; a damaged cache file is recompiled
    const other = await compileCached(rules({ defaultAction: "SCMP_ACT_ALLOW" }), counting, dir);
    assertNotEquals(other.key, cold.key);
    Deno.writeFileSync(`${dir}/${cold.key}.bpf`, new Uint8Array(5));
    const again = await compileCached(r, counting, dir);
    assertEquals([again.hit, compiles], [false, 3]);
    assertEquals(Deno.statSync(`${dir}/${cold.key}.bpf`).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
