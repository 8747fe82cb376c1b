/* numaflipd's state: guests, their policy state and counters, and the periodic work. */
#include "nf_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf_log.h"
#include "nf_metrics.h"
#include "nf_poolsize.h"
#include "nf_units.h"

uint64_t nf_daemon_now(const struct nf_daemon *d)
{
        return nf_sched_now(d->sched);
}

static uint64_t batch_bytes(const struct nf_policy_params *p)
{
        return p->batch_pages * NF_PAGE_SIZE;
}

static void guest_apply_config(struct nf_daemon *d, struct nf_guest *g, bool fresh)
{
        uint64_t now = nf_daemon_now(d);
        nf_config_policy(d->cfg, g->info.name, &g->params, &g->sources);
        /* A bucket as deep as one batch: a batch may go as soon as its bytes are earned. */
        if (fresh)
                nf_rate_init(&g->rate, g->params.rate_limit, batch_bytes(&g->params), now);
        else
                nf_rate_set(&g->rate, g->params.rate_limit, batch_bytes(&g->params), now);
}

struct nf_guest *nf_daemon_guest(struct nf_daemon *d, const char *name)
{
        for (size_t i = 0; i < d->nr_guests; i++)
                if (strcmp(d->guests[i].info.name, name) == 0)
                        return &d->guests[i];
        return NULL;
}

const char *nf_guest_blocker(const struct nf_daemon *d, const struct nf_guest *g)
{
        if (g->info.control)
                return "control domain: observed only";
        if (!g->info.migratable)
                return g->info.why_not[0] ? g->info.why_not : "backend cannot migrate it";
        if (g->refused)
                return g->refused_why;
        if (!(d->caps & NF_CAP_MIGRATE))
                return "backend cannot migrate memory";
        if (g->params.mode == NF_MODE_OFF)
                return "mode off";
        if (g->params.mode == NF_MODE_MONITOR)
                return "mode monitor: observe only";
        if (g->paused)
                return "paused by operator";
        return NULL;
}

const char *nf_guest_state(const struct nf_daemon *d, const struct nf_guest *g)
{
        if (g->plan.active)
                return g->paused ? "paused" : "migrating";
        if (g->info.control)
                return "control";
        if (!g->info.migratable || g->refused || !(d->caps & NF_CAP_MIGRATE))
                return "unmigratable";
        if (g->params.mode == NF_MODE_OFF)
                return "off";
        if (g->params.mode == NF_MODE_MONITOR)
                return "monitor";
        if (g->paused)
                return "paused";
        return nf_phase_name(g->pst.phase);
}

/* A guest seen for the first time, into g. */
static void guest_init(struct nf_daemon *d, struct nf_guest *g, const struct nf_guest_info *info)
{
        memset(g, 0, sizeof(*g));
        g->info = *info;
        g->first_seen_ns = nf_daemon_now(d);
        g->seq = ++d->guests_seen;
        nf_policy_init(&g->pst);
        guest_apply_config(d, g, true);
        nf_info("guest %s (id %u) appeared: %s, mode %s", info->name, info->id,
                info->control      ? "control domain"
                : info->migratable ? "migratable"
                                   : info->why_not,
                nf_mode_name(g->params.mode));
}

static void guest_gone(struct nf_daemon *d, struct nf_guest *g)
{
        if (g->plan.active) {
                d->totals.vanished++;
                nf_mover_end(&d->mover, g, false, "guest vanished");
        }
        nf_info("guest %s (id %u) is gone", g->info.name, g->info.id);
        nf_history_free(&g->history);
}

static int info_cmp(const void *a, const void *b)
{
        uint32_t x = ((const struct nf_guest_info *)a)->id,
                 y = ((const struct nf_guest_info *)b)->id;
        return x < y ? -1 : x > y;
}

/* Lists the guests: returns them sorted by id in *out (malloc'd), their number in *n. */
static int list_guests(struct nf_daemon *d, struct nf_guest_info **out, size_t *n)
{
        size_t cap = d->nr_guests + 16;
        struct nf_guest_info *buf = NULL;
        int rc;
        for (;;) {
                struct nf_guest_info *nb = realloc(buf, cap * sizeof(*buf));
                if (!nb) {
                        free(buf);
                        return -ENOMEM;
                }
                buf = nb;
                rc = d->be->ops->list_guests(d->be, buf, cap, n);
                if (rc < 0 || *n <= cap)
                        break;
                cap = *n + 16; /* guests came while we looked: try again with room */
        }
        if (rc < 0) {
                free(buf);
                return rc;
        }
        for (size_t i = 1; i < *n; i++) {
                if (buf[i - 1].id >= buf[i].id) {
                        qsort(buf, *n, sizeof(*buf), info_cmp); /* backends mostly list in order */
                        break;
                }
        }
        *out = buf;
        return 0;
}

/* The same guest as before: an id can be handed to a new guest once the old one is gone
 * (a hypervisor's domid, a recycled pid), and then its uuid or its name tells. */
static bool same_guest(const struct nf_guest *g, const struct nf_guest_info *info)
{
        return g->info.id == info->id && strcmp(g->info.uuid, info->uuid) == 0 &&
               (info->uuid[0] || strcmp(g->info.name, info->name) == 0);
}

/*
 * Brings the guest table in line with the backend's list. Both are in id order, so
 * one merge pass finds who came, who went and who stayed, in time linear in the
 * number of guests.
 */
static int refresh_guests(struct nf_daemon *d)
{
        struct nf_guest_info *buf;
        size_t n, i = 0, j = 0, k = 0;
        int rc = list_guests(d, &buf, &n);
        if (rc < 0)
                return rc;
        /* Most polls nobody came or went: update in place, no copying of the table. */
        bool same = n == d->nr_guests;
        for (size_t x = 0; same && x < n; x++)
                same = same_guest(&d->guests[x], &buf[x]);
        if (same) {
                for (size_t x = 0; x < n; x++)
                        d->guests[x].info = buf[x];
                free(buf);
                return 0;
        }
        struct nf_guest *ng = n ? malloc(n * sizeof(*ng)) : NULL;
        if (n && !ng) {
                free(buf);
                return -ENOMEM;
        }
        while (i < d->nr_guests || j < n) {
                struct nf_guest *old = i < d->nr_guests ? &d->guests[i] : NULL;
                const struct nf_guest_info *info = j < n ? &buf[j] : NULL;
                if (old && (!info || old->info.id < info->id)) {
                        guest_gone(d, old);
                        i++;
                        continue;
                }
                if (j > 0 && buf[j - 1].id == info->id) {
                        j++; /* a backend listing one id twice: keep the first */
                        continue;
                }
                if (old && same_guest(old, info)) {
                        ng[k] = *old;
                        ng[k].info = *info;
                        i++;
                } else {
                        if (old && old->info.id == info->id) {
                                guest_gone(d, old); /* its id went to another guest */
                                i++;
                        }
                        guest_init(d, &ng[k], info);
                }
                k++;
                j++;
        }
        free(buf);
        free(d->guests);
        d->guests = ng;
        d->nr_guests = k;
        if (d->mover.next >= k)
                d->mover.next = 0;
        return 0;
}

/* Home, in this order: the config's, the backend's (by its own rule), the node that held
 * most of the guest when the daemon first saw it (memory that has drifted since must not
 * move the home along with it). */
static void resolve_home(struct nf_daemon *d, struct nf_guest *g)
{
        const struct nf_vm_config *vm = nf_config_vm(d->cfg, g->info.name);
        unsigned nr = d->topo.nr_nodes;
        nf_nodemask_t all = nr >= NF_MAX_NODES ? ~(nf_nodemask_t)0 : NF_NODE_BIT(nr) - 1;

        if (!g->first_home)
                g->first_home = nf_placement_home(0, 0, g->pages, nr);
        if (vm && (vm->home & all)) {
                g->home = vm->home & all;
                g->home_rule = "config";
        } else if (g->info.home & all) {
                g->home = g->info.home & all;
                g->home_rule = g->info.home_rule[0] ? g->info.home_rule : "backend";
        } else {
                g->home = g->first_home;
                g->home_rule = g->home ? "most memory when first seen" : "unknown";
        }
}

/* Reads a guest's pages now. -ESRCH when it vanished. */
int nf_daemon_sample(struct nf_daemon *d, struct nf_guest *g)
{
        int rc = d->be->ops->guest_pages(d->be, g->info.id, g->pages, d->topo.nr_nodes);
        if (rc < 0)
                return rc;
        resolve_home(d, g);
        nf_placement_sample(g->pages, d->topo.nr_nodes, g->home, &g->sample);
        g->sampled = true;
        g->sampled_ns = nf_daemon_now(d);
        if (g->sample.remote_share > g->max_share)
                g->max_share = g->sample.remote_share;
        return 0;
}
static void act(struct nf_daemon *d, struct nf_guest *g, const struct nf_decision *dec)
{
        char a[32], b[32];
        switch (dec->action) {
        case NF_ACTION_NONE:
                break;
        case NF_ACTION_START:
                if (dec->dry_run) {
                        g->n.dry_runs++;
                        nf_notice(
                            "dry run: would migrate %llu pages (%s) of %s home, remote "
                            "share %s (%s)",
                            (unsigned long long)dec->pages,
                            nf_format_size(dec->pages * NF_PAGE_SIZE, a, sizeof(a)), g->info.name,
                            nf_format_share(g->sample.remote_share, b, sizeof(b)), dec->reason);
                        break;
                }
                nf_mover_start(&d->mover, g, dec);
                break;
        case NF_ACTION_CONTINUE:
                nf_mover_update(&d->mover, g, dec->pages);
                break;
        case NF_ACTION_STOP:
                if (g->plan.active)
                        nf_mover_end(&d->mover, g, true, dec->reason);
                break;
        }
}

/* Whether the daemon sizes pools at all: the backend has them and the config wants them. */
static bool pools_on(const struct nf_daemon *d)
{
        return (d->caps & NF_CAP_POOL) && d->cfg->pool.mode != NF_POOL_OFF;
}

/* Managed guests are the flip receivers whose freed frames refill the pools; the marks
 * follow the config and the pool mode, and are set only when they change. */
static void receivers_sync(struct nf_daemon *d)
{
        if (!d->be->ops->set_receiver)
                return;
        bool on = pools_on(d);
        for (size_t i = 0; i < d->nr_guests; i++) {
                struct nf_guest *g = &d->guests[i];
                bool want = on && !g->info.control && g->params.mode != NF_MODE_OFF;
                if (want == g->receiver)
                        continue;
                int rc = d->be->ops->set_receiver(d->be, g->info.id, want);
                if (rc == 0)
                        g->receiver = want;
                else if (rc != -ESRCH)
                        nf_warn("%s: cannot %s it as a flip receiver: %s", g->info.name,
                                want ? "mark" : "unmark", strerror(-rc));
        }
}

static void relist_cb(struct nf_timer *t, void *arg)
{
        (void)t;
        nf_daemon_poll(arg);
}

/* A backend with guests still settling wants another look before the next poll. */
static void relist_arm(struct nf_daemon *d)
{
        uint64_t after = d->be->ops->relist_after ? d->be->ops->relist_after(d->be) : 0;
        if (!after || !d->relist_timer || after >= d->cfg->poll_ns)
                return;
        if (nf_timer_pending(d->relist_timer) &&
            nf_timer_deadline(d->relist_timer) <= nf_daemon_now(d) + after)
                return;
        nf_timer_arm(d->relist_timer, after);
}

/* Each poll ends with the metrics file, when configured; a failure is logged once. */
static void metrics_file_update(struct nf_daemon *d)
{
        char err[NF_ERR_MAX / 2];

        if (!d->cfg->metrics_file[0])
                return;
        if (nf_metrics_write(d, d->cfg->metrics_file, err, sizeof(err)) < 0) {
                if (!d->metrics_failing)
                        nf_warn("metrics_file: %s", err);
                d->metrics_failing = true;
        } else if (d->metrics_failing) {
                nf_notice("metrics_file: %s written again", d->cfg->metrics_file);
                d->metrics_failing = false;
        }
}

static void poll_once(struct nf_daemon *d);

void nf_daemon_poll(struct nf_daemon *d)
{
        uint64_t t0 = nf_clock_monotonic();

        poll_once(d);
        d->last_poll_real_ns = nf_clock_monotonic() - t0;
        metrics_file_update(d);
}

static void poll_once(struct nf_daemon *d)
{
        int rc;
        d->polls++;
        nf_daemon_changed(d);
        if ((rc = d->be->ops->topology(d->be, &d->topo)) < 0) {
                nf_warn("backend %s: cannot read topology: %s", d->be->ops->name, strerror(-rc));
                return;
        }
        if ((rc = refresh_guests(d)) < 0) {
                nf_warn("backend %s: cannot list guests: %s", d->be->ops->name, strerror(-rc));
                return;
        }
        uint64_t now = nf_daemon_now(d);
        for (size_t i = 0; i < d->nr_guests; i++) {
                struct nf_guest *g = &d->guests[i];
                if (g->params.mode == NF_MODE_OFF && !g->plan.active)
                        continue;
                rc = nf_daemon_sample(d, g);
                if (rc == -ESRCH || rc == -EAGAIN)
                        continue; /* gone (the next listing drops it), or not observed yet */
                if (rc < 0) {
                        snprintf(g->last_error, sizeof(g->last_error), "sampling failed: %s",
                                 strerror(-rc));
                        continue;
                }
                /* Out of memory costs the guest its history, not its migrations. */
                nf_history_add(&g->history, now, g->sample.remote_share, g->pages,
                               d->topo.nr_nodes);
                if (nf_guest_blocker(d, g))
                        continue;
                nf_policy_decide(&g->params, &g->pst, &g->sample, now, &g->pst, &g->last);
                act(d, g, &g->last);
        }
        receivers_sync(d);
        relist_arm(d);
}

static void poll_cb(struct nf_timer *t, void *arg)
{
        struct nf_daemon *d = arg;
        nf_daemon_poll(d);
        nf_timer_arm(t, d->cfg->poll_ns);
}

/* The nodes whose pools the daemon sizes: configured, or the managed guests' homes. */
static nf_nodemask_t pool_nodes(const struct nf_daemon *d)
{
        if (d->cfg->pool.nodes)
                return d->cfg->pool.nodes;
        nf_nodemask_t m = 0;
        for (size_t i = 0; i < d->nr_guests; i++) {
                const struct nf_guest *g = &d->guests[i];
                if (!g->info.control && g->params.mode != NF_MODE_OFF)
                        m |= g->home;
        }
        return m;
}

static int pool_enable(struct nf_daemon *d, unsigned node, bool on)
{
        return d->be->ops->pool_enable ? d->be->ops->pool_enable(d->be, node, on) : 0;
}

static void pool_release(struct nf_daemon *d, unsigned n)
{
        struct nf_pool_state *ps = &d->pool[n];
        int rc = d->be->ops->pool_set(d->be, n, 0);
        if (rc == 0)
                rc = pool_enable(d, n, false);
        if (rc < 0)
                nf_warn("pool %u: cannot release: %s", n, strerror(-rc));
        memset(ps, 0, sizeof(*ps));
        nf_info("pool %u: released", n);
}

/* Takes one interval's differences of the backend's cumulative counters; false when
 * there is no earlier reading to take them from (or a counter went back: the backend
 * was restarted), so the interval only sets the base. */
static bool pool_interval(struct nf_pool_state *ps, const struct nf_pool_info *now)
{
        const struct nf_pool_info *was = &ps->last;
        bool ok = ps->managed && now->handed_out >= was->handed_out && now->hits >= was->hits &&
                  now->misses >= was->misses && now->fallbacks >= was->fallbacks;
        if (ok) {
                ps->handed_out = now->handed_out - was->handed_out;
                ps->hits = now->hits - was->hits;
                ps->misses = now->misses - was->misses;
                ps->fallbacks = now->fallbacks - was->fallbacks;
        }
        ps->have_interval = ok;
        ps->last = *now;
        return ok;
}

/*
 * Algorithm 2 measures use as the pages handed out from the pool during the interval
 * over its size. That is what a hypervisor can count without keeping an interval of
 * its own (a low-water mark of held pages would need a reset, and so a notion of
 * interval, in the mechanism). Refills recycle frames within an interval, so use can
 * exceed 100%: the pool then grows, one step per interval up to max, until it holds an
 * interval's demand, and it never runs dry even when refills lag behind the flips.
 */
static void pools_size(struct nf_daemon *d)
{
        if (!(d->caps & NF_CAP_POOL))
                return;
        nf_daemon_changed(d);
        const struct nf_pool_params *pp = &d->cfg->pool;
        nf_nodemask_t want = pools_on(d) ? pool_nodes(d) : 0;
        for (unsigned n = 0; n < d->topo.nr_nodes; n++) {
                struct nf_pool_state *ps = &d->pool[n];
                struct nf_pool_info info;
                int rc;
                if (!(want & NF_NODE_BIT(n))) {
                        if (ps->managed)
                                pool_release(d, n);
                        continue;
                }
                if ((rc = d->be->ops->pool_get(d->be, n, &info)) < 0) {
                        nf_warn("pool %u: cannot read: %s", n, strerror(-rc));
                        continue;
                }
                uint64_t next = pool_interval(ps, &info)
                                    ? nf_poolsize_next(pp, ps->size, ps->handed_out)
                                : ps->managed ? ps->size
                                              : nf_poolsize_initial(pp);
                if (ps->managed && next != ps->size) {
                        nf_debug("pool %u: %llu -> %llu pages (%llu handed out in the interval)", n,
                                 (unsigned long long)ps->size, (unsigned long long)next,
                                 (unsigned long long)ps->handed_out);
                        ps->resizes++;
                }
                if ((!ps->managed || next != ps->size || info.target != next) &&
                    (rc = d->be->ops->pool_set(d->be, n, next)) < 0) {
                        nf_warn("pool %u: cannot set to %llu pages: %s", n,
                                (unsigned long long)next, strerror(-rc));
                        continue;
                }
                if (!info.enabled && (rc = pool_enable(d, n, true)) < 0) {
                        nf_warn("pool %u: cannot enable: %s", n, strerror(-rc));
                        continue;
                }
                ps->managed = true;
                ps->size = next;
        }
        receivers_sync(d);
}

static void pool_cb(struct nf_timer *t, void *arg)
{
        struct nf_daemon *d = arg;
        pools_size(d);
        nf_timer_arm(t, d->cfg->pool.interval_ns);
}

static void global_rate_apply(struct nf_daemon *d, bool fresh)
{
        /* Deep enough for the biggest batch any guest may send at once. */
        uint64_t burst = d->cfg->global_rate_limit / 10;
        for (size_t i = 0; i < d->nr_guests; i++) {
                uint64_t b = batch_bytes(&d->guests[i].params);
                if (b > burst)
                        burst = b;
        }
        struct nf_policy_params def;
        nf_config_policy(d->cfg, NULL, &def, NULL);
        if (batch_bytes(&def) > burst)
                burst = batch_bytes(&def);
        nf_mover_set_rate(&d->mover, d->cfg->global_rate_limit, burst, fresh);
}

/* Guests came or went: the backend says so through its watch fd. */
static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_daemon *d = arg;
        d->watch_events++;
        if (d->be->ops->watch_ack) {
                int rc = d->be->ops->watch_ack(d->be);
                if (rc < 0)
                        nf_warn("backend %s: watch: %s", d->be->ops->name, strerror(-rc));
        }
        nf_daemon_poll(d);
}

/* Watches the backend's fd, when it offers one; polling alone still finds every guest. */
static int watch_start(struct nf_daemon *d, char *err, size_t errlen)
{
        if (!(d->caps & NF_CAP_WATCH) || !d->be->ops->watch_fd)
                return 0;
        int fd = d->be->ops->watch_fd(d->be);
        if (fd < 0)
                return 0;
        d->watch_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, watch_cb, d);
        if (!d->watch_ev || event_add(d->watch_ev, NULL) < 0)
                return nf_err(-ENOMEM, err, errlen, "cannot watch the backend's fd %d", fd);
        return 0;
}

int nf_daemon_init(struct nf_daemon *d, struct event_base *base, struct nf_config *cfg,
                   const char *config_path, char *err, size_t errlen)
{
        return nf_daemon_init_ops(d, base, cfg, config_path, NULL, err, errlen);
}

int nf_daemon_init_ops(struct nf_daemon *d, struct event_base *base, struct nf_config *cfg,
                       const char *config_path, const struct nf_backend_ops *ops, char *err,
                       size_t errlen)
{
        struct nf_clock_spec clock;
        memset(d, 0, sizeof(*d));
        d->wall = &nf_monotonic_clock;
        d->base = base;
        d->cfg = cfg;
        snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
        if (!ops) {
                ops = nf_backend_choose(cfg->backend, d->backend_choice, sizeof(d->backend_choice));
                if (!ops)
                        return nf_err(-ENODEV, err, errlen, "%s", d->backend_choice);
        }
        /* The backend says which clock it runs under (the sim's may be virtual). */
        const void *bconf = nf_config_backend(cfg, ops);
        nf_backend_clock(ops, bconf, &clock);
        d->sched = nf_sched_new(
            base, clock.kind == NF_CLOCK_VIRTUAL ? NF_SCHED_VIRTUAL : NF_SCHED_REAL, clock.speed);
        if (!d->sched)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        struct nf_backend_env env = {.clock = nf_sched_clock(d->sched), .conf = bconf};
        int rc = ops->open(&env, &d->be, err, errlen);
        if (rc < 0) {
                nf_sched_free(d->sched);
                d->sched = NULL;
                return rc;
        }
        d->caps = d->be->ops->caps(d->be);
        d->started_ns = nf_daemon_now(d);
        d->poll_timer = nf_timer_new(d->sched, poll_cb, d);
        d->pool_timer = nf_timer_new(d->sched, pool_cb, d);
        d->relist_timer = nf_timer_new(d->sched, relist_cb, d);
        if (!d->poll_timer || !d->pool_timer || !d->relist_timer ||
            nf_mover_init(&d->mover, d, d->sched) < 0) {
                nf_daemon_fini(d);
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        }
        global_rate_apply(d, true);
        if ((rc = watch_start(d, err, errlen)) < 0) {
                nf_daemon_fini(d);
                return rc;
        }
        nf_daemon_poll(d);
        pools_size(d);
        nf_timer_arm(d->poll_timer, cfg->poll_ns);
        nf_timer_arm(d->pool_timer, cfg->pool.interval_ns);
        return 0;
}

void nf_daemon_set_wall(struct nf_daemon *d, const struct nf_clock *wall)
{
        d->wall = wall ? wall : &nf_monotonic_clock;
}

void nf_daemon_stop(struct nf_daemon *d)
{
        d->stopping = true;
        nf_mover_stop(&d->mover);
}

void nf_daemon_fini(struct nf_daemon *d)
{
        nf_mover_stop(&d->mover); /* a batch in flight ends before its plan does */
        for (size_t i = 0; i < d->nr_guests; i++)
                if (d->guests[i].plan.active)
                        nf_mover_end(&d->mover, &d->guests[i], false, "daemon stopping");
        nf_timer_free(d->poll_timer);
        nf_timer_free(d->pool_timer);
        nf_timer_free(d->relist_timer);
        nf_mover_fini(&d->mover);
        if (d->watch_ev)
                event_free(d->watch_ev);
        if (d->be)
                d->be->ops->close(d->be);
        nf_sched_free(d->sched);
        for (size_t i = 0; i < d->nr_guests; i++)
                nf_history_free(&d->guests[i].history);
        free(d->guests);
        free(d->status_cache.text);
        nf_config_free(d->cfg);
        memset(d, 0, sizeof(*d));
}

/* Rejects a reload: counted, kept for status, logged. Returns rc. */
static int reload_rejected(struct nf_daemon *d, int rc, const char *by, const char *err)
{
        d->reload_failures++;
        snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
        nf_error("reload rejected%s%s, keeping the running config: %s", by ? " by backend " : "",
                 by ? by : "", err);
        return rc;
}

int nf_daemon_reload(struct nf_daemon *d, char *err, size_t errlen)
{
        struct nf_config *next;
        nf_daemon_changed(d);
        int rc = nf_config_load(d->config_path, &next, err, errlen);
        if (rc < 0)
                return reload_rejected(d, rc, NULL, err);
        const struct nf_config *cur = d->cfg;
        const void *bnext = nf_config_backend(next, d->be->ops);
        struct nf_clock_spec was, now;
        nf_backend_clock(d->be->ops, nf_config_backend(cur, d->be->ops), &was);
        nf_backend_clock(d->be->ops, bnext, &now);
        if (strcmp(next->backend, cur->backend) || strcmp(next->socket_path, cur->socket_path) ||
            was.kind != now.kind || was.speed != now.speed)
                nf_warn("reload: backend, socket and clock changes take effect at restart");
        if (d->be->ops->reload) {
                rc = d->be->ops->reload(d->be, bnext, err, errlen);
                if (rc < 0) {
                        nf_config_free(next);
                        return reload_rejected(d, rc, d->be->ops->name, err);
                }
        }
        /* Keep what cannot change live, so status tells the truth about what runs. */
        snprintf(next->backend, sizeof(next->backend), "%s", cur->backend);
        snprintf(next->socket_path, sizeof(next->socket_path), "%s", cur->socket_path);
        bool poll_changed = next->poll_ns != cur->poll_ns;
        bool pool_changed = next->pool.interval_ns != cur->pool.interval_ns;
        nf_config_free(d->cfg);
        d->cfg = next;
        nf_log_set_level(next->log_level);
        for (size_t i = 0; i < d->nr_guests; i++) {
                struct nf_guest *g = &d->guests[i];
                guest_apply_config(d, g, false);
                if (g->plan.active && nf_guest_blocker(d, g) && !g->paused)
                        nf_mover_end(&d->mover, g, false, "policy changed by reload");
        }
        global_rate_apply(d, false);
        if (poll_changed)
                nf_timer_arm(d->poll_timer, next->poll_ns);
        if (pool_changed)
                nf_timer_arm(d->pool_timer, next->pool.interval_ns);
        d->reloads++;
        d->last_reload_error[0] = '\0';
        nf_notice("configuration reloaded from %s", d->config_path);
        nf_daemon_poll(d);
        return 0;
}

int nf_daemon_migrate_now(struct nf_daemon *d, struct nf_guest *g, char *err, size_t errlen)
{
        nf_daemon_changed(d);
        /* An operator's request is worth asking the backend again after a refusal. */
        if (g->refused && !g->plan.active) {
                nf_notice("%s: asking the backend again at the operator's request (it refused: "
                          "%s)",
                          g->info.name, g->refused_why);
                g->refused = false;
        }
        const char *why = nf_guest_blocker(d, g);
        if (why) {
                int rc = g->paused ? -EBUSY
                         : g->params.mode == NF_MODE_OFF || g->params.mode == NF_MODE_MONITOR
                             ? -EPERM
                             : -EOPNOTSUPP;
                return nf_err(rc, err, errlen, "%s cannot be migrated: %s", g->info.name, why);
        }
        int rc = nf_daemon_sample(d, g);
        if (rc == -EAGAIN)
                return nf_err(rc, err, errlen, "%s has not been observed yet; try again shortly",
                              g->info.name);
        if (rc < 0)
                return nf_err(rc, err, errlen, "cannot read %s's placement: %s", g->info.name,
                              strerror(-rc));
        struct nf_decision dec;
        rc = nf_policy_manual(&g->params, &g->pst, &g->sample, nf_daemon_now(d), &g->pst, &dec);
        if (rc == -EBUSY)
                return nf_err(rc, err, errlen, "%s is already migrating", g->info.name);
        if (rc == -ENODATA)
                return nf_err(rc, err, errlen, "%s has no remote memory to migrate", g->info.name);
        if (rc < 0)
                return nf_err(rc, err, errlen, "%s: %s", g->info.name, strerror(-rc));
        g->last = dec;
        if (dec.dry_run) {
                act(d, g, &dec);
                return 0;
        }
        nf_mover_start(&d->mover, g, &dec);
        return 0;
}

int nf_daemon_pause(struct nf_daemon *d, struct nf_guest *g, bool pause)
{
        nf_daemon_changed(d);
        if (g->paused == pause)
                return 0;
        g->paused = pause;
        nf_notice("%s %s by operator", g->info.name, pause ? "paused" : "resumed");
        /* A paused plan keeps its place; the mover skips it until resume. */
        if (!pause && g->plan.active)
                nf_mover_kick(&d->mover);
        return 0;
}
