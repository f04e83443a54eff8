/* The caller of a notification: its memory and its fds (DESIGN §4.4).
 *
 * Reads go through /proc/<tid>/mem, opened and then checked with NOTIF_ID_VALID: while the
 * notification is valid the caller is blocked in it, so the file we opened belongs to it
 * and not to a process that reused the pid. Writes use process_vm_writev, which honours the
 * page protections the way the kernel's copy_to_user does (a write through /proc/pid/mem
 * would force its way into read-only pages), and are followed by NOTIF_ID_VALID. */
#include "notify_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int tgt_valid(const struct target *t)
{
	uint64_t id = t->id;
	if (ioctl(t->n->cfg.listener, MOAT_SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
		return 0;
	return -ENOENT;
}

static int mem_open(struct target *t)
{
	if (t->mem >= 0)
		return 0;
	char path[32];
	snprintf(path, sizeof path, "%d/mem", (int)t->tid);
	t->mem = openat(t->n->cfg.proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (t->mem < 0) /* gone, or not ours to read: refuse, never allow */
		return tgt_valid(t) ? -ENOENT : -EPERM;
	return tgt_valid(t);
}

int tgt_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	int r = mem_open(t);
	if (r)
		return r;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(t->mem, (char *)buf + got, len - got, (off_t)(addr + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EFAULT;
		got += (size_t)n;
	}
	return 0;
}

int tgt_read_str(struct target *t, uint64_t addr, char *buf, size_t cap, size_t *len)
{
	int r = mem_open(t);
	if (r)
		return r;
	/* one read of up to cap - 1 bytes: /proc/pid/mem stops short at an unmapped page, so a
	 * string at the end of a mapping still reads */
	ssize_t n;
	do
		n = pread(t->mem, buf, cap - 1, (off_t)addr);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		buf[0] = 0;
		*len = 0;
		return -EFAULT;
	}
	char *nul = memchr(buf, 0, (size_t)n);
	if (nul) {
		*len = (size_t)(nul - buf);
		return 0;
	}
	buf[n] = 0;
	*len = (size_t)n;
	/* no NUL before a hole: the kernel would fault on this string too */
	return (size_t)n < cap - 1 ? -EFAULT : 1;
}

int tgt_write(struct target *t, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {.iov_base = (void *)buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	ssize_t w = process_vm_writev(t->tid, &local, 1, &remote, 1, 0);
	if (tgt_valid(t))
		return -ENOENT;
	return w == (ssize_t)len ? 0 : -EFAULT;
}

static int pidfd_of(struct target *t)
{
	if (t->pidfd >= 0)
		return 0;
	t->pidfd = (int)syscall(SYS_pidfd_open, t->tid, MOAT_PIDFD_THREAD);
	if (t->pidfd < 0 && errno == EINVAL) /* before Linux 6.9: works for a group leader */
		t->pidfd = (int)syscall(SYS_pidfd_open, t->tid, 0);
	if (t->pidfd < 0)
		return tgt_valid(t) ? -ENOENT : -EPERM;
	return tgt_valid(t);
}

int tgt_getfd(struct target *t, int fd)
{
	int r = pidfd_of(t);
	if (r)
		return r;
	int dup = (int)syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
	if (dup < 0)
		return -errno; /* EBADF for an fd the caller does not have */
	return dup;
}

int tgt_signal(struct target *t, int sig)
{
	int r = pidfd_of(t);
	if (r)
		return r;
	/* a thread's pidfd signals that thread, as the kernel signals the sender of SIGPIPE */
	if (syscall(SYS_pidfd_send_signal, t->pidfd, sig, NULL, 0) != 0)
		return -errno;
	return 0;
}

void tgt_close(struct target *t)
{
	if (t->mem >= 0)
		close(t->mem);
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->mem = t->pidfd = -1;
}
