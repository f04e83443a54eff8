/* One established loopback TCP connection inside a container, both ends in this process: it
 * brings lo up, connects to its own listener, then sends a counter over the connection every
 * 200 ms and appends what the other end receives to argv[1] (one number a line). A connection
 * that survived a checkpoint/restore goes on with the next number; a broken one ends the
 * program. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tcp_counter <file>\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return perror("lo"), 1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		return perror("lo up"), 1;
	close(s);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return perror("listen"), 1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		return perror("connect"), 1;
	int srv = accept(l, NULL, NULL);
	if (srv < 0)
		return perror("accept"), 1;
	FILE *out = fopen(argv[1], "a");
	if (!out)
		return perror(argv[1]), 1;
	for (unsigned i = 1;; i++) {
		unsigned got;
		if (write(c, &i, sizeof i) != sizeof i || read(srv, &got, sizeof got) != sizeof got)
			return perror("connection"), 1;
		fprintf(out, "%u\n", got);
		fflush(out);
		usleep(200000);
	}
}
