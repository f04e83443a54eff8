/* Egress policy (DESIGN §4.2): may the workload send to this IP address and port?
 *
 * Precedence: the most specific matching rule decides. Specificity is the prefix length;
 * at equal prefix length a rule with a port beats one without; at equal specificity deny
 * beats allow. No rule matches: the default decides.
 *
 * Families are matched separately: an IPv4 destination (and a v4-mapped IPv6 one,
 * ::ffff:a.b.c.d, which the kernel sends as IPv4) only meets IPv4 rules, a native IPv6
 * destination only IPv6 rules. A rule written inside ::ffff:0:0/96 is stored as the IPv4
 * rule it means. The unspecified destination (0.0.0.0, ::) is matched as loopback, because
 * that is where the kernel connects it. */
#ifndef MOAT_EGRESS_H
#define MOAT_EGRESS_H

#include <stddef.h>
#include <stdint.h>

struct egress_rule {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* 0..32 or 0..128 */
	uint16_t port;    /* host order; 0 = every port */
	uint8_t addr[16]; /* network order, host bits cleared; IPv4 in the first 4 bytes */
};

struct egress_policy {
	int default_deny; /* 0: allow what no rule denies; 1: deny what no rule allows */
	const struct egress_rule *allow;
	size_t n_allow;
	const struct egress_rule *deny;
	size_t n_deny;
	/* a pod's policy the container's own may only tighten: a destination is allowed only if
	 * this one allows it too (NULL: none) */
	const struct egress_policy *also;
};

enum { EGRESS_DENY = 0, EGRESS_ALLOW = 1 };

/* "10.0.0.0/8", "10.1.2.3", "10.0.0.0/8:443", "fd00:ec2::254/128", "fd00::/8:53", "[::1]:80",
 * "[2001:db8::]/32:443" (an IPv6 rule with a port but no prefix needs the brackets).
 * 0, or -1 if the text is not a rule. */
int egress_rule_parse(const char *text, struct egress_rule *out);

/* family 4 or 6, addr in network order (4 or 16 bytes), port in host order */
int egress_decide(const struct egress_policy *p, int family, const uint8_t *addr, uint16_t port);

/* A destination as the workload passed it (a struct sockaddr of len bytes): EGRESS_ALLOW,
 * EGRESS_DENY, -EINVAL (too short for its family, as the kernel says) or -EAFNOSUPPORT (not
 * an IP family). AF_UNSPEC (dissolve a UDP association) is allowed: it reaches nobody. */
int egress_check(const struct egress_policy *p, const void *sa, size_t len);

#endif
