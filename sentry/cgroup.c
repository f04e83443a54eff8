/* Cgroup placement (PROTOCOL.md §6a): TypeScript created and configured the container's cgroups;
 * the init is cloned straight into the cgroup2 leaf (CLONE_INTO_CGROUP) and moved into every v1
 * hierarchy by pid before it may run anything. The sentry itself stays in its caller's cgroups:
 * the container's cgroups hold exactly the container's processes. */
#include "cgroup.h"
#include "plan.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cgroup.procs of the cgroup2 leaf the init was cloned into: no need to write it */
static int is_v2_leaf(const struct plan *p, const char *procs)
{
	if (!p->cgroup_v2_dir)
		return 0;
	size_t n = strlen(p->cgroup_v2_dir);
	return !strncmp(procs, p->cgroup_v2_dir, n) && !strcmp(procs + n, "/cgroup.procs");
}

int cgroup_place(const struct plan *p, pid_t pid, int in_v2_leaf, char *err, size_t errlen)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%d", (int)pid);
	for (size_t i = 0; i < p->n_cgroup_procs; i++) {
		if (in_v2_leaf && is_v2_leaf(p, p->cgroup_procs[i]))
			continue;
		int fd = open(p->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
		ssize_t w = -1;
		if (fd >= 0) {
			do
				w = write(fd, num, (size_t)n);
			while (w < 0 && errno == EINTR);
		}
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (w != n) {
			snprintf(err, errlen, "join cgroup %s: %s", p->cgroup_procs[i], errstr(e));
			return -1;
		}
	}
	return 0;
}

int cgroup_v2_fd(const struct plan *p, char *err, size_t errlen)
{
	if (!p->cgroup_v2_dir)
		return -1;
	int fd = open(p->cgroup_v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open cgroup %s: %s", p->cgroup_v2_dir, errstr(errno));
		return -2;
	}
	return fd;
}
