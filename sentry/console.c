/* Terminals (process.terminal). The pty is allocated by the init *inside* the container's
 * devpts after pivot_root (runc docs/terminals.md), made its controlling terminal and stdio;
 * the master goes to the sentry over a socketpair, and from there either to the engine's
 * --console-socket (one sendmsg, one SCM_RIGHTS fd, as go-runc and conmon expect) or, for a
 * foreground `moat run`, is relayed by the sentry to the caller's own stdio. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int init_console_fd = -1;

/* A path of the container's /dev opened without following any symlink: the rootfs (or a
 * process sharing the container's /dev) may have planted some (CVE-2025-52565). */
static int open_dev(const char *path, int flags)
{
	struct moat_open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* /dev/console becomes the pty (bind over an empty regular file), as on a real system. Not for
 * exec: the container is running and its /dev belongs to it (runc does not touch it either).
 * Whatever the rootfs has there that is not a regular file (a symlink, a directory, a device)
 * is replaced; the bind goes from the peer's fd onto an fd of the file (open_tree/move_mount),
 * so no path is followed at all. */
static void bind_console(int peer)
{
	int dev = open_dev("/dev", O_PATH | O_DIRECTORY);
	if (dev < 0)
		init_die("bind pty to /dev/console: open /dev: %s", errstr(errno));
	struct stat st;
	if (fstatat(dev, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    unlinkat(dev, "console", S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
	    errno != EROFS && errno != EACCES && errno != EPERM)
		init_die("replace /dev/console: %s", errstr(errno));
	int cfd = openat(dev, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (cfd < 0) {
		if (errno != EROFS && errno != EACCES && errno != EPERM)
			init_die("create /dev/console: %s", errstr(errno));
		close(dev);
		return;
	}
	close(cfd);
	int target = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dev);
	if (target < 0 || fstat(target, &st) != 0)
		init_die("bind pty to /dev/console: %s", errstr(errno));
	if (!S_ISREG(st.st_mode))
		init_die("bind pty to /dev/console: it is not a regular file");
	int tree = (int)syscall(SYS_open_tree, peer, "",
				MOAT_OPEN_TREE_CLONE | MOAT_OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0 || syscall(SYS_move_mount, tree, "", target, "",
				MOAT_MOVE_MOUNT_F_EMPTY_PATH | MOAT_MOVE_MOUNT_T_EMPTY_PATH) != 0)
		init_die("bind pty to /dev/console: %s", errstr(errno));
	close(tree);
	close(target);
}


void console_setup_init(const struct plan *p, int sock)
{
	/* /dev/pts/ptmx of the container's own devpts instance, never the host's, nor anything a
	 * symlink there leads to */
	int master = open_dev("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (master < 0)
		init_die("open /dev/pts/ptmx: %s", errstr(errno));
	struct statfs sfs;
	if (fstatfs(master, &sfs) != 0 || sfs.f_type != MOAT_DEVPTS_SUPER_MAGIC)
		init_die("open /dev/pts/ptmx: not the ptmx of a devpts mount");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) != 0)
		init_die("unlock pty: %s", errstr(errno));
	int n = -1;
	if (ioctl(master, TIOCGPTN, &n) != 0)
		init_die("pty number: %s", errstr(errno));
	/* the peer by fd, not by path: nothing in the rootfs can redirect it */
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (peer < 0)
		init_die("open pty peer: %s", errstr(errno));
	if (p->console_rows || p->console_cols) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_rows,
				     .ws_col = (unsigned short)p->console_cols};
		ioctl(master, TIOCSWINSZ, &ws);
	}
	/* the pty belongs to the container user (runc does the same) */
	if (fchown(peer, (uid_t)p->uid, (gid_t)-1) != 0)
		init_die("chown pty: %s", errstr(errno));

	if (!p->exec)
		bind_console(peer);

	if (setsid() < 0)
		init_die("setsid: %s", errstr(errno));
	if (ioctl(peer, TIOCSCTTY, 0) != 0)
		init_die("set controlling terminal: %s", errstr(errno));
	for (int fd = 0; fd < 3; fd++)
		if (dup2(peer, fd) < 0)
			init_die("dup pty: %s", errstr(errno));
	if (peer > 2)
		close(peer);

	char name[32];
	snprintf(name, sizeof name, "/dev/pts/%d", n);
	if (fd_send(sock, master, name, strlen(name)) != 0)
		init_die("send pty master to the sentry: %s", errstr(errno));
	close(master);
	close(sock);
}

int console_receive(int sock)
{
	char data[64];
	return fd_recv(sock, data, sizeof data, NULL);
}

int console_send(const char *path, int master)
{
	int s = unix_connect(path);
	if (s < 0)
		return -1;
	/* payload: the terminal's name; go-runc and conmon take exactly one fd */
	int r = fd_send(s, master, "console", 7);
	int e = errno;
	close(s);
	errno = e;
	return r;
}

void console_resize(int master, unsigned rows, unsigned cols)
{
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
	ioctl(master, TIOCSWINSZ, &ws);
}

/* Copy what is readable from one fd to another; returns -1 at EOF or error of `from`. */
int console_pump(int from, int to)
{
	char buf[8192];
	ssize_t r = read(from, buf, sizeof buf);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return -1;
	for (ssize_t off = 0; off < r;) {
		ssize_t w = write(to, buf + off, (size_t)(r - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0; /* the reader went away: drop output, keep the container */
		off += w;
	}
	return 0;
}
