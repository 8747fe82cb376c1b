/* The control socket: accepts clients, reads JSON requests, dispatches commands. */
#include "nf_control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "nf_log.h"
#include "nf_metrics.h"
#include "nf_notify.h"
#include "nf_proto.h"
#include "nf_rate.h"
#include "nf_report.h"
#include "nf_units.h"

struct nf_client {
        struct nf_control *ctl;
        struct bufferevent *bev;
        struct event *deadline; /* a half-sent request must be finished by then */
        bool may_mutate;
        bool closing;     /* flush the last reply, then drop */
        bool discarding;  /* skipping the rest of an over-long line */
        size_t discarded; /* bytes of it skipped so far */
        pid_t pid;
        uid_t uid;
        uint64_t last_active_ns;
        struct nf_rate budget; /* requests per second it may make and stay light */
        int prio;
        struct nf_client *next;
};

struct nf_control {
        struct nf_daemon *d;
        struct evconnlistener *listener;
        struct event *backoff;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        gid_t group;
        bool group_set;
        struct nf_client *clients;
        unsigned nr_clients;
};

/* A command's handler: fills result or e; returns 0 or -1. */
typedef int (*cmd_fn)(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                      struct nf_proto_error *e);

struct cmd {
        const char *name;
        bool mutating;
        cmd_fn fn;
};

static void err_set(struct nf_proto_error *e, const char *code, const char *msg)
{
        e->code = code;
        snprintf(e->message, sizeof(e->message), "%s", msg);
}

static struct nf_guest *req_guest(struct nf_daemon *d, const struct nf_request *req,
                                  struct nf_proto_error *e)
{
        const char *name;
        if (nf_request_string(req, "name", 1, &name, e) < 0)
                return NULL;
        struct nf_guest *g = nf_daemon_guest(d, name);
        if (!g) {
                e->code = NF_E_NOT_FOUND;
                snprintf(e->message, sizeof(e->message), "no guest named '%.64s'", name);
        }
        return g;
}

static int cmd_version(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                       struct nf_proto_error *e)
{
        (void)req;
        (void)e;
        *result = nf_report_version(d);
        return 0;
}

static int cmd_status(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                      struct nf_proto_error *e)
{
        (void)req;
        (void)e;
        *result = nf_report_status(d);
        return 0;
}

static int cmd_vm(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                  struct nf_proto_error *e)
{
        struct nf_guest *g = req_guest(d, req, e);
        if (!g)
                return -1;
        *result = nf_report_vm(d, g);
        return 0;
}

static int cmd_pool(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                    struct nf_proto_error *e)
{
        (void)req;
        (void)e;
        *result = nf_report_pools(d);
        return 0;
}

static int cmd_history(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                       struct nf_proto_error *e)
{
        struct nf_guest *g = req_guest(d, req, e);
        if (!g)
                return -1;
        *result = nf_report_history(d, g);
        return 0;
}

static int cmd_metrics(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                       struct nf_proto_error *e)
{
        (void)req;
        char *text;
        size_t len;
        if (nf_metrics_text(d, &text, &len) < 0) {
                err_set(e, NF_E_INTERNAL, "out of memory");
                return -1;
        }
        *result = json_pack("{s:s,s:s%}", "format", NF_METRICS_FORMAT, "text", text, len);
        free(text);
        return 0;
}

static int cmd_migrate(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                       struct nf_proto_error *e)
{
        struct nf_guest *g = req_guest(d, req, e);
        if (!g)
                return -1;
        char why[256];
        int rc = nf_daemon_migrate_now(d, g, why, sizeof(why));
        if (rc < 0) {
                err_set(e,
                        rc == -EBUSY || rc == -EAGAIN ? NF_E_BUSY
                        : rc == -EOPNOTSUPP           ? NF_E_UNSUPPORTED
                        : rc == -EPERM                ? NF_E_UNSUPPORTED
                        : rc == -ENODATA              ? NF_E_ARG
                                                      : NF_E_BACKEND,
                        why);
                return -1;
        }
        /* A dry run starts no plan: name the node the mover would have chosen. */
        int to = g->last.dry_run ? nf_placement_target(g->home, &d->topo) : g->plan.target_node;
        *result =
            json_pack("{s:s,s:I,s:i,s:b}", "name", g->info.name, "goal_pages",
                      (json_int_t)g->last.pages, "target_node", to, "dry_run", g->last.dry_run);
        return 0;
}

static int cmd_pause_resume(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                            struct nf_proto_error *e, bool pause)
{
        struct nf_guest *g = req_guest(d, req, e);
        if (!g)
                return -1;
        nf_daemon_pause(d, g, pause);
        *result = json_pack("{s:s,s:b,s:s}", "name", g->info.name, "paused", g->paused, "state",
                            nf_guest_state(d, g));
        return 0;
}

static int cmd_pause(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                     struct nf_proto_error *e)
{
        return cmd_pause_resume(d, req, result, e, true);
}

static int cmd_resume(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                      struct nf_proto_error *e)
{
        return cmd_pause_resume(d, req, result, e, false);
}

static int cmd_reload(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                      struct nf_proto_error *e)
{
        (void)req;
        char err[NF_ERR_MAX];
        nf_notify_reloading();
        int rc = nf_daemon_reload(d, err, sizeof(err));
        nf_notify_ready(rc == 0 ? "configuration reloaded" : "reload rejected");
        if (rc < 0) {
                err_set(e, NF_E_CONFIG, err);
                return -1;
        }
        *result =
            json_pack("{s:s,s:I}", "config", d->config_path, "reloads", (json_int_t)d->reloads);
        return 0;
}

static int cmd_advance(struct nf_daemon *d, const struct nf_request *req, json_t **result,
                       struct nf_proto_error *e)
{
        const char *by;
        uint64_t ns;
        char err[200];
        if (nf_request_string(req, "by", 1, &by, e) < 0)
                return -1;
        if (nf_parse_duration(by, &ns, err, sizeof(err)) < 0) {
                err_set(e, NF_E_ARG, err);
                return -1;
        }
        if (ns > NF_CONTROL_MAX_ADVANCE) {
                char a[32];
                e->code = NF_E_ARG;
                snprintf(e->message, sizeof(e->message), "advance by at most %s per request",
                         nf_format_duration(NF_CONTROL_MAX_ADVANCE, a, sizeof(a)));
                return -1;
        }
        if (nf_sched_mode(d->sched) != NF_SCHED_VIRTUAL) {
                err_set(e, NF_E_UNSUPPORTED,
                        "advance needs the sim backend with clock = virtual; this daemon runs "
                        "in real time");
                return -1;
        }
        nf_daemon_changed(d); /* the clock status shows moves */
        int rc = nf_sched_advance(d->sched, ns);
        if (rc < 0) {
                err_set(e, NF_E_INTERNAL, "timers kept firing at one instant; advance stopped");
                return -1;
        }
        *result = json_pack("{s:I}", "now_ns", (json_int_t)nf_daemon_now(d));
        return 0;
}

/* One table drives dispatch; numaflipctl has its own for usage. */
static const struct cmd commands[] = {
    {"version", false, cmd_version}, {"status", false, cmd_status},
    {"vm", false, cmd_vm},           {"pool", false, cmd_pool},
    {"metrics", false, cmd_metrics}, {"history", false, cmd_history},
    {"migrate", true, cmd_migrate},  {"pause", true, cmd_pause},
    {"resume", true, cmd_resume},    {"reload", true, cmd_reload},
    {"advance", true, cmd_advance},
};

char *nf_control_handle_line(struct nf_daemon *d, const char *line, size_t len, bool may_mutate,
                             size_t *outlen)
{
        struct nf_request req;
        struct nf_proto_error e = {0};
        json_t *id = NULL, *reply = NULL, *result = NULL;

        if (nf_request_parse(line, len, &req, &e, &id) < 0) {
                reply = nf_reply_error(id, e.code, e.message);
                json_decref(id);
        } else {
                const struct cmd *c = NULL;
                for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                        if (strcmp(commands[i].name, req.cmd) == 0)
                                c = &commands[i];
                if (!c) {
                        e.code = NF_E_UNKNOWN_CMD;
                        snprintf(e.message, sizeof(e.message), "unknown command '%.64s'", req.cmd);
                } else if (c->mutating && !may_mutate) {
                        e.code = NF_E_PERM;
                        snprintf(e.message, sizeof(e.message),
                                 "'%s' changes the daemon: root or the socket's group only",
                                 c->name);
                } else if (c->fn == cmd_status) {
                        /* The most asked, and kept serialised between changes. */
                        size_t rl;
                        const char *text = nf_report_status_serialised(d, &rl);
                        char *out = text ? nf_reply_ok_serialised(req.id, text, rl, outlen) : NULL;
                        if (out) {
                                nf_request_free(&req);
                                return out;
                        }
                } else if (c->fn(d, &req, &result, &e) == 0) {
                        reply = nf_reply_ok(req.id, result);
                }
                if (!reply)
                        reply = nf_reply_error(req.id, e.code ? e.code : NF_E_INTERNAL, e.message);
                nf_request_free(&req);
        }
        char *out = reply ? nf_proto_dump_line(reply, outlen) : NULL;
        json_decref(reply);
        return out;
}

int nf_control_base(struct event_base **out)
{
        struct event_config *cfg = event_config_new();
        struct event_base *base = NULL;
        if (cfg) {
                /* Look for light clients' requests after every callback below them. */
                event_config_set_max_dispatch_interval(cfg, NULL, 1, NF_CONTROL_PRIO_LIGHT + 1);
                base = event_base_new_with_config(cfg);
                event_config_free(cfg);
        }
        if (!base || event_base_priority_init(base, NF_CONTROL_PRIORITIES) < 0) {
                if (base)
                        event_base_free(base);
                return -ENOMEM;
        }
        *out = base;
        return 0;
}

/* Light or heavy, by how much the client asked lately (see nf_control.h). */
static void client_prio(struct nf_client *cl, uint64_t now, bool asked)
{
        if (asked)
                nf_rate_consume(&cl->budget, 1, now);
        uint64_t left = nf_rate_available(&cl->budget, now);
        int prio = cl->prio;
        if (left < 1)
                prio = NF_CONTROL_PRIO_HEAVY;
        else if (left >= NF_CONTROL_LIGHT_BURST / 2)
                prio = NF_CONTROL_PRIO_LIGHT;
        /* A base without priorities (tests) refuses: every client is then alike. */
        if (prio != cl->prio && bufferevent_priority_set(cl->bev, prio) == 0)
                cl->prio = prio;
}

long nf_control_victim(const struct nf_peer *peers, size_t n, uid_t uid, bool privileged)
{
        size_t cap = privileged ? NF_CONTROL_UID_CAP_PRIV : NF_CONTROL_UID_CAP, mine = 0;
        long own = -1, best = -1;
        size_t best_count = 0;

        for (size_t i = 0; i < n; i++) {
                if (peers[i].uid != uid)
                        continue;
                mine++;
                if (own < 0 || peers[i].last_active_ns < peers[own].last_active_ns)
                        own = (long)i;
        }
        if (mine >= cap)
                return own; /* its own longest-idle makes room */
        if (n < NF_CONTROL_MAX_CLIENTS)
                return -1;
        /* Full: the uid holding the most gives up its longest-idle connection. */
        for (size_t i = 0; i < n; i++) {
                size_t count = 0;
                long idle = -1;
                for (size_t j = 0; j < n; j++) {
                        if (peers[j].uid != peers[i].uid)
                                continue;
                        count++;
                        if (idle < 0 || peers[j].last_active_ns < peers[idle].last_active_ns)
                                idle = (long)j;
                }
                if (count > best_count || (count == best_count && peers[idle].last_active_ns <
                                                                      peers[best].last_active_ns)) {
                        best_count = count;
                        best = idle;
                }
        }
        return best;
}

bool nf_control_may_mutate(uid_t uid, gid_t gid, uid_t self, gid_t group, bool group_set,
                           const gid_t *groups, int ngroups)
{
        if (uid == 0 || uid == self)
                return true;
        if (!group_set)
                return false;
        if (gid == group)
                return true;
        for (int i = 0; i < ngroups; i++)
                if (groups[i] == group)
                        return true;
        return false;
}

static void client_free(struct nf_client *cl)
{
        struct nf_control *c = cl->ctl;
        struct nf_client **pp = &c->clients;
        while (*pp && *pp != cl)
                pp = &(*pp)->next;
        if (*pp)
                *pp = cl->next;
        c->nr_clients--;
        if (cl->deadline)
                event_free(cl->deadline);
        bufferevent_free(cl->bev);
        free(cl);
}

static void client_send(struct nf_client *cl, const char *line, size_t len)
{
        struct evbuffer *out = bufferevent_get_output(cl->bev);
        if (evbuffer_get_length(out) + len > NF_CONTROL_MAX_OUTPUT) {
                nf_warn("control: client pid %d does not read its replies; dropping it",
                        (int)cl->pid);
                client_free(cl);
                return;
        }
        evbuffer_add(out, line, len);
}

/* Sends an error and drops the client once it is flushed. */
static void client_reject(struct nf_client *cl, const char *code, const char *msg)
{
        json_t *r = nf_reply_error(NULL, code, msg);
        size_t len;
        char *line = nf_proto_dump_line(r, &len);
        json_decref(r);
        cl->closing = true;
        bufferevent_disable(cl->bev, EV_READ);
        if (line) {
                evbuffer_add(bufferevent_get_output(cl->bev), line, len);
                free(line);
        }
}

/* Replies with an error without a request id, keeping the client. */
static void client_error(struct nf_client *cl, const char *code, const char *msg)
{
        json_t *r = nf_reply_error(NULL, code, msg);
        size_t len;
        char *line = nf_proto_dump_line(r, &len);
        json_decref(r);
        if (line) {
                client_send(cl, line, len);
                free(line);
        }
}

/* Skips input up to the end of an over-long line; true when the client survives. */
static bool client_discard(struct nf_client *cl, struct evbuffer *in, bool *more)
{
        struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
        size_t n = nl.pos < 0 ? evbuffer_get_length(in) : (size_t)nl.pos + 1;
        evbuffer_drain(in, n);
        cl->discarded += n;
        *more = nl.pos >= 0;
        if (nl.pos < 0) {
                if (cl->discarded > NF_CONTROL_MAX_DISCARD) {
                        client_reject(cl, NF_E_TOO_LONG, "endless request line");
                        return false;
                }
                return true;
        }
        char msg[96];
        snprintf(msg, sizeof(msg), "request of %zu bytes is longer than %d", cl->discarded,
                 NF_PROTO_MAX_LINE);
        cl->discarding = false;
        cl->discarded = 0;
        unsigned before = cl->ctl->nr_clients;
        client_error(cl, NF_E_TOO_LONG, msg);
        return cl->ctl->nr_clients == before;
}

/* A half-sent request ran out of time: the client is told and dropped. */
static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_client *cl = arg;
        char msg[96];
        nf_warn("control: client pid %d left a request half-sent for %d ms; dropping it",
                (int)cl->pid, NF_CONTROL_REQUEST_TIMEOUT_MS);
        snprintf(msg, sizeof(msg), "request not finished within %d ms",
                 NF_CONTROL_REQUEST_TIMEOUT_MS);
        client_reject(cl, NF_E_TIMEOUT, msg);
}

/* Starts the clock on a half-sent request, or stops it once nothing is pending. */
static void deadline_update(struct nf_client *cl, struct evbuffer *in)
{
        bool partial = evbuffer_get_length(in) > 0 || cl->discarding;
        if (!partial) {
                if (cl->deadline)
                        evtimer_del(cl->deadline);
                return;
        }
        if (!cl->deadline)
                cl->deadline = evtimer_new(cl->ctl->d->base, deadline_cb, cl);
        if (cl->deadline && !evtimer_pending(cl->deadline, NULL)) {
                struct timeval tv = {NF_CONTROL_REQUEST_TIMEOUT_MS / 1000,
                                     (NF_CONTROL_REQUEST_TIMEOUT_MS % 1000) * 1000};
                evtimer_add(cl->deadline, &tv);
        }
}

static void client_read(struct bufferevent *bev, void *arg)
{
        struct nf_client *cl = arg;
        struct nf_control *c = cl->ctl;
        struct evbuffer *in = bufferevent_get_input(bev);
        uint64_t now = nf_clock_monotonic();
        cl->last_active_ns = now;
        client_prio(cl, now, false);
        /* A pipelining client gets a burst, then waits its turn behind the others. */
        for (int served = 0;; served++) {
                if (cl->discarding) {
                        bool more;
                        if (!client_discard(cl, in, &more))
                                return;
                        if (!more)
                                break;
                        continue;
                }
                if (served == NF_CONTROL_BURST) {
                        if (evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos >= 0) {
                                bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
                                return;
                        }
                        served = 0;
                }
                size_t len;
                char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
                if (!line) {
                        if (evbuffer_get_length(in) >= NF_PROTO_MAX_LINE) {
                                /* Skip to its end and answer, rather than buffer it. */
                                nf_warn("control: client pid %d sent a line over %d bytes",
                                        (int)cl->pid, NF_PROTO_MAX_LINE);
                                cl->discarding = true;
                                continue;
                        }
                        break;
                }
                if (len && line[len - 1] == '\r')
                        line[--len] = '\0';
                size_t outlen = 0;
                char *out =
                    len ? nf_control_handle_line(c->d, line, len, cl->may_mutate, &outlen) : NULL;
                free(line);
                if (len)
                        client_prio(cl, now, true);
                if (out) {
                        unsigned before = c->nr_clients;
                        client_send(cl, out, outlen);
                        free(out);
                        if (c->nr_clients != before)
                                return; /* dropped */
                }
        }
        deadline_update(cl, in);
}

static void client_write(struct bufferevent *bev, void *arg)
{
        struct nf_client *cl = arg;
        cl->last_active_ns = nf_clock_monotonic();
        if (cl->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
                client_free(cl);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
        (void)bev;
        struct nf_client *cl = arg;
        if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
            evbuffer_get_length(bufferevent_get_output(cl->bev)) > 0) {
                /* Half-closed after its last request: deliver the replies first. */
                cl->closing = true;
                bufferevent_disable(cl->bev, EV_READ);
                return;
        }
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                client_free(cl); /* a half-sent request dies with its client */
}

static void backoff_done(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_control *c = arg;
        evconnlistener_enable(c->listener);
}

static void accept_error(struct evconnlistener *l, void *arg)
{
        (void)l;
        struct nf_control *c = arg;
        int e = EVUTIL_SOCKET_ERROR();
        nf_warn("control: accept failed: %s", strerror(e));
        if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                /* Out of descriptors: stop accepting for a second instead of spinning. */
                struct timeval tv = {1, 0};
                evconnlistener_disable(c->listener);
                evtimer_add(c->backoff, &tv);
        }
}

/* The peer's supplementary groups, from the kernel (no NSS lookup in the loop). */
static int peer_groups(int fd, gid_t *buf, int cap, gid_t **out)
{
        socklen_t len = (socklen_t)(cap * (int)sizeof(gid_t));
        *out = buf;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) == 0)
                return (int)(len / sizeof(gid_t));
        if (errno != ERANGE)
                return -errno;
        gid_t *big = malloc(len);
        if (!big)
                return -ENOMEM;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, big, &len) < 0) {
                int e = errno;
                free(big);
                return -e;
        }
        *out = big;
        return (int)(len / sizeof(gid_t));
}

/* Makes room for a new client from (uid, privileged): see nf_control.h. */
static void admit(struct nf_control *c, uid_t uid, bool privileged)
{
        struct nf_peer peers[NF_CONTROL_MAX_CLIENTS];
        struct nf_client *who[NF_CONTROL_MAX_CLIENTS];
        size_t n = 0;
        for (struct nf_client *cl = c->clients; cl && n < NF_CONTROL_MAX_CLIENTS; cl = cl->next) {
                peers[n] = (struct nf_peer){cl->uid, cl->may_mutate, cl->last_active_ns};
                who[n++] = cl;
        }
        long v = nf_control_victim(peers, n, uid, privileged);
        if (v < 0)
                return;
        struct nf_client *old = who[v];
        nf_notice("control: closing the longest-idle connection of uid %u (pid %d) to serve a "
                  "new client of uid %u",
                  (unsigned)old->uid, (int)old->pid, (unsigned)uid);
        /* It was idle: tell it why if its socket takes it now, and close. */
        json_t *r = nf_reply_error(NULL, NF_E_BUSY, "closed to make room for another client");
        size_t len;
        char *line = nf_proto_dump_line(r, &len);
        json_decref(r);
        if (line) {
                ssize_t w =
                    send(bufferevent_getfd(old->bev), line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
                (void)w;
                free(line);
        }
        client_free(old);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
        (void)l;
        (void)sa;
        (void)salen;
        struct nf_control *c = arg;
        struct ucred cred;
        socklen_t clen = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
                nf_warn("control: cannot read peer credentials: %s", strerror(errno));
                close(fd);
                return;
        }
        gid_t small[64], *groups = small;
        int ngroups = 0;
        if (c->group_set && cred.uid != 0 && cred.uid != geteuid()) {
                ngroups = peer_groups(fd, small, 64, &groups);
                if (ngroups < 0) {
                        nf_warn("control: cannot read the groups of pid %d: %s", (int)cred.pid,
                                strerror(-ngroups));
                        ngroups = 0;
                }
        }
        bool may_mutate = nf_control_may_mutate(cred.uid, cred.gid, geteuid(), c->group,
                                                c->group_set, groups, ngroups);
        if (groups != small)
                free(groups);
        admit(c, cred.uid, may_mutate);
        struct nf_client *cl = calloc(1, sizeof(*cl));
        struct bufferevent *bev =
            cl ? bufferevent_socket_new(c->d->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
        if (!bev) {
                free(cl);
                close(fd);
                return;
        }
        cl->ctl = c;
        cl->bev = bev;
        cl->pid = cred.pid;
        cl->uid = cred.uid;
        cl->may_mutate = may_mutate;
        cl->last_active_ns = nf_clock_monotonic();
        nf_rate_init(&cl->budget, NF_CONTROL_LIGHT_RATE, NF_CONTROL_LIGHT_BURST,
                     cl->last_active_ns);
        cl->prio = -1;
        cl->next = c->clients;
        c->clients = cl;
        c->nr_clients++;
        bufferevent_setcb(bev, client_read, client_write, client_event, cl);
        bufferevent_setwatermark(bev, EV_READ, 0, NF_PROTO_MAX_LINE + 1);
        client_prio(cl, cl->last_active_ns, false); /* a new client starts light */
        bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int nf_control_open(struct nf_daemon *d, const char *path, mode_t mode, const char *group,
                    struct nf_control **out, char *err, size_t errlen)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sun.sun_path)) {
                snprintf(err, errlen, "socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
        struct nf_control *c = calloc(1, sizeof(*c));
        if (!c) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        c->d = d;
        snprintf(c->path, sizeof(c->path), "%s", path);
        if (group && *group) {
                struct group gr, *grp = NULL;
                char buf[4096];
                if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || !grp) {
                        snprintf(err, errlen, "socket group '%s' does not exist", group);
                        free(c);
                        return -ENOENT;
                }
                c->group = grp->gr_gid;
                c->group_set = true;
        }
        /* A socket that answers belongs to a running daemon: do not steal it. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
                if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
                        close(probe);
                        snprintf(err, errlen, "%s: another numaflipd is listening there", path);
                        free(c);
                        return -EADDRINUSE;
                }
                close(probe);
        }
        unlink(path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                int e = errno;
                snprintf(err, errlen, "socket: %s", strerror(e));
                free(c);
                return -e;
        }
        /* umask closes the window between bind and chmod. */
        mode_t old = umask(0177);
        int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old);
        if (rc < 0 || chmod(path, mode) < 0 ||
            (c->group_set && chown(path, (uid_t)-1, c->group) < 0)) {
                int e = errno;
                snprintf(err, errlen, "%s: %s", path, strerror(e));
                close(fd);
                unlink(path);
                free(c);
                return -e;
        }
        c->listener = evconnlistener_new(d->base, accept_cb, c, LEV_OPT_CLOSE_ON_FREE, 16, fd);
        c->backoff = evtimer_new(d->base, backoff_done, c);
        if (!c->listener || !c->backoff) {
                snprintf(err, errlen, "%s: cannot listen", path);
                if (!c->listener)
                        close(fd);
                nf_control_close(c);
                return -ENOMEM;
        }
        evconnlistener_set_error_cb(c->listener, accept_error);
        *out = c;
        return 0;
}

void nf_control_close(struct nf_control *c)
{
        if (!c)
                return;
        while (c->clients)
                client_free(c->clients);
        if (c->listener) {
                evconnlistener_free(c->listener);
                unlink(c->path);
        }
        if (c->backoff)
                event_free(c->backoff);
        free(c);
}
