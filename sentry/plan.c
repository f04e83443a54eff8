/* Bounds-checked decoder of the launch plan (PROTOCOL.md §1).
 *
 * The plan crosses a trust boundary (a file written by the TypeScript side, and random
 * bytes from the fuzzer through libmoat), so every length is checked before it is read,
 * every list has a limit, and anything unknown is rejected: a plan we do not fully
 * understand must not start a container with fewer restrictions than intended. */
#include "plan.h"
#include "kabi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_MAX 4096u
#define ARG_MAX_LEN (128u * 1024u)
#define PRESERVE_FDS_MAX 65536u
#define ID_MAX 0xfffffffeu /* (uid_t)-1 means "unchanged" to the kernel */

/* MS_* bits (values fixed by the kernel ABI; spelled out so libmoat and the sentry agree) */
#define P_MS_REC 0x4000u
#define P_MS_UNBINDABLE (1u << 17)
#define P_MS_PRIVATE (1u << 18)
#define P_MS_SLAVE (1u << 19)
#define P_MS_SHARED (1u << 20)
#define PROPAGATION_MASK (P_MS_REC | P_MS_UNBINDABLE | P_MS_PRIVATE | P_MS_SLAVE | P_MS_SHARED)

enum kind { K_STR, K_U64, K_I64, K_NEST, K_BYTES };

struct tagspec {
	const char *name;
	enum kind kind;
	unsigned max;     /* most occurrences allowed (0: tag unknown) */
	unsigned min;     /* required occurrences */
	unsigned strmax;  /* for K_STR */
};

static const struct tagspec top[T_MAX_TOP + 1] = {
	[T_ROOTFS] = {"ROOTFS", K_STR, 1, 1, STR_MAX},
	[T_ROOTFS_READONLY] = {"ROOTFS_READONLY", K_U64, 1, 0, 0},
	[T_ROOT_PROPAGATION] = {"ROOT_PROPAGATION", K_U64, 1, 0, 0},
	[T_NO_PIVOT] = {"NO_PIVOT", K_U64, 1, 0, 0},
	[T_HOSTNAME] = {"HOSTNAME", K_STR, 1, 0, STR_MAX},
	[T_DOMAINNAME] = {"DOMAINNAME", K_STR, 1, 0, STR_MAX},
	[T_NAMESPACE] = {"NAMESPACE", K_NEST, PLAN_MAX_NS, 0, 0},
	[T_MOUNT] = {"MOUNT", K_NEST, 512, 0, 0},
	[T_DEVICE] = {"DEVICE", K_NEST, 512, 0, 0},
	[T_SYMLINK] = {"SYMLINK", K_NEST, 64, 0, 0},
	[T_MASKED_PATH] = {"MASKED_PATH", K_STR, 512, 0, STR_MAX},
	[T_READONLY_PATH] = {"READONLY_PATH", K_STR, 512, 0, STR_MAX},
	[T_ARG] = {"ARG", K_STR, 4096, 1, ARG_MAX_LEN},
	[T_ENV] = {"ENV", K_STR, 4096, 0, ARG_MAX_LEN},
	[T_CWD] = {"CWD", K_STR, 1, 1, STR_MAX},
	[T_UID] = {"UID", K_U64, 1, 0, 0},
	[T_GID] = {"GID", K_U64, 1, 0, 0},
	[T_ADDITIONAL_GID] = {"ADDITIONAL_GID", K_U64, 256, 0, 0},
	[T_UMASK] = {"UMASK", K_U64, 1, 0, 0},
	[T_CAP_BOUNDING] = {"CAP_BOUNDING", K_U64, 1, 0, 0},
	[T_CAP_EFFECTIVE] = {"CAP_EFFECTIVE", K_U64, 1, 0, 0},
	[T_CAP_INHERITABLE] = {"CAP_INHERITABLE", K_U64, 1, 0, 0},
	[T_CAP_PERMITTED] = {"CAP_PERMITTED", K_U64, 1, 0, 0},
	[T_CAP_AMBIENT] = {"CAP_AMBIENT", K_U64, 1, 0, 0},
	[T_CAP_LAST] = {"CAP_LAST", K_U64, 1, 1, 0},
	[T_RLIMIT] = {"RLIMIT", K_NEST, PLAN_MAX_RLIMITS, 0, 0},
	[T_NO_NEW_PRIVS] = {"NO_NEW_PRIVS", K_U64, 1, 0, 0},
	[T_OOM_SCORE_ADJ] = {"OOM_SCORE_ADJ", K_I64, 1, 0, 0},
	[T_NOTIFY_SOCKET] = {"NOTIFY_SOCKET", K_STR, 1, 1, STR_MAX},
	[T_CONTROL_SOCKET] = {"CONTROL_SOCKET", K_STR, 1, 1, STR_MAX},
	[T_LOG_PATH] = {"LOG_PATH", K_STR, 1, 0, STR_MAX},
	[T_PRESERVE_FDS] = {"PRESERVE_FDS", K_U64, 1, 0, 0},
	[T_PATH_DIR] = {"PATH_DIR", K_STR, 256, 0, STR_MAX},
	[T_NO_NEW_KEYRING] = {"NO_NEW_KEYRING", K_U64, 1, 0, 0},
	[T_SESSION_KEYRING_NAME] = {"SESSION_KEYRING_NAME", K_STR, 1, 0, STR_MAX},
	[T_CONTAINER_ID] = {"CONTAINER_ID", K_STR, 1, 1, STR_MAX},
	[T_TERMINAL] = {"TERMINAL", K_U64, 1, 0, 0},
	[T_CONSOLE_SOCKET] = {"CONSOLE_SOCKET", K_STR, 1, 0, STR_MAX},
	[T_CONSOLE_ROWS] = {"CONSOLE_ROWS", K_U64, 1, 0, 0},
	[T_CONSOLE_COLS] = {"CONSOLE_COLS", K_U64, 1, 0, 0},
	[T_CONSOLE_RELAY] = {"CONSOLE_RELAY", K_U64, 1, 0, 0},
	[T_EXEC] = {"EXEC", K_U64, 1, 0, 0},
	[T_UID_MAP] = {"UID_MAP", K_NEST, PLAN_MAX_IDMAPS, 0, 0},
	[T_GID_MAP] = {"GID_MAP", K_NEST, PLAN_MAX_IDMAPS, 0, 0},
	[T_SETGROUPS_DENY] = {"SETGROUPS_DENY", K_U64, 1, 0, 0},
	[T_EXEC_TARGET] = {"EXEC_TARGET", K_BYTES, 1, 0, 0},
	[T_MEMPOLICY_MODE] = {"MEMPOLICY_MODE", K_U64, 1, 0, 0},
	[T_MEMPOLICY_NODES] = {"MEMPOLICY_NODES", K_BYTES, 1, 0, 0},
	[T_NET_DEVICE] = {"NET_DEVICE", K_NEST, PLAN_MAX_NET_DEVICES, 0, 0},
	[T_EXEC_RELEASE] = {"EXEC_RELEASE", K_U64, 1, 0, 0},
	[T_PIDFD_SOCKET] = {"PIDFD_SOCKET", K_STR, 1, 0, STR_MAX},
	[T_SANDBOX_BPF] = {"SANDBOX_BPF", K_BYTES, 1, 0, 0},
	[T_SANDBOX_NOTIFY] = {"SANDBOX_NOTIFY", K_U64, 1, 0, 0},
	[T_SANDBOX_EARLY] = {"SANDBOX_EARLY", K_U64, 1, 0, 0},
	[T_UNAME_RELEASE] = {"UNAME_RELEASE", K_STR, 1, 0, 64},
	[T_UNAME_VERSION] = {"UNAME_VERSION", K_STR, 1, 0, 64},
	[T_VIRT_SYSINFO] = {"VIRT_SYSINFO", K_U64, 1, 0, 0},
	[T_VIRT_FILES] = {"VIRT_FILES", K_U64, 1, 0, 0},
	[T_EGRESS_DEFAULT] = {"EGRESS_DEFAULT", K_U64, 1, 0, 0},
	[T_EGRESS_RULE] = {"EGRESS_RULE", K_NEST, PLAN_MAX_EGRESS_RULES, 0, 0},
	[T_TRACE] = {"TRACE", K_U64, 1, 0, 0},
	[T_TRACE_FILE] = {"TRACE_FILE", K_STR, 1, 0, STR_MAX},
	[T_DENIAL] = {"DENIAL", K_NEST, PLAN_MAX_DENIALS, 0, 0},
	[T_ADOPT_SOCKET] = {"ADOPT_SOCKET", K_STR, 1, 0, STR_MAX},
	[T_VPROC_DIR] = {"VPROC_DIR", K_NEST, PLAN_MAX_VPROC_DIRS, 0, 0},
	[T_VPROC_V2] = {"VPROC_V2", K_U64, 1, 0, 0},
	[T_SANDBOX_FIRST] = {"SANDBOX_FIRST", K_U64, 1, 0, 0},
	[T_POD_EGRESS_DEFAULT] = {"POD_EGRESS_DEFAULT", K_U64, 1, 0, 0},
	[T_OVERLAY] = {"OVERLAY", K_NEST, PLAN_MAX_OVERLAYS, 0, 0},
	[T_ATTACH] = {"ATTACH", K_BYTES, 1, 0, 0},
	[T_CGROUP_PROCS] = {"CGROUP_PROCS", K_STR, PLAN_MAX_CGROUP_PROCS, 0, STR_MAX},
	[T_CGROUP_V2_DIR] = {"CGROUP_V2_DIR", K_STR, 1, 0, STR_MAX},
	[T_SECCOMP_BPF] = {"SECCOMP_BPF", K_BYTES, 1, 0, 0},
	[T_SECCOMP_FLAGS] = {"SECCOMP_FLAGS", K_U64, 1, 0, 0},
	[T_SECCOMP_NOTIFY] = {"SECCOMP_NOTIFY", K_U64, 1, 0, 0},
	[T_SECCOMP_LISTENER_PATH] = {"SECCOMP_LISTENER_PATH", K_STR, 1, 0, STR_MAX},
	[T_SECCOMP_LISTENER_STATE] = {"SECCOMP_LISTENER_STATE", K_STR, 1, 0, 64u * 1024u},
	[T_SECCOMP_EARLY] = {"SECCOMP_EARLY", K_U64, 1, 0, 0},
	[T_HOOK] = {"HOOK", K_NEST, PLAN_MAX_HOOKS, 0, 0},
	[T_HOOK_PAUSE] = {"HOOK_PAUSE", K_U64, 1, 0, 0},
	[T_SYSCTL] = {"SYSCTL", K_NEST, PLAN_MAX_SYSCTLS, 0, 0},
	[T_PERSONALITY] = {"PERSONALITY", K_U64, 1, 0, 0},
	[T_SCHEDULER] = {"SCHEDULER", K_NEST, 1, 0, 0},
	[T_IOPRIO] = {"IOPRIO", K_U64, 1, 0, 0},
	[T_CPU_AFFINITY_INITIAL] = {"CPU_AFFINITY_INITIAL", K_BYTES, 1, 0, 0},
	[T_CPU_AFFINITY_FINAL] = {"CPU_AFFINITY_FINAL", K_BYTES, 1, 0, 0},
	[T_TIME_OFFSET] = {"TIME_OFFSET", K_NEST, 2, 0, 0},
};

/* nested tags */
enum { NS_TYPE = 1, NS_PATH, NS_MAX = NS_PATH };
static const struct tagspec ns_tags[NS_MAX + 1] = {
	[NS_TYPE] = {"NS_TYPE", K_U64, 1, 1, 0},
	[NS_PATH] = {"NS_PATH", K_STR, 1, 0, STR_MAX},
};
enum { M_SOURCE = 1, M_DEST, M_TYPE, M_FLAGS, M_DATA, M_PROPAGATION, M_REMOUNT_FLAGS, M_CREATE,
       M_MODE, M_COPYUP, M_UIDMAP, M_GIDMAP, M_IDMAP_RECURSIVE, M_RATTR_SET = 60, M_RATTR_CLR, M_MAX = M_RATTR_CLR };
static const struct tagspec mount_tags[M_MAX + 1] = {
	[M_SOURCE] = {"M_SOURCE", K_STR, 1, 0, STR_MAX},
	[M_DEST] = {"M_DEST", K_STR, 1, 1, STR_MAX},
	[M_TYPE] = {"M_TYPE", K_STR, 1, 0, STR_MAX},
	[M_FLAGS] = {"M_FLAGS", K_U64, 1, 0, 0},
	[M_DATA] = {"M_DATA", K_STR, 1, 0, STR_MAX},
	[M_PROPAGATION] = {"M_PROPAGATION", K_U64, 1, 0, 0},
	[M_REMOUNT_FLAGS] = {"M_REMOUNT_FLAGS", K_U64, 1, 0, 0},
	[M_CREATE] = {"M_CREATE", K_U64, 1, 0, 0},
	[M_MODE] = {"M_MODE", K_U64, 1, 0, 0},
	[M_COPYUP] = {"M_COPYUP", K_U64, 1, 0, 0},
	[M_UIDMAP] = {"M_UIDMAP", K_NEST, PLAN_MAX_IDMAPS, 0, 0},
	[M_GIDMAP] = {"M_GIDMAP", K_NEST, PLAN_MAX_IDMAPS, 0, 0},
	[M_IDMAP_RECURSIVE] = {"M_IDMAP_RECURSIVE", K_U64, 1, 0, 0},
	[M_RATTR_SET] = {"M_RATTR_SET", K_U64, 1, 0, 0},
	[M_RATTR_CLR] = {"M_RATTR_CLR", K_U64, 1, 0, 0},
};
enum { D_PATH = 1, D_MODE, D_MAJOR, D_MINOR, D_UID, D_GID, D_BIND, D_HOST_PATH, D_MAX = D_HOST_PATH };
static const struct tagspec dev_tags[D_MAX + 1] = {
	[D_PATH] = {"D_PATH", K_STR, 1, 1, STR_MAX},
	[D_MODE] = {"D_MODE", K_U64, 1, 1, 0},
	[D_MAJOR] = {"D_MAJOR", K_U64, 1, 0, 0},
	[D_MINOR] = {"D_MINOR", K_U64, 1, 0, 0},
	[D_UID] = {"D_UID", K_U64, 1, 0, 0},
	[D_GID] = {"D_GID", K_U64, 1, 0, 0},
	[D_BIND] = {"D_BIND", K_U64, 1, 0, 0},
	[D_HOST_PATH] = {"D_HOST_PATH", K_STR, 1, 0, STR_MAX},
};
enum { L_TARGET = 1, L_PATH, L_MAX = L_PATH };
static const struct tagspec link_tags[L_MAX + 1] = {
	[L_TARGET] = {"L_TARGET", K_STR, 1, 1, STR_MAX},
	[L_PATH] = {"L_PATH", K_STR, 1, 1, STR_MAX},
};
enum { R_TYPE = 1, R_SOFT, R_HARD, R_MAX = R_HARD };
static const struct tagspec rlimit_tags[R_MAX + 1] = {
	[R_TYPE] = {"R_TYPE", K_U64, 1, 1, 0},
	[R_SOFT] = {"R_SOFT", K_U64, 1, 1, 0},
	[R_HARD] = {"R_HARD", K_U64, 1, 1, 0},
};

/* Decoding context: where we are, for error messages that point at the bad record. */
struct dec {
	char *err;
	size_t errlen;
	char where[160];
};

static int fail(struct dec *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->err && d->errlen)
		snprintf(d->err, d->errlen, "plan: %s%s%s", d->where, d->where[0] ? ": " : "", msg);
	return -1;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* One record as found in a buffer. */
struct rec {
	unsigned tag;
	const uint8_t *val;
	uint32_t len;
};

/* Fetch the record at *off of [buf, buf+len). Returns 1 with r filled, 0 at the end, -1 on error. */
static int next_rec(struct dec *d, const uint8_t *buf, size_t len, size_t *off, struct rec *r)
{
	if (*off == len)
		return 0;
	if (len - *off < 8)
		return fail(d, "truncated record header (%zu bytes left)", len - *off);
	const uint8_t *p = buf + *off;
	r->tag = rd16(p);
	if (rd16(p + 2) != 0)
		return fail(d, "record tag %u has a nonzero reserved field", r->tag);
	r->len = rd32(p + 4);
	if ((uint64_t)r->len > len - *off - 8)
		return fail(d, "tag %u runs past the end (%u bytes, %zu left)", r->tag, r->len,
			    len - *off - 8);
	r->val = p + 8;
	*off += 8 + (size_t)r->len;
	return 1;
}

/* Shape checks common to every tag (known tag, kind, length, repeat count). */
static int check_shape(struct dec *d, const struct tagspec *tab, unsigned ntab, unsigned *counts,
		       const struct rec *r)
{
	if (r->tag == 0 || r->tag > ntab || tab[r->tag].max == 0)
		return fail(d, "unknown tag %u", r->tag);
	const struct tagspec *s = &tab[r->tag];
	if (counts[r->tag] >= s->max)
		return s->max == 1 ? fail(d, "%s repeated", s->name)
				   : fail(d, "more than %u %s records", s->max, s->name);
	counts[r->tag]++;
	switch (s->kind) {
	case K_U64:
	case K_I64:
		if (r->len != 8)
			return fail(d, "%s: u64 of length %u (must be 8)", s->name, r->len);
		break;
	case K_STR:
		if (r->len > s->strmax)
			return fail(d, "%s: string of %u bytes exceeds the limit of %u", s->name, r->len,
				    s->strmax);
		if (memchr(r->val, 0, r->len))
			return fail(d, "%s: string contains a NUL byte", s->name);
		break;
	case K_NEST:
	case K_BYTES:
		break;
	}
	return 0;
}

static int check_required(struct dec *d, const struct tagspec *tab, unsigned ntab, const unsigned *counts)
{
	for (unsigned t = 1; t <= ntab; t++)
		if (tab[t].max && counts[t] < tab[t].min)
			return fail(d, "missing %s", tab[t].name);
	return 0;
}

static char *dupstr(struct dec *d, const struct rec *r)
{
	char *s = malloc((size_t)r->len + 1);
	if (!s) {
		fail(d, "out of memory");
		return NULL;
	}
	memcpy(s, r->val, r->len);
	s[r->len] = 0;
	return s;
}

static int absolute(struct dec *d, const char *name, const char *s)
{
	if (s[0] != '/')
		return fail(d, "%s \"%.200s\" is not an absolute path", name, s);
	return 0;
}

static int boolean(struct dec *d, const char *name, uint64_t v)
{
	if (v > 1)
		return fail(d, "%s must be 0 or 1, not %llu", name, (unsigned long long)v);
	return 0;
}

/* Append to a growable array whose limit check_shape already enforced. */
static void *grow(struct dec *d, void *arr, size_t n, size_t elem, size_t extra)
{
	/* capacity: 4, then doubling; reallocate only when n reaches it */
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr;
	size_t cap = n ? n * 2 : 4;
	void *p = realloc(arr, (cap + extra) * elem);
	if (!p)
		fail(d, "out of memory");
	return p;
}

#define PUSH(d, arr, n, extra)                                                   \
	({                                                                       \
		void *np_ = grow((d), (arr), (n), sizeof *(arr), (extra));       \
		int ok_ = np_ != NULL;                                           \
		if (ok_)                                                         \
			(arr) = np_;                                             \
		ok_;                                                             \
	})

static int push_str(struct dec *d, char ***arr, size_t *n, const struct rec *r, int nullterm)
{
	if (!PUSH(d, *arr, *n, nullterm ? 1 : 0))
		return -1;
	char *s = dupstr(d, r);
	if (!s)
		return -1;
	(*arr)[(*n)++] = s;
	if (nullterm)
		(*arr)[*n] = NULL;
	return 0;
}

static const uint64_t ns_types[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET,
				    CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWUSER, CLONE_NEWTIME};

static int dec_ns(struct dec *d, struct plan *p, const uint8_t *buf, size_t len)
{
	unsigned counts[NS_MAX + 1] = {0};
	struct plan_ns *ns = &p->ns[p->n_ns++];
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, ns_tags, NS_MAX, counts, &r))
			return -1;
		if (r.tag == NS_TYPE) {
			ns->type = rd64(r.val);
			unsigned known = 0;
			for (size_t i = 0; i < sizeof ns_types / sizeof ns_types[0]; i++)
				known |= ns->type == ns_types[i];
			if (!known)
				return fail(d, "NS_TYPE %#llx is not a CLONE_NEW* flag",
					    (unsigned long long)ns->type);
			for (size_t i = 0; i + 1 < p->n_ns; i++)
				if (p->ns[i].type == ns->type)
					return fail(d, "namespace type %#llx listed twice",
						    (unsigned long long)ns->type);
		} else if (r.tag == NS_PATH) {
			if (!(ns->path = dupstr(d, &r)))
				return -1;
			if (absolute(d, "NS_PATH", ns->path))
				return -1;
		}
	}
	if (rc < 0)
		return -1;
	return check_required(d, ns_tags, NS_MAX, counts);
}

enum { I_CONTAINER = 1, I_HOST, I_SIZE, I_MAX = I_SIZE };
static const struct tagspec idmap_tags[I_MAX + 1] = {
	[I_CONTAINER] = {"I_CONTAINER", K_U64, 1, 1, 0},
	[I_HOST] = {"I_HOST", K_U64, 1, 1, 0},
	[I_SIZE] = {"I_SIZE", K_U64, 1, 1, 0},
};

static int dec_idmap(struct dec *d, struct plan_idmap **v, size_t *n, const uint8_t *buf, size_t len)
{
	if (!*v && !(*v = calloc(PLAN_MAX_IDMAPS, sizeof **v)))
		return fail(d, "out of memory");
	struct plan_idmap *m = &(*v)[(*n)++];
	unsigned counts[I_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, idmap_tags, I_MAX, counts, &r))
			return -1;
		uint64_t x = rd64(r.val);
		if (r.tag == I_CONTAINER)
			m->container = x;
		else if (r.tag == I_HOST)
			m->host = x;
		else
			m->size = x;
	}
	if (rc < 0 || check_required(d, idmap_tags, I_MAX, counts))
		return -1;
	/* ids are 32-bit and (uint32_t)-1 is never valid; check each before adding (no wrap) */
	if (m->container > 0xffffffffULL || m->host > 0xffffffffULL || m->size > 0xffffffffULL ||
	    m->size == 0 || m->container + m->size > 0xffffffffULL || m->host + m->size > 0xffffffffULL)
		return fail(d, "id map %llu %llu %llu out of range", (unsigned long long)m->container,
			    (unsigned long long)m->host, (unsigned long long)m->size);
	return 0;
}

static int dec_mount(struct dec *d, struct plan_mount *m, const uint8_t *buf, size_t len)
{
	m->idmap_tree = -1;
	unsigned counts[M_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, mount_tags, M_MAX, counts, &r))
			return -1;
		switch (r.tag) {
		case M_SOURCE: if (!(m->source = dupstr(d, &r))) return -1; break;
		case M_DEST: if (!(m->dest = dupstr(d, &r))) return -1; break;
		case M_TYPE: if (!(m->type = dupstr(d, &r))) return -1; break;
		case M_DATA: if (!(m->data = dupstr(d, &r))) return -1; break;
		case M_FLAGS: m->flags = rd64(r.val); break;
		case M_PROPAGATION: m->propagation = rd64(r.val); break;
		case M_REMOUNT_FLAGS: m->remount_flags = rd64(r.val); break;
		case M_CREATE: m->create = rd64(r.val); break;
		case M_MODE: m->mode = rd64(r.val); break;
		case M_UIDMAP:
			if (dec_idmap(d, &m->uid_maps, &m->n_uid_maps, r.val, r.len))
				return -1;
			break;
		case M_GIDMAP:
			if (dec_idmap(d, &m->gid_maps, &m->n_gid_maps, r.val, r.len))
				return -1;
			break;
		case M_IDMAP_RECURSIVE:
			m->idmap_recursive = rd64(r.val);
			if (boolean(d, "M_IDMAP_RECURSIVE", m->idmap_recursive))
				return -1;
			break;
		case M_COPYUP:
			m->copyup = rd64(r.val);
			if (boolean(d, "M_COPYUP", m->copyup))
				return -1;
			break;
		case M_RATTR_SET: m->rattr_set = rd64(r.val); break;
		case M_RATTR_CLR: m->rattr_clr = rd64(r.val); break;
		}
	}
	if (rc < 0 || check_required(d, mount_tags, M_MAX, counts))
		return -1;
	if (absolute(d, "M_DEST", m->dest) || boolean(d, "M_CREATE", m->create))
		return -1;
	if (m->flags > 0xffffffffu || m->remount_flags > 0xffffffffu)
		return fail(d, "mount flags out of range");
	if (m->propagation & ~(uint64_t)PROPAGATION_MASK)
		return fail(d, "M_PROPAGATION %#llx has non-propagation bits",
			    (unsigned long long)m->propagation);
	/* MOUNT_ATTR_RDONLY NOSUID NODEV NOEXEC __ATIME NODIRATIME NOSYMFOLLOW */
	if ((m->rattr_set | m->rattr_clr) & ~(uint64_t)0x002000ffu)
		return fail(d, "M_RATTR_SET/M_RATTR_CLR have unknown MOUNT_ATTR_* bits");
	return 0;
}

static int dec_device(struct dec *d, struct plan_device *v, const uint8_t *buf, size_t len)
{
	unsigned counts[D_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, dev_tags, D_MAX, counts, &r))
			return -1;
		switch (r.tag) {
		case D_PATH: if (!(v->path = dupstr(d, &r))) return -1; break;
		case D_HOST_PATH: if (!(v->host_path = dupstr(d, &r))) return -1; break;
		case D_MODE: v->mode = rd64(r.val); break;
		case D_MAJOR: v->major = rd64(r.val); break;
		case D_MINOR: v->minor = rd64(r.val); break;
		case D_UID: v->uid = rd64(r.val); break;
		case D_GID: v->gid = rd64(r.val); break;
		case D_BIND: v->bind = rd64(r.val); break;
		}
	}
	if (rc < 0 || check_required(d, dev_tags, D_MAX, counts))
		return -1;
	if (absolute(d, "D_PATH", v->path) || boolean(d, "D_BIND", v->bind))
		return -1;
	uint64_t fmt = v->mode & 0170000;
	if ((fmt != 0020000 && fmt != 0060000 && fmt != 0010000) || v->mode > 0177777)
		return fail(d, "D_MODE %#llo is not a char, block or fifo mode",
			    (unsigned long long)v->mode);
	if (v->major > 0xfffffu || v->minor > 0xfffffu)
		return fail(d, "device number out of range");
	if (v->uid > ID_MAX || v->gid > ID_MAX)
		return fail(d, "device owner out of range");
	if (v->bind && !v->host_path)
		return fail(d, "D_BIND without D_HOST_PATH");
	return 0;
}

static int dec_symlink(struct dec *d, struct plan_symlink *l, const uint8_t *buf, size_t len)
{
	unsigned counts[L_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, link_tags, L_MAX, counts, &r))
			return -1;
		char *s = dupstr(d, &r);
		if (!s)
			return -1;
		if (r.tag == L_TARGET)
			l->target = s;
		else
			l->path = s;
	}
	if (rc < 0 || check_required(d, link_tags, L_MAX, counts))
		return -1;
	if (!l->target[0] || !l->path[0])
		return fail(d, "empty symlink target or path");
	return 0;
}

static int dec_rlimit(struct dec *d, struct plan_rlimit *l, const uint8_t *buf, size_t len)
{
	unsigned counts[R_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, rlimit_tags, R_MAX, counts, &r))
			return -1;
		uint64_t v = rd64(r.val);
		if (r.tag == R_TYPE)
			l->type = v;
		else if (r.tag == R_SOFT)
			l->soft = v;
		else
			l->hard = v;
	}
	if (rc < 0 || check_required(d, rlimit_tags, R_MAX, counts))
		return -1;
	if (l->type >= 16)
		return fail(d, "R_TYPE %llu is not an RLIMIT_* number", (unsigned long long)l->type);
	return 0;
}

enum { ND_NAME = 1, ND_NEWNAME, ND_MAX = ND_NEWNAME };
static const struct tagspec netdev_tags[ND_MAX + 1] = {
	[ND_NAME] = {"ND_NAME", K_STR, 1, 1, 15},
	[ND_NEWNAME] = {"ND_NEWNAME", K_STR, 1, 0, 15},
};

static int dec_netdev(struct dec *d, struct plan_netdev *v, const uint8_t *buf, size_t len)
{
	unsigned counts[ND_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, netdev_tags, ND_MAX, counts, &r))
			return -1;
		char **slot = r.tag == ND_NAME ? &v->name : &v->newname;
		if (!(*slot = dupstr(d, &r)))
			return -1;
		if (!(*slot)[0] || strchr(*slot, '/'))
			return fail(d, "network device name \"%s\" is not valid", *slot);
	}
	if (rc < 0 || check_required(d, netdev_tags, ND_MAX, counts))
		return -1;
	return 0;
}

enum { OV_LOWER = 1, OV_UPPER, OV_WORK, OV_TARGET, OV_TMPFS, OV_TMPFS_DATA, OV_FILE,
       OV_MAX = OV_FILE };
static const struct tagspec overlay_tags[OV_MAX + 1] = {
	[OV_LOWER] = {"OV_LOWER", K_STR, 1, 1, STR_MAX},
	[OV_UPPER] = {"OV_UPPER", K_STR, 1, 1, STR_MAX},
	[OV_WORK] = {"OV_WORK", K_STR, 1, 1, STR_MAX},
	[OV_TARGET] = {"OV_TARGET", K_STR, 1, 1, STR_MAX},
	[OV_TMPFS] = {"OV_TMPFS", K_STR, 1, 0, STR_MAX},
	[OV_TMPFS_DATA] = {"OV_TMPFS_DATA", K_STR, 1, 0, 256},
	[OV_FILE] = {"OV_FILE", K_U64, 1, 0, 0},
};

static int dec_overlay(struct dec *d, struct plan_overlay *o, const uint8_t *buf, size_t len)
{
	unsigned counts[OV_MAX + 1] = {0};
	struct rec r;
	size_t off = 0;
	int rc;
	o->tree = -1;
	while ((rc = next_rec(d, buf, len, &off, &r)) == 1) {
		if (check_shape(d, overlay_tags, OV_MAX, counts, &r))
			return -1;
		if (r.tag == OV_FILE) {
			o->file = rd64(r.val);
			if (boolean(d, "OV_FILE", o->file))
				return -1;
			continue;
		}
		char **slot = r.tag == OV_LOWER	  ? &o->lower
			      : r.tag == OV_UPPER ? &o->upper
			      : r.tag == OV_WORK  ? &o->work
			      : r.tag == OV_TARGET ? &o->target
			      : r.tag == OV_TMPFS ? &o->tmpfs
						  : &o->tmpfs_data;
		if (!(*slot = dupstr(d, &r)))
			return -1;
		if (r.tag != OV_TMPFS_DATA && absolute(d, overlay_tags[r.tag].name, *slot))
			return -1;
	}
	if (rc < 0 || check_required(d, overlay_tags, OV_MAX, counts))
		return -1;
	if (o->tmpfs_data && !o->tmpfs)
		return fail(d, "OV_TMPFS_DATA without OV_TMPFS");
	if (o->file && !o->tmpfs)
		return fail(d, "OV_FILE without OV_TMPFS");
	return 0;
}

/* tags 60-79: hooks and process attributes */
#include "plan_attrs.inc"
#include "plan_sandbox.inc"

/* Handle one top-level record whose shape is already checked. */
static int dec_top(struct dec *d, struct plan *p, const struct rec *r)
{
	uint64_t v = (r->len == 8) ? rd64(r->val) : 0;
	const char *name = top[r->tag].name;
	switch (r->tag) {
	case T_ROOTFS:
		if (!(p->rootfs = dupstr(d, r)))
			return -1;
		return absolute(d, name, p->rootfs);
	case T_ROOTFS_READONLY: p->rootfs_readonly = v; return boolean(d, name, v);
	case T_ROOT_PROPAGATION:
		p->root_propagation = v;
		if (v & ~(uint64_t)PROPAGATION_MASK)
			return fail(d, "ROOT_PROPAGATION %#llx has non-propagation bits",
				    (unsigned long long)v);
		return 0;
	case T_NO_PIVOT: p->no_pivot = v; return boolean(d, name, v);
	case T_HOSTNAME: return (p->hostname = dupstr(d, r)) ? 0 : -1;
	case T_DOMAINNAME: return (p->domainname = dupstr(d, r)) ? 0 : -1;
	case T_NAMESPACE: return dec_ns(d, p, r->val, r->len);
	case T_MOUNT:
		if (!PUSH(d, p->mounts, p->n_mounts, 0))
			return -1;
		memset(&p->mounts[p->n_mounts], 0, sizeof p->mounts[0]);
		return dec_mount(d, &p->mounts[p->n_mounts++], r->val, r->len);
	case T_DEVICE:
		if (!PUSH(d, p->devices, p->n_devices, 0))
			return -1;
		memset(&p->devices[p->n_devices], 0, sizeof p->devices[0]);
		return dec_device(d, &p->devices[p->n_devices++], r->val, r->len);
	case T_SYMLINK:
		if (!PUSH(d, p->symlinks, p->n_symlinks, 0))
			return -1;
		memset(&p->symlinks[p->n_symlinks], 0, sizeof p->symlinks[0]);
		return dec_symlink(d, &p->symlinks[p->n_symlinks++], r->val, r->len);
	case T_MASKED_PATH: return push_str(d, &p->masked, &p->n_masked, r, 0);
	case T_READONLY_PATH: return push_str(d, &p->readonly, &p->n_readonly, r, 0);
	case T_ARG: return push_str(d, &p->argv, &p->argc, r, 1);
	case T_ENV: return push_str(d, &p->envp, &p->envc, r, 1);
	case T_CWD:
		if (!(p->cwd = dupstr(d, r)))
			return -1;
		return absolute(d, name, p->cwd);
	case T_UID:
	case T_GID:
		if (v > ID_MAX)
			return fail(d, "%s %llu out of range", name, (unsigned long long)v);
		*(r->tag == T_UID ? &p->uid : &p->gid) = v;
		return 0;
	case T_ADDITIONAL_GID:
		if (v > ID_MAX)
			return fail(d, "%s %llu out of range", name, (unsigned long long)v);
		if (!PUSH(d, p->gids, p->n_gids, 0))
			return -1;
		p->gids[p->n_gids++] = v;
		return 0;
	case T_UMASK:
		if (v > 0777)
			return fail(d, "UMASK %#llo out of range", (unsigned long long)v);
		p->umask = v;
		return 0;
	case T_CAP_BOUNDING: p->cap_bounding = v; return 0;
	case T_CAP_EFFECTIVE: p->cap_effective = v; return 0;
	case T_CAP_INHERITABLE: p->cap_inheritable = v; return 0;
	case T_CAP_PERMITTED: p->cap_permitted = v; return 0;
	case T_CAP_AMBIENT: p->cap_ambient = v; return 0;
	case T_CAP_LAST:
		if (v > 63)
			return fail(d, "CAP_LAST %llu out of range", (unsigned long long)v);
		p->cap_last = v;
		return 0;
	case T_RLIMIT:
		return dec_rlimit(d, &p->rlimits[p->n_rlimits++], r->val, r->len);
	case T_NO_NEW_PRIVS: p->no_new_privs = v; return boolean(d, name, v);
	case T_OOM_SCORE_ADJ:
		p->oom_score_adj = (int64_t)v;
		p->has_oom_score_adj = 1;
		if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
			return fail(d, "OOM_SCORE_ADJ %lld out of range", (long long)p->oom_score_adj);
		return 0;
	case T_NOTIFY_SOCKET:
		if (!(p->notify_socket = dupstr(d, r)))
			return -1;
		return p->notify_socket[0] ? 0 : fail(d, "empty NOTIFY_SOCKET");
	case T_CONTROL_SOCKET:
		if (!(p->control_socket = dupstr(d, r)))
			return -1;
		return p->control_socket[0] ? 0 : fail(d, "empty CONTROL_SOCKET");
	case T_LOG_PATH: return (p->log_path = dupstr(d, r)) ? 0 : -1;
	case T_PRESERVE_FDS:
		if (v > PRESERVE_FDS_MAX)
			return fail(d, "PRESERVE_FDS %llu out of range", (unsigned long long)v);
		p->preserve_fds = v;
		return 0;
	case T_PATH_DIR: return push_str(d, &p->path_dirs, &p->n_path_dirs, r, 0);
	case T_NO_NEW_KEYRING: p->no_new_keyring = v; return boolean(d, name, v);
	case T_SESSION_KEYRING_NAME: return (p->session_keyring_name = dupstr(d, r)) ? 0 : -1;
	case T_CONTAINER_ID: return (p->container_id = dupstr(d, r)) ? 0 : -1;
	case T_TERMINAL: p->terminal = v; return boolean(d, name, v);
	case T_CONSOLE_SOCKET: return (p->console_socket = dupstr(d, r)) ? 0 : -1;
	case T_CONSOLE_ROWS:
	case T_CONSOLE_COLS:
		if (v > 0xffff)
			return fail(d, "%s %llu exceeds 65535", name, (unsigned long long)v);
		if (r->tag == T_CONSOLE_ROWS)
			p->console_rows = v;
		else
			p->console_cols = v;
		return 0;
	case T_CONSOLE_RELAY: p->console_relay = v; return boolean(d, name, v);
	case T_EXEC: p->exec = v; return boolean(d, name, v);
	case T_EXEC_RELEASE: p->exec_release = v; return boolean(d, name, v);
	case T_PIDFD_SOCKET:
		if (!(p->pidfd_socket = dupstr(d, r)))
			return -1;
		return p->pidfd_socket[0] == '/' ? 0 : fail(d, "PIDFD_SOCKET is not an absolute path");
	case T_UID_MAP: return dec_idmap(d, &p->uid_maps, &p->n_uid_maps, r->val, r->len);
	case T_GID_MAP: return dec_idmap(d, &p->gid_maps, &p->n_gid_maps, r->val, r->len);
	case T_SETGROUPS_DENY: p->setgroups_deny = v; return boolean(d, name, v);
	case T_NET_DEVICE:
		return dec_netdev(d, &p->netdevs[p->n_netdevs++], r->val, r->len);
	case T_OVERLAY:
		return dec_overlay(d, &p->overlays[p->n_overlays++], r->val, r->len);
	case T_MEMPOLICY_MODE:
		/* a mode 0..6 plus the three MPOL_F_* flag bits */
		if ((v & 7) > 6 || (v & ~(uint64_t)0xe007) != 0)
			return fail(d, "MEMPOLICY_MODE %#llx is not a mode with MPOL_F_* flags", (unsigned long long)v);
		p->has_mempolicy = 1;
		p->mempolicy_mode = v;
		return 0;
	case T_MEMPOLICY_NODES:
		if (r->len > PLAN_MAX_MEMPOLICY_NODES_BYTES || r->len % 8)
			return fail(d, "MEMPOLICY_NODES: %u bytes (a multiple of 8, at most %d)", r->len,
				    PLAN_MAX_MEMPOLICY_NODES_BYTES);
		memcpy(p->mempolicy_nodes, r->val, r->len);
		p->mempolicy_nodes_len = r->len;
		return 0;
	case T_ATTACH:
		/* two u64: the restored init's pid and start time (clock ticks) */
		if (r->len != 16)
			return fail(d, "ATTACH: %u bytes (must be 16)", r->len);
		p->attach_pid = rd64(r->val);
		p->attach_start = rd64(r->val + 8);
		if (p->attach_pid == 0 || p->attach_pid > 0x3fffffff)
			return fail(d, "ATTACH: pid %llu out of range", (unsigned long long)p->attach_pid);
		return 0;
	case T_EXEC_TARGET:
		/* two u64: pid, start time (clock ticks, /proc/<pid>/stat field 22) */
		if (r->len != 16)
			return fail(d, "EXEC_TARGET: %u bytes (must be 16)", r->len);
		p->exec_target_pid = rd64(r->val);
		p->exec_target_start = rd64(r->val + 8);
		if (p->exec_target_pid == 0 || p->exec_target_pid > 0x3fffffff)
			return fail(d, "EXEC_TARGET: pid %llu out of range", (unsigned long long)p->exec_target_pid);
		return 0;
	case T_CGROUP_PROCS:
		/* check_shape bounded the count by PLAN_MAX_CGROUP_PROCS */
		if (!(p->cgroup_procs[p->n_cgroup_procs] = dupstr(d, r)))
			return -1;
		return absolute(d, name, p->cgroup_procs[p->n_cgroup_procs++]);
	case T_CGROUP_V2_DIR:
		if (!(p->cgroup_v2_dir = dupstr(d, r)))
			return -1;
		return absolute(d, name, p->cgroup_v2_dir);
	case T_SECCOMP_BPF:
		if (r->len == 0 || r->len % 8 || r->len / 8 > PLAN_SECCOMP_MAX_INSNS)
			return fail(d, "SECCOMP_BPF of %u bytes is not 1..%u instructions of 8 bytes",
				    r->len, PLAN_SECCOMP_MAX_INSNS);
		if (!(p->seccomp_bpf = malloc(r->len)))
			return fail(d, "out of memory");
		memcpy(p->seccomp_bpf, r->val, r->len);
		p->seccomp_bpf_len = r->len;
		return 0;
	case T_SECCOMP_FLAGS:
		/* TSYNC, LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV; NEW_LISTENER comes from SECCOMP_NOTIFY */
		if (v & ~(uint64_t)(1 | 2 | 4 | 32))
			return fail(d, "SECCOMP_FLAGS %#llx has unknown bits", (unsigned long long)v);
		p->seccomp_flags = v;
		return 0;
	case T_SECCOMP_NOTIFY: p->seccomp_notify = v; return boolean(d, name, v);
	case T_SECCOMP_EARLY: p->seccomp_early = v; return boolean(d, name, v);
	case T_SECCOMP_LISTENER_PATH:
		if (!(p->seccomp_listener_path = dupstr(d, r)))
			return -1;
		return absolute(d, name, p->seccomp_listener_path);
	case T_HOOK:
	case T_HOOK_PAUSE:
	case T_SYSCTL:
	case T_PERSONALITY:
	case T_SCHEDULER:
	case T_IOPRIO:
	case T_CPU_AFFINITY_INITIAL:
	case T_CPU_AFFINITY_FINAL:
	case T_TIME_OFFSET:
		return dec_attrs(d, p, r);
	case T_SECCOMP_LISTENER_STATE:
		return (p->seccomp_listener_state = dupstr(d, r)) ? 0 : -1;
	}
	if (r->tag >= T_SANDBOX_BPF && r->tag <= T_POD_EGRESS_DEFAULT)
		return dec_sandbox(d, p, r);
	return fail(d, "unknown tag %u", r->tag); /* unreachable: check_shape knows the table */
}

/* Cross-field rules of the seccomp tags (PROTOCOL.md §7). */
static int check_seccomp(struct dec *d, const struct plan *p)
{
	if (!p->seccomp_bpf) {
		if (p->seccomp_flags || p->seccomp_notify || p->seccomp_early ||
		    p->seccomp_listener_path || p->seccomp_listener_state)
			return fail(d, "seccomp settings without SECCOMP_BPF");
		return 0;
	}
	if (p->seccomp_notify && (!p->seccomp_listener_path || !p->seccomp_listener_state))
		return fail(d, "SECCOMP_NOTIFY without SECCOMP_LISTENER_PATH and SECCOMP_LISTENER_STATE");
	if (!p->seccomp_notify && (p->seccomp_listener_path || p->seccomp_listener_state))
		return fail(d, "a seccomp listener without SECCOMP_NOTIFY");
	if (p->seccomp_notify && (p->seccomp_flags & 1))
		return fail(d, "SECCOMP_FLAGS: TSYNC cannot be combined with a listener");
	if (!p->seccomp_notify && (p->seccomp_flags & 32))
		return fail(d, "SECCOMP_FLAGS: WAIT_KILLABLE_RECV needs SECCOMP_NOTIFY");
	return 0;
}

/* Without a mount namespace of its own (none, or one joined by path) the init shares another's
 * filesystem: nothing may be mounted there. */
static int check_mount_ns(struct dec *d, const struct plan *p)
{
	const struct plan_ns *m = plan_ns_find(p, CLONE_NEWNS);
	if ((m && !m->path) || p->exec)
		return 0;
	if (p->n_mounts || p->n_devices || p->n_symlinks || p->n_masked || p->n_readonly ||
	    p->rootfs_readonly || p->n_overlays)
		return fail(d, "a plan without a new mount namespace has mounts, devices, symlinks, masked or read-only paths");
	return 0;
}

int plan_decode(const uint8_t *buf, size_t len, struct plan **out, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!buf && len)
		return fail(&d, "no buffer");
	if (len < 12)
		return fail(&d, "too short for a header (%zu bytes)", len);
	if (memcmp(buf, "MOAT", 4) != 0)
		return fail(&d, "bad magic");
	if (rd32(buf + 4) != PLAN_VERSION)
		return fail(&d, "version %u is not %u", rd32(buf + 4), PLAN_VERSION);
	if ((uint64_t)rd32(buf + 8) != (uint64_t)len)
		return fail(&d, "header says %u bytes, buffer has %zu", rd32(buf + 8), len);

	struct plan *p = calloc(1, sizeof *p);
	if (!p)
		return fail(&d, "out of memory");
	p->umask = 022;

	unsigned counts[T_MAX_TOP + 1] = {0};
	const uint8_t *body = buf + 12;
	size_t blen = len - 12, off = 0;
	struct rec r;
	int rc;
	for (unsigned idx = 1;; idx++) {
		snprintf(d.where, sizeof d.where, "record %u", idx);
		size_t at = off;
		rc = next_rec(&d, body, blen, &off, &r);
		if (rc <= 0)
			break;
		if (r.tag >= 1 && r.tag <= T_MAX_TOP && top[r.tag].name)
			snprintf(d.where, sizeof d.where, "record %u (tag %u %s at offset %zu)", idx, r.tag,
				 top[r.tag].name, at + 12);
		else
			snprintf(d.where, sizeof d.where, "record %u (tag %u at offset %zu)", idx, r.tag,
				 at + 12);
		if (check_shape(&d, top, T_MAX_TOP, counts, &r) || dec_top(&d, p, &r)) {
			rc = -1;
			break;
		}
	}
	d.where[0] = 0;
	if (rc < 0 || check_required(&d, top, T_MAX_TOP, counts) || check_seccomp(&d, p) ||
	    check_attrs(&d, p) || check_mount_ns(&d, p) || check_sandbox(&d, p)) {
		plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

static void free_strs(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->rootfs);
	free(p->hostname);
	free(p->domainname);
	for (size_t i = 0; i < p->n_cgroup_procs; i++)
		free(p->cgroup_procs[i]);
	free(p->cgroup_v2_dir);
	for (size_t i = 0; i < p->n_ns; i++)
		free(p->ns[i].path);
	for (size_t i = 0; i < p->n_mounts; i++) {
		free(p->mounts[i].source);
		free(p->mounts[i].dest);
		free(p->mounts[i].type);
		free(p->mounts[i].data);
		free(p->mounts[i].uid_maps);
		free(p->mounts[i].gid_maps);
	}
	free(p->mounts);
	for (size_t i = 0; i < p->n_overlays; i++) {
		free(p->overlays[i].lower);
		free(p->overlays[i].upper);
		free(p->overlays[i].work);
		free(p->overlays[i].target);
		free(p->overlays[i].tmpfs);
		free(p->overlays[i].tmpfs_data);
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		free(p->devices[i].path);
		free(p->devices[i].host_path);
	}
	free(p->devices);
	for (size_t i = 0; i < p->n_symlinks; i++) {
		free(p->symlinks[i].target);
		free(p->symlinks[i].path);
	}
	free(p->symlinks);
	free_strs(p->masked, p->n_masked);
	free_strs(p->readonly, p->n_readonly);
	free_strs(p->argv, p->argc);
	free_strs(p->envp, p->envc);
	free(p->cwd);
	free(p->gids);
	free(p->notify_socket);
	free(p->control_socket);
	free(p->pidfd_socket);
	free_sandbox(&p->sandbox);
	free(p->log_path);
	free_strs(p->path_dirs, p->n_path_dirs);
	free(p->session_keyring_name);
	free(p->container_id);
	free(p->console_socket);
	free(p->uid_maps);
	free(p->gid_maps);
	for (size_t i = 0; i < p->n_netdevs; i++) {
		free(p->netdevs[i].name);
		free(p->netdevs[i].newname);
	}
	free(p->seccomp_bpf);
	free(p->seccomp_listener_path);
	free(p->seccomp_listener_state);
	free_attrs(p);
	free(p);
}

const struct plan_ns *plan_ns_find(const struct plan *p, uint64_t type)
{
	for (size_t i = 0; i < p->n_ns; i++)
		if (p->ns[i].type == type)
			return &p->ns[i];
	return NULL;
}
