/* libmoat side of seccomp (DESIGN §5): a compact rule list from core/seccomp/translate.ts goes
 * in, classic BPF (an array of struct sock_filter) comes out. libseccomp is linked statically
 * (Debian's PIC libseccomp.a) and hidden behind -Wl,--exclude-libs,ALL.
 *
 * Rule list encoding (little-endian; core/seccomp/encode.ts writes it):
 *   "MSCR" | u32 version (1) | u32 default action | u32 bad-arch action
 *   u32 n_arch | n_arch x u32 arch token (AUDIT_ARCH_*)
 *   u32 n_rules | n_rules x rule
 *   rule: u32 action | u8 name_len (1..127) | name | u8 n_args (0..6)
 *         | n_args x { u8 index (0..5) | u8 op (1..7, enum scmp_compare) | u64 a | u64 b }
 * Actions are SECCOMP_RET_* values with the errno/trace data in the low 16 bits.
 * A syscall name libseccomp does not know is skipped, as runc does; the skipped names are
 * reported in err on success ("skipped: a,b"), as are architectures this libseccomp cannot
 * put in a filter for this CPU (another byte order, or unknown): "arch:0x80000016". */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MOAT_API __attribute__((visibility("default")))

#define RULES_MAX_LEN (16u << 20)
#define RULES_MAX 65536u
#define ARCH_MAX 32u

struct rd {
	const uint8_t *p;
	size_t len, off;
};

static int take(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->len - r->off < n)
		return -1;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

static int u8(struct rd *r, uint8_t *v)
{
	const uint8_t *p;
	if (take(r, 1, &p))
		return -1;
	*v = p[0];
	return 0;
}

static int u32(struct rd *r, uint32_t *v)
{
	const uint8_t *p;
	if (take(r, 4, &p))
		return -1;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

static int u64(struct rd *r, uint64_t *v)
{
	uint32_t lo, hi;
	if (u32(r, &lo) || u32(r, &hi))
		return -1;
	*v = (uint64_t)lo | (uint64_t)hi << 32;
	return 0;
}

__attribute__((format(printf, 3, 4))) static void msg(char *err, uint64_t errlen,
							 const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	snprintf(err, (size_t)errlen, "seccomp: %s", tmp);
}

static int valid_action(uint32_t a)
{
	switch (a & 0xffff0000u) {
	case 0x00000000u: /* KILL_THREAD */
	case 0x80000000u: /* KILL_PROCESS */
	case 0x00030000u: /* TRAP */
	case 0x7fc00000u: /* USER_NOTIF */
	case 0x7ffc0000u: /* LOG */
	case 0x7fff0000u: /* ALLOW */
		return (a & 0xffffu) == 0;
	case 0x00050000u: /* ERRNO(n) */
	case 0x7ff00000u: /* TRACE(n) */
		return 1;
	}
	return 0;
}

static void skip_name(char *list, size_t cap, size_t *len, const char *name)
{
	size_t n = strlen(name);
	if (*len + n + 2 >= cap)
		return;
	if (*len)
		list[(*len)++] = ',';
	memcpy(list + *len, name, n + 1);
	*len += n;
}

/* Returns the number of BPF bytes written to out, or -1 with a message in err. */
MOAT_API int32_t moat_seccomp_compile(const uint8_t *rules, uint64_t len, uint8_t *out,
				      uint64_t outcap, char *err, uint64_t errlen)
{
	struct rd r = {.p = rules, .len = (size_t)len};
	uint32_t version, def, badarch, narch, nrules;
	const uint8_t *magic;
	scmp_filter_ctx ctx = NULL;
	int memfd = -1, ret = -1, rc;
	size_t skipped_len = 0;
	char skipped[1024] = "";

	if (err && errlen)
		err[0] = 0;
	if (!rules || len > RULES_MAX_LEN || len < 24) {
		msg(err, errlen, "rule list of bad size (%llu bytes)", (unsigned long long)len);
		return -1;
	}
	if (take(&r, 4, &magic) || memcmp(magic, "MSCR", 4) || u32(&r, &version) || version != 1 ||
	    u32(&r, &def) || u32(&r, &badarch) || u32(&r, &narch)) {
		msg(err, errlen, "bad rule list header");
		return -1;
	}
	if (!valid_action(def) || !valid_action(badarch) || narch > ARCH_MAX) {
		msg(err, errlen, "bad default action, bad-arch action or architecture count");
		return -1;
	}
	ctx = seccomp_init(def);
	if (!ctx) {
		msg(err, errlen, "seccomp_init failed (is the default action %#x supported?)", def);
		return -1;
	}
	/* optimize 2: a binary tree over syscall numbers, so a 300-name allowlist costs a
	 * dozen instructions per syscall instead of a linear walk */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) != 0) {
		msg(err, errlen, "set filter attributes: errno %d", -rc);
		goto out;
	}
	for (uint32_t i = 0; i < narch; i++) {
		uint32_t arch;
		if (u32(&r, &arch)) {
			msg(err, errlen, "truncated architecture list");
			goto out;
		}
		rc = seccomp_arch_add(ctx, arch);
		if (rc == -EDOM || rc == -EINVAL) {
			/* another byte order than the native one, or unknown to this libseccomp: this
			 * CPU never makes such syscalls, so the profile's entry is moot here */
			char a[24];
			snprintf(a, sizeof a, "arch:%#x", arch);
			skip_name(skipped, sizeof skipped, &skipped_len, a);
			continue;
		}
		if (rc != 0 && rc != -EEXIST) {
			msg(err, errlen, "architecture %#x cannot be added: errno %d", arch, -rc);
			goto out;
		}
	}
	if (u32(&r, &nrules) || nrules > RULES_MAX) {
		msg(err, errlen, "bad rule count");
		goto out;
	}
	for (uint32_t i = 0; i < nrules; i++) {
		uint32_t action;
		uint8_t nlen, nargs;
		const uint8_t *name;
		char sname[128];
		struct scmp_arg_cmp args[6];
		if (u32(&r, &action) || u8(&r, &nlen) || nlen == 0 || nlen > 127 ||
		    take(&r, nlen, &name) || u8(&r, &nargs) || nargs > 6) {
			msg(err, errlen, "truncated or malformed rule %u", i);
			goto out;
		}
		memcpy(sname, name, nlen);
		sname[nlen] = 0;
		if (memchr(sname, 0, nlen) || !valid_action(action)) {
			msg(err, errlen, "rule %u for \"%s\" is malformed", i, sname);
			goto out;
		}
		for (uint8_t j = 0; j < nargs; j++) {
			uint8_t idx, op;
			uint64_t a, b;
			if (u8(&r, &idx) || u8(&r, &op) || u64(&r, &a) || u64(&r, &b) || idx > 5 ||
			    op < SCMP_CMP_NE || op > SCMP_CMP_MASKED_EQ) {
				msg(err, errlen, "bad argument condition in rule %u for \"%s\"", i, sname);
				goto out;
			}
			args[j] = (struct scmp_arg_cmp){.arg = idx, .op = (enum scmp_compare)op,
							.datum_a = a, .datum_b = b};
		}
		int nr = seccomp_syscall_resolve_name(sname);
		if (nr == __NR_SCMP_ERROR) {
			/* unknown to this libseccomp: skipped, as runc does */
			skip_name(skipped, sizeof skipped, &skipped_len, sname);
			continue;
		}
		if (action == def)
			continue; /* libseccomp refuses a rule equal to the default; it changes nothing */
		rc = seccomp_rule_add_array(ctx, action, nr, nargs, args);
		if (rc != 0) {
			msg(err, errlen, "add rule for \"%s\": errno %d", sname, -rc);
			goto out;
		}
	}
	if (r.off != r.len) {
		msg(err, errlen, "trailing bytes after the rule list");
		goto out;
	}
	memfd = memfd_create("moat-seccomp-bpf", MFD_CLOEXEC);
	if (memfd < 0) {
		msg(err, errlen, "memfd_create: errno %d", errno);
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, memfd)) != 0) {
		msg(err, errlen, "export BPF: errno %d", -rc);
		goto out;
	}
	off_t size = lseek(memfd, 0, SEEK_END);
	if (size < 0 || (uint64_t)size > outcap || size > INT32_MAX) {
		msg(err, errlen, "BPF program of %lld bytes does not fit the output buffer", (long long)size);
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)size) {
		ssize_t n = pread(memfd, out + got, (size_t)size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			msg(err, errlen, "read back BPF: errno %d", n < 0 ? errno : EIO);
			goto out;
		}
		got += (size_t)n;
	}
	ret = (int32_t)size;
	if (skipped_len && err && errlen)
		snprintf(err, (size_t)errlen, "skipped: %s", skipped);
out:
	if (memfd >= 0)
		close(memfd);
	seccomp_release(ctx);
	return ret;
}

/* 1 if libseccomp knows the syscall name on the native architecture. */
MOAT_API int32_t moat_seccomp_syscall_known(const char *name)
{
	return name && seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

MOAT_API const char *moat_seccomp_version(void)
{
	static char buf[32];
	const struct scmp_version *v = seccomp_version();
	snprintf(buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
	return buf;
}
