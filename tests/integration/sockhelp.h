/* sockhelp: what the control-socket test clients share: dialling, SIGTERM, a clock. */
#ifndef NF_SOCKHELP_H
#define NF_SOCKHELP_H

#include <signal.h>

/* Set once SIGTERM arrives: a client's loop ends and reports what it has. */
extern volatile sig_atomic_t terminated;

/* SIGTERM sets terminated; SIGPIPE is ignored, so a daemon hanging up is a write error. */
void catch_term(void);

/* Monotonic seconds. */
double now_s(void);

/* A stream connection to the unix socket at path: its fd, or -errno. */
int dial(const char *path);

#endif
