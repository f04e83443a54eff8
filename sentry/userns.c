/* User namespaces (linux.uidMappings/gidMappings). The init is cloned into its new user
 * namespace and waits on a pipe; the sentry, outside, writes the maps (setgroups "deny" first
 * when the plan says so: an unprivileged caller may not map groups otherwise), then lets it go.
 * Only then does the init become root of its namespace and set anything up. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = proc_open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, len);
	int e = errno;
	close(fd);
	if (w != (ssize_t)len) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct plan_idmap *m, size_t n)
{
	static char buf[PLAN_MAX_IDMAPS * 3 * 11 + 1]; /* three 10-digit ids and separators per line */
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof buf - len, "%llu %llu %llu\n",
				 (unsigned long long)m[i].container, (unsigned long long)m[i].host,
				 (unsigned long long)m[i].size);
		if (w < 0 || (size_t)w >= sizeof buf - len) {
			errno = E2BIG;
			return -1;
		}
		len += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	/* the kernel takes the whole map in one write */
	return write_file(path, buf, len);
}

int userns_write_maps(pid_t pid, const struct plan *p, char *err, size_t errlen)
{
	char path[64];
	if (p->setgroups_deny) {
		snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
		if (write_file(path, "deny", 4) != 0) {
			snprintf(err, errlen, "write %s: %s", path, errstr(errno));
			return -1;
		}
	}
	if (p->n_uid_maps && write_map(pid, "uid_map", p->uid_maps, p->n_uid_maps) != 0) {
		snprintf(err, errlen, "write uid_map of the container init: %s", errstr(errno));
		return -1;
	}
	if (p->n_gid_maps && write_map(pid, "gid_map", p->gid_maps, p->n_gid_maps) != 0) {
		snprintf(err, errlen, "write gid_map of the container init: %s", errstr(errno));
		return -1;
	}
	return 0;
}

void userns_become_root(void)
{
	/* root of the new namespace if 0 is mapped (runc does the same); otherwise the process
	 * keeps the namespace creator's capabilities under its unmapped ids */
	if (syscall(SYS_setresgid, 0, 0, 0) != 0 && errno != EINVAL)
		init_die("setresgid 0 in the user namespace: %s", errstr(errno));
	if (syscall(SYS_setresuid, 0, 0, 0) != 0 && errno != EINVAL)
		init_die("setresuid 0 in the user namespace: %s", errstr(errno));
}

/* Idmapped mounts (mounts[].uidMappings/gidMappings): mount_setattr(MOUNT_ATTR_IDMAP) wants a
 * user namespace holding the mount's maps. A short-lived child creates it, we write its maps
 * and keep a handle on the namespace; the child is gone before the init is cloned. */
int userns_for_maps(const struct plan_idmap *uid, size_t nuid, const struct plan_idmap *gid,
		    size_t ngid, char *err, size_t errlen)
{
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", errstr(errno));
		return -1;
	}
	struct moat_clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		char c;
		close(sync[1]);
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sync[0]);
	if (pid < 0) {
		snprintf(err, errlen, "clone a user namespace for an idmapped mount: %s", errstr(errno));
		close(sync[1]);
		return -1;
	}
	int fd = -1;
	char path[64];
	if (write_map((pid_t)pid, "uid_map", uid, nuid) != 0 || write_map((pid_t)pid, "gid_map", gid, ngid) != 0) {
		snprintf(err, errlen, "write the id map of an idmapped mount: %s", errstr(errno));
	} else {
		snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			snprintf(err, errlen, "open %s: %s", path, errstr(errno));
	}
	close(sync[1]);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}
