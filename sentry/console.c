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
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int init_console_fd = -1;


void console_setup_init(const struct plan *p, int sock)
{
	/* /dev/pts/ptmx of the container's own devpts instance, never the host's */
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		init_die("open /dev/pts/ptmx: %s", errstr(errno));
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

	/* /dev/console is the pty, as on a real system (bind over an empty file). Not for exec:
	 * the container is running and its /dev belongs to it (runc does not touch it either).
	 * The mount goes on an O_PATH fd of the file we opened, never through a path again. */
	if (!p->exec) {
		int cfd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (cfd >= 0) {
			close(cfd);
			int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
			char src[64], dst[64];
			snprintf(src, sizeof src, "/proc/self/fd/%d", peer);
			snprintf(dst, sizeof dst, "/proc/self/fd/%d", target);
			if (target < 0 || mount(src, dst, NULL, MS_BIND, NULL) != 0)
				init_die("bind pty to /dev/console: %s", errstr(errno));
			close(target);
		} else if (errno != EROFS && errno != EACCES && errno != EPERM) {
			init_die("create /dev/console: %s", errstr(errno));
		}
	}

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
