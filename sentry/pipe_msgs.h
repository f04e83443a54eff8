/* The one-byte messages between the sentry and the init it cloned (PROTOCOL.md §2), named once.
 * Two pipes: the init writes on the error pipe (close-on-exec, so EOF after start = execve
 * succeeded), the sentry writes on the start pipe (EOF = the sentry is gone: the init exits). */
#ifndef MOAT_PIPE_MSGS_H
#define MOAT_PIPE_MSGS_H

/* sentry → init, on the go pipe: cgroups joined, id maps written, devices moved: set up now */
#define MSG_GO 'G'
/* init → sentry, error pipe */
#define MSG_READY 'R'    /* set up, blocked before execve until MSG_START */
#define MSG_ERROR 'E'    /* followed by the error text; the init exits 1 */
#define MSG_LISTENER 'F' /* "F<fd>\n": a seccomp listener to take with pidfd_getfd */
#define MSG_OWN_LISTENER 'L' /* "L<fd>\n": the sandbox filter's listener, the sentry serves it */
#define MSG_HOOKS 'H'    /* stopped before pivot_root for prestart/createRuntime hooks */
/* sentry → init, start pipe */
#define MSG_START 'S'    /* run startContainer hooks and execve */
#define MSG_ACK 'A'      /* the listener was taken */
#define MSG_CONTINUE 'C' /* the runtime hooks passed: go on to pivot_root */

#endif
