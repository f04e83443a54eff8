/* Resource limits and the process identity (OCI process.rlimits, process.user,
 * process.capabilities, noNewPrivileges), applied the way runc does so workloads see
 * the same credentials under either runtime. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void creds_rlimits(const struct plan *p)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct plan_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (prlimit(0, (int)r->type, &rl, NULL) != 0)
			init_die("setrlimit %llu: %s", (unsigned long long)r->type, errstr(errno));
	}
}

static void drop_bounding(const struct plan *p)
{
	for (unsigned cap = 0; cap <= p->cap_last; cap++) {
		if (p->cap_bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			init_die("drop capability %u from the bounding set: %s", cap, errstr(errno));
	}
}

/* Raw syscalls rather than libc wrappers: musl's set*id broadcast to all threads, and
 * this process is a clone3 child whose libc thread bookkeeping we do not rely on. */
static void set_ids(const struct plan *p)
{
	/* additionalGids replace whatever groups the sentry inherited (always called) */
	gid_t *gids = NULL;
	if (p->n_gids) {
		gids = calloc(p->n_gids, sizeof *gids);
		if (!gids)
			init_die("setgroups: out of memory");
		for (size_t i = 0; i < p->n_gids; i++)
			gids[i] = (gid_t)p->gids[i];
	}
	/* a user namespace whose setgroups is "deny" (rootless) cannot change groups at all */
	if (!p->setgroups_deny && syscall(SYS_setgroups, p->n_gids, gids) != 0)
		init_die("setgroups: %s", errstr(errno));
	free(gids);
	if (syscall(SYS_setresgid, (gid_t)p->gid, (gid_t)p->gid, (gid_t)p->gid) != 0)
		init_die("setresgid %llu: %s", (unsigned long long)p->gid, errstr(errno));
	if (syscall(SYS_setresuid, (uid_t)p->uid, (uid_t)p->uid, (uid_t)p->uid) != 0)
		init_die("setresuid %llu: %s", (unsigned long long)p->uid, errstr(errno));
}

static void set_caps(const struct plan *p)
{
	struct moat_cap_header h = {.version = MOAT_CAP_V3, .pid = 0};
	struct moat_cap_data d[2] = {
		{(uint32_t)p->cap_effective, (uint32_t)p->cap_permitted, (uint32_t)p->cap_inheritable},
		{(uint32_t)(p->cap_effective >> 32), (uint32_t)(p->cap_permitted >> 32),
		 (uint32_t)(p->cap_inheritable >> 32)},
	};
	if (syscall(SYS_capset, &h, d) != 0)
		init_die("capset: %s", errstr(errno));
	/* like runc, an ambient capability the kernel refuses is not fatal: it can only
	 * leave the workload with fewer privileges */
	for (unsigned cap = 0; cap <= p->cap_last; cap++)
		if (p->cap_ambient & (1ULL << cap))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

void creds_apply(const struct plan *p)
{
	drop_bounding(p);
	/* keep the permitted set across setuid to a non-root user; capset sets it right after */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		init_die("set keepcaps: %s", errstr(errno));
	set_ids(p);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		init_die("clear keepcaps: %s", errstr(errno));
	set_caps(p);
	umask((mode_t)p->umask);
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		init_die("set no_new_privs: %s", errstr(errno));
}
