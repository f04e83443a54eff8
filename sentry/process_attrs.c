/* Process and linux attributes of the OCI spec that are one syscall each (runtime-spec
 * config.md process.scheduler/ioPriority/execCPUAffinity, config-linux.md sysctl,
 * personality, timeOffsets, and the recursive mount attributes of mounts[].options).
 * TypeScript resolved every value; errors name the config.json field they come from. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

/* linux.sysctl: written through the /proc/sys of the runtime's view before pivot_root. Each
 * entry is looked up through the opener's namespaces (net, ipc, uts), which are the
 * container's by now, so this does not depend on the container mounting /proc. runc writes
 * them after the mounts as well; here they come after the createContainer hooks. */
void attrs_sysctls(const struct plan *p)
{
	if (!p->attrs.n_sysctls)
		return;
	int dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		init_die("linux.sysctl: open /proc/sys: %s", errstr(errno));
	if (!fd_on_procfs(dir))
		init_die("linux.sysctl: /proc/sys is not on procfs");
	for (size_t i = 0; i < p->attrs.n_sysctls; i++) {
		const struct plan_sysctl *s = &p->attrs.sysctls[i];
		struct moat_open_how how = {
			.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
				   RESOLVE_NO_XDEV,
		};
		int fd = (int)syscall(SYS_openat2, dir, s->path, &how, sizeof how);
		if (fd < 0)
			init_die("linux.sysctl[\"%s\"]: open /proc/sys/%s: %s", s->key, s->path,
				 errstr(errno));
		size_t len = strlen(s->value);
		ssize_t w = write(fd, s->value, len);
		if (w < 0 || (size_t)w != len)
			init_die("linux.sysctl[\"%s\"]: write %s to /proc/sys/%s: %s", s->key, s->value,
				 s->path, w < 0 ? errstr(errno) : "short write");
		close(fd);
	}
	close(dir);
}

/* Before the credential change (a real-time policy needs CAP_SYS_NICE): runc's order. */
void attrs_apply(const struct plan *p)
{
	const struct plan_attrs *a = &p->attrs;
	if (a->has_personality && personality((unsigned long)a->personality) < 0)
		init_die("linux.personality: personality(%#llx): %s", (unsigned long long)a->personality,
			 errstr(errno));
	if (a->has_sched) {
		struct moat_sched_attr sa = {
			.size = sizeof sa,
			.sched_policy = (uint32_t)a->sched.policy,
			.sched_flags = a->sched.flags,
			.sched_nice = (int32_t)a->sched.nice,
			.sched_priority = (uint32_t)a->sched.priority,
			.sched_runtime = a->sched.runtime,
			.sched_deadline = a->sched.deadline,
			.sched_period = a->sched.period,
		};
		if (syscall(SYS_sched_setattr, 0, &sa, 0) != 0)
			init_die("process.scheduler: sched_setattr: %s", errstr(errno));
	}
	if (a->has_ioprio &&
	    syscall(SYS_ioprio_set, MOAT_IOPRIO_WHO_PROCESS, 0, (int)a->ioprio) != 0)
		init_die("process.ioPriority: ioprio_set: %s", errstr(errno));
	if (a->cpus_initial &&
	    syscall(SYS_sched_setaffinity, 0, a->cpus_initial_len, a->cpus_initial) != 0)
		init_die("process.execCPUAffinity.initial: sched_setaffinity: %s", errstr(errno));
}

/* execCPUAffinity.final: applied by the sentry to the workload once its execve succeeded
 * (runc does the same from its parent process). Returns 0 or -1 with a message. */
int attrs_after_exec(const struct plan *p, pid_t pid, char *err, size_t errlen)
{
	const struct plan_attrs *a = &p->attrs;
	if (!a->cpus_final)
		return 0;
	if (syscall(SYS_sched_setaffinity, pid, a->cpus_final_len, a->cpus_final) != 0) {
		snprintf(err, errlen, "process.execCPUAffinity.final: sched_setaffinity: %s",
			 errstr(errno));
		return -1;
	}
	return 0;
}

/* A new time namespace with linux.timeOffsets. Offsets can only be written while no process
 * is in the namespace, and clone3(CLONE_NEWTIME) puts the child in it at once; so the sentry
 * unshares (which only changes the namespace of its future children), writes the offsets,
 * and the init is cloned without CLONE_NEWTIME, born in the prepared namespace. */
int attrs_timens(const struct plan *p, char *err, size_t errlen)
{
	const struct plan_ns *ns = plan_ns_find(p, CLONE_NEWTIME);
	if (!ns || ns->path)
		return 0;
	if (unshare(CLONE_NEWTIME) != 0) {
		snprintf(err, errlen, "linux.namespaces: new time namespace: %s", errstr(errno));
		return -1;
	}
	if (!p->attrs.n_time_offsets)
		return 0;
	char buf[256];
	size_t len = 0;
	for (size_t i = 0; i < p->attrs.n_time_offsets; i++) {
		const struct plan_time_offset *t = &p->attrs.time_offsets[i];
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%llu %lld %llu\n",
					(unsigned long long)t->clock, (long long)t->secs,
					(unsigned long long)t->nsecs);
	}
	int fd = proc_open("/proc/self/timens_offsets", O_WRONLY);
	ssize_t w = fd < 0 ? -1 : write(fd, buf, len);
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (w < 0 || (size_t)w != len) {
		snprintf(err, errlen, "linux.timeOffsets: write /proc/self/timens_offsets: %s",
			 w < 0 ? errstr(e) : "short write");
		return -1;
	}
	return 0;
}

/* Recursive mount attributes (rro, rnosuid, ...): mount_setattr(AT_RECURSIVE) on the mount
 * just made, so they reach every submount the source brought along (runc's order). */
void attrs_mount(int rootfd, const struct plan_mount *m)
{
	if (!m->rattr_set && !m->rattr_clr)
		return;
	struct moat_open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, m->dest, &how, sizeof how);
	if (fd < 0)
		init_die("mount %s: recursive attributes: resolve: %s", m->dest, errstr(errno));
	struct moat_mount_attr attr = {.attr_set = m->rattr_set, .attr_clr = m->rattr_clr};
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
		init_die("mount %s: recursive attributes (set %#llx, clear %#llx): mount_setattr: %s",
			 m->dest, (unsigned long long)m->rattr_set, (unsigned long long)m->rattr_clr,
			 errstr(errno));
	close(fd);
}
