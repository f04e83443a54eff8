/* A minimal seccomp notify agent for the tests (runtime-spec config-linux.md "seccomp"):
 * listens on a unix socket, receives the container process state with the listener fd in
 * SCM_RIGHTS, writes the state to a file, then answers every notification with `value`
 * (a successful return) until the filter has no task left.
 *
 *   seccomp_agent <socket> <state-out-file> <value> */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: seccomp_agent <socket> <state-out> <value>\n");
		return 2;
	}
	long value = strtol(argv[3], NULL, 0);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1)) {
		perror("listen");
		return 1;
	}
	int c = accept(ls, NULL, NULL);
	if (c < 0) {
		perror("accept");
		return 1;
	}
	static char buf[1 << 16];
	size_t got = 0;
	int lfd = -1;
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = {.iov_base = buf + got, .iov_len = sizeof buf - 1 - got};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				   .msg_controllen = sizeof cbuf};
		ssize_t n = recvmsg(c, &m, 0);
		if (n <= 0)
			break;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
				if (got != 0)
					fprintf(stderr, "fd arrived after the first message\n");
				memcpy(&lfd, CMSG_DATA(h), sizeof(int));
			}
		got += (size_t)n;
	}
	buf[got] = 0;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "w");
	fprintf(f, "%s", buf);
	fclose(f);
	rename(tmp, argv[2]);
	if (lfd < 0) {
		fprintf(stderr, "no fd received\n");
		return 1;
	}
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof req);
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR)
				continue;
			break; /* ENOENT: no task left on the filter */
		}
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.val = value;
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return 0;
}
