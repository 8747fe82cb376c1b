/* The control socket: accepts clients, reads JSON requests, dispatches commands. */
#ifndef NF_CONTROL_H
#define NF_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nf_daemon.h"

/*
 * Admission: no user of the socket can lock another out. Each peer uid may hold a
 * bounded number of connections (more for those who may change things), the table as a
 * whole is bounded by descriptors, and a new client is always served: when its uid is at
 * its cap, that uid's longest-idle connection is closed; when the table is full, the
 * longest-idle one of the uid holding the most. A request left half-sent is dropped
 * after NF_CONTROL_REQUEST_TIMEOUT_MS.
 */
#define NF_CONTROL_MAX_CLIENTS 256
#define NF_CONTROL_UID_CAP 16       /* connections per read-only peer uid */
#define NF_CONTROL_UID_CAP_PRIV 128 /* per uid that may change things */
#define NF_CONTROL_REQUEST_TIMEOUT_MS 5000
#define NF_CONTROL_BURST 16 /* requests of one client served before the others get a turn */
/*
 * Latency for the many who ask little: a client within NF_CONTROL_LIGHT_RATE requests a
 * second (bursts of NF_CONTROL_LIGHT_BURST) is served at NF_CONTROL_PRIO_LIGHT, ahead of
 * the loop's timers and of clients that ask more (NF_CONTROL_PRIO_HEAVY), and the loop
 * looks for their requests after every lower-priority callback. An operator's
 * numaflipctl is light; a script hammering the socket is heavy until it slows down.
 */
#define NF_CONTROL_LIGHT_RATE 20
#define NF_CONTROL_LIGHT_BURST 4
#define NF_CONTROL_PRIO_LIGHT 0
#define NF_CONTROL_PRIO_HEAVY 2
#define NF_CONTROL_PRIORITIES 3          /* everything else in the loop runs at 1 */
#define NF_CONTROL_MAX_OUTPUT (4u << 20) /* a client that does not read is dropped */
#define NF_CONTROL_MAX_ADVANCE (24ull * 3600 * 1000000000) /* virtual time per request */
#define NF_CONTROL_MAX_DISCARD (64u << 20) /* an endless line gets its client dropped */

struct nf_control;

/* An event base the control socket can prioritise its clients on: 0, or -ENOMEM. */
int nf_control_base(struct event_base **out);

/* Binds path (replacing a stale socket, refusing a live one), mode and group applied. */
int nf_control_open(struct nf_daemon *d, const char *path, mode_t mode, const char *group,
                    struct nf_control **out, char *err, size_t errlen);
void nf_control_close(struct nf_control *c);

/* A connection as admission sees it. */
struct nf_peer {
        uid_t uid;
        bool privileged;
        uint64_t last_active_ns; /* last byte in or out */
};

/* The connection to close so that a new one from (uid, privileged) is served: its index
 * in peers, or -1 when there is room. Pure, for tests. */
long nf_control_victim(const struct nf_peer *peers, size_t n, uid_t uid, bool privileged);

/* Who may change things: root, the daemon's own user, or members of the socket group. */
bool nf_control_may_mutate(uid_t uid, gid_t gid, uid_t self, gid_t group, bool group_set,
                           const gid_t *groups, int ngroups);

/* Runs one request line as if from a client with the given rights; returns the reply
 * line (malloc'd). Used by the socket path and by tests. */
char *nf_control_handle_line(struct nf_daemon *d, const char *line, size_t len, bool may_mutate,
                             size_t *outlen);

#endif
