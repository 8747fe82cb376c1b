/* The control socket: accepts clients, reads JSON requests, dispatches commands. */
#ifndef NF_CONTROL_H
#define NF_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nf_daemon.h"

#define NF_CONTROL_MAX_CLIENTS 64
#define NF_CONTROL_MAX_OUTPUT (4u << 20) /* a client that does not read is dropped */
#define NF_CONTROL_MAX_ADVANCE (24ull * 3600 * 1000000000) /* virtual time per request */
#define NF_CONTROL_MAX_DISCARD (64u << 20) /* an endless line gets its client dropped */

struct nf_control;

/* Binds path (replacing a stale socket, refusing a live one), mode and group applied. */
int nf_control_open(struct nf_daemon *d, const char *path, mode_t mode, const char *group,
                    struct nf_control **out, char *err, size_t errlen);
void nf_control_close(struct nf_control *c);

/* Who may change things: root, the daemon's own user, or members of the socket group. */
bool nf_control_may_mutate(uid_t uid, gid_t gid, uid_t self, gid_t group, bool group_set,
                           const gid_t *groups, int ngroups);

/* Runs one request line as if from a client with the given rights; returns the reply
 * line (malloc'd). Used by the socket path and by tests. */
char *nf_control_handle_line(struct nf_daemon *d, const char *line, size_t len, bool may_mutate,
                             size_t *outlen);

#endif
