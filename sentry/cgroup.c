/* Cgroup placement: the sentry joins the container's cgroups before clone3, so the init is born
 * in them (and, on cgroup2, cloned straight into the leaf with CLONE_INTO_CGROUP). */
#include "cgroup.h"
#include "plan.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cgroup_join(const struct plan *p, char *err, size_t errlen)
{
	char pid[24];
	int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
	for (size_t i = 0; i < p->n_cgroup_procs; i++) {
		int fd = open(p->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
		ssize_t w = -1;
		if (fd >= 0) {
			do
				w = write(fd, pid, (size_t)n);
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
