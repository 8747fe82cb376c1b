/* numaflipd's state: guests, their policy state and counters, and the periodic work. */
#include "nf_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf_log.h"
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

static struct nf_guest *guest_by_id(struct nf_daemon *d, uint32_t id)
{
        for (size_t i = 0; i < d->nr_guests; i++)
                if (d->guests[i].info.id == id)
                        return &d->guests[i];
        return NULL;
}

const char *nf_guest_blocker(const struct nf_daemon *d, const struct nf_guest *g)
{
        if (g->info.control)
                return "control domain: observed only";
        if (!g->info.migratable)
                return g->info.why_not[0] ? g->info.why_not : "backend cannot migrate it";
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
        if (!g->info.migratable || !(d->caps & NF_CAP_MIGRATE))
                return "unmigratable";
        if (g->params.mode == NF_MODE_OFF)
                return "off";
        if (g->params.mode == NF_MODE_MONITOR)
                return "monitor";
        if (g->paused)
                return "paused";
        return nf_phase_name(g->pst.phase);
}

static struct nf_guest *guest_add(struct nf_daemon *d, const struct nf_guest_info *info)
{
        if (d->nr_guests == d->cap_guests) {
                size_t cap = d->cap_guests ? d->cap_guests * 2 : 16;
                struct nf_guest *n = realloc(d->guests, cap * sizeof(*n));
                if (!n)
                        return NULL;
                d->guests = n;
                d->cap_guests = cap;
        }
        struct nf_guest *g = &d->guests[d->nr_guests++];
        memset(g, 0, sizeof(*g));
        g->info = *info;
        g->first_seen_ns = nf_daemon_now(d);
        nf_policy_init(&g->pst);
        guest_apply_config(d, g, true);
        nf_info("guest %s (id %u) appeared: %s, mode %s", info->name, info->id,
                info->control      ? "control domain"
                : info->migratable ? "migratable"
                                   : info->why_not,
                nf_mode_name(g->params.mode));
        return g;
}

static void guest_remove(struct nf_daemon *d, size_t i)
{
        struct nf_guest *g = &d->guests[i];
        if (g->plan.active)
                nf_mover_end(d, g, false, "guest vanished");
        nf_info("guest %s (id %u) is gone", g->info.name, g->info.id);
        memmove(&d->guests[i], &d->guests[i + 1], (d->nr_guests - i - 1) * sizeof(*g));
        d->nr_guests--;
        if (d->mover_cursor > i)
                d->mover_cursor--;
}

static int refresh_guests(struct nf_daemon *d)
{
        size_t cap = d->nr_guests + 16, n = 0;
        struct nf_guest_info *buf = NULL;
        int rc;
        for (;;) {
                struct nf_guest_info *nb = realloc(buf, cap * sizeof(*buf));
                if (!nb) {
                        free(buf);
                        return -ENOMEM;
                }
                buf = nb;
                rc = d->be->ops->list_guests(d->be, buf, cap, &n);
                if (rc < 0 || n <= cap)
                        break;
                cap = n + 16; /* guests came while we looked: try again with room */
        }
        if (rc < 0) {
                free(buf);
                return rc;
        }
        for (size_t i = 0; i < d->nr_guests; i++)
                d->guests[i].seen = false;
        for (size_t i = 0; i < n; i++) {
                struct nf_guest *g = guest_by_id(d, buf[i].id);
                if (!g)
                        g = guest_add(d, &buf[i]);
                else
                        g->info = buf[i];
                if (g)
                        g->seen = true;
        }
        free(buf);
        for (size_t i = d->nr_guests; i-- > 0;)
                if (!d->guests[i].seen)
                        guest_remove(d, i);
        return 0;
}

/* Reads a guest's pages now. -ESRCH when it vanished. */
int nf_daemon_sample(struct nf_daemon *d, struct nf_guest *g)
{
        int rc = d->be->ops->guest_pages(d->be, g->info.id, g->pages, d->topo.nr_nodes);
        if (rc < 0)
                return rc;
        const struct nf_vm_config *vm = nf_config_vm(d->cfg, g->info.name);
        g->home = nf_placement_home(vm ? vm->home : 0, g->info.home, g->pages, d->topo.nr_nodes);
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
                nf_mover_start(d, g, dec);
                break;
        case NF_ACTION_CONTINUE:
                nf_mover_update(d, g, dec->pages);
                break;
        case NF_ACTION_STOP:
                if (g->plan.active)
                        nf_mover_end(d, g, true, dec->reason);
                break;
        }
}

void nf_daemon_poll(struct nf_daemon *d)
{
        int rc;
        d->polls++;
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
                if (rc == -ESRCH)
                        continue; /* gone: the next listing drops it */
                if (rc < 0) {
                        snprintf(g->last_error, sizeof(g->last_error), "sampling failed: %s",
                                 strerror(-rc));
                        continue;
                }
                if (nf_guest_blocker(d, g))
                        continue;
                nf_policy_decide(&g->params, &g->pst, &g->sample, now, &g->pst, &g->last);
                act(d, g, &g->last);
        }
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
        if (d->cfg->pool_nodes)
                return d->cfg->pool_nodes;
        nf_nodemask_t m = 0;
        for (size_t i = 0; i < d->nr_guests; i++) {
                const struct nf_guest *g = &d->guests[i];
                if (!g->info.control && g->params.mode != NF_MODE_OFF)
                        m |= g->home;
        }
        return m;
}

static void pools_size(struct nf_daemon *d)
{
        if (!(d->caps & NF_CAP_POOL))
                return;
        const struct nf_pool_params *pp = &d->cfg->pool;
        nf_nodemask_t want = pp->mode == NF_POOL_OFF ? 0 : pool_nodes(d);
        for (unsigned n = 0; n < d->topo.nr_nodes; n++) {
                struct nf_pool_state *ps = &d->pool[n];
                int rc;
                if (!(want & NF_NODE_BIT(n))) {
                        if (ps->managed) {
                                rc = d->be->ops->pool_set(d->be, n, 0);
                                if (rc < 0)
                                        nf_warn("pool %u: cannot release: %s", n, strerror(-rc));
                                ps->managed = false;
                                ps->size = 0;
                                nf_info("pool %u: released", n);
                        }
                        continue;
                }
                if ((rc = d->be->ops->pool_get(d->be, n, &ps->last)) < 0) {
                        nf_warn("pool %u: cannot read: %s", n, strerror(-rc));
                        continue;
                }
                uint64_t next = ps->managed ? nf_poolsize_next(pp, ps->size, ps->last.handed)
                                            : nf_poolsize_initial(pp);
                if (!ps->managed || next != ps->size) {
                        nf_debug("pool %u: %llu -> %llu pages (peak %llu handed out)", n,
                                 (unsigned long long)ps->size, (unsigned long long)next,
                                 (unsigned long long)ps->last.handed);
                        if (ps->managed)
                                ps->resizes++;
                }
                /* Set even when unchanged: it restarts the backend's peak for the interval. */
                if ((rc = d->be->ops->pool_set(d->be, n, next)) < 0) {
                        nf_warn("pool %u: cannot set to %llu pages: %s", n,
                                (unsigned long long)next, strerror(-rc));
                        continue;
                }
                ps->managed = true;
                ps->size = next;
        }
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
        if (fresh)
                nf_rate_init(&d->global_rate, d->cfg->global_rate_limit, burst, nf_daemon_now(d));
        else
                nf_rate_set(&d->global_rate, d->cfg->global_rate_limit, burst, nf_daemon_now(d));
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
        if (!d->watch_ev || event_add(d->watch_ev, NULL) < 0) {
                snprintf(err, errlen, "cannot watch the backend's fd %d", fd);
                return -ENOMEM;
        }
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
        memset(d, 0, sizeof(*d));
        d->base = base;
        d->cfg = cfg;
        snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
        bool sim = strcmp(cfg->backend, "sim") == 0;
        bool virt = sim && cfg->sim.clock == NF_SIM_CLOCK_VIRTUAL;
        d->sched =
            nf_sched_new(base, virt ? NF_SCHED_VIRTUAL : NF_SCHED_REAL, sim ? cfg->sim.speed : 1.0);
        if (!d->sched) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        struct nf_backend_env env = {.clock = nf_sched_clock(d->sched), .sim = &cfg->sim};
        int rc = ops ? ops->open(&env, &d->be, err, errlen)
                     : nf_backend_open(cfg->backend, &env, &d->be, err, errlen);
        if (rc < 0) {
                nf_sched_free(d->sched);
                d->sched = NULL;
                return rc;
        }
        d->caps = d->be->ops->caps(d->be);
        d->started_ns = nf_daemon_now(d);
        global_rate_apply(d, true);
        d->poll_timer = nf_timer_new(d->sched, poll_cb, d);
        d->pool_timer = nf_timer_new(d->sched, pool_cb, d);
        d->mover_timer = nf_timer_new(d->sched, nf_mover_run, d);
        if (!d->poll_timer || !d->pool_timer || !d->mover_timer) {
                snprintf(err, errlen, "out of memory");
                nf_daemon_fini(d);
                return -ENOMEM;
        }
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

void nf_daemon_fini(struct nf_daemon *d)
{
        for (size_t i = 0; i < d->nr_guests; i++)
                if (d->guests[i].plan.active)
                        nf_mover_end(d, &d->guests[i], false, "daemon stopping");
        nf_timer_free(d->poll_timer);
        nf_timer_free(d->pool_timer);
        nf_timer_free(d->mover_timer);
        if (d->watch_ev)
                event_free(d->watch_ev);
        if (d->be)
                d->be->ops->close(d->be);
        nf_sched_free(d->sched);
        free(d->guests);
        nf_config_free(d->cfg);
        memset(d, 0, sizeof(*d));
}

int nf_daemon_reload(struct nf_daemon *d, char *err, size_t errlen)
{
        struct nf_config *next;
        int rc = nf_config_load(d->config_path, &next, err, errlen);
        if (rc < 0) {
                d->reload_failures++;
                snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
                nf_error("reload rejected, keeping the running config: %s", err);
                return rc;
        }
        const struct nf_config *cur = d->cfg;
        if (strcmp(next->backend, cur->backend) || strcmp(next->socket_path, cur->socket_path) ||
            next->sim.clock != cur->sim.clock || next->sim.speed != cur->sim.speed)
                nf_warn("reload: backend, socket and sim clock changes take effect at restart");
        if (d->be->ops->reload) {
                struct nf_backend_env env = {.clock = nf_sched_clock(d->sched), .sim = &next->sim};
                rc = d->be->ops->reload(d->be, &env, err, errlen);
                if (rc < 0) {
                        d->reload_failures++;
                        snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
                        nf_error("reload rejected by backend %s, keeping the running config: %s",
                               d->be->ops->name, err);
                        nf_config_free(next);
                        return rc;
                }
        }
        /* Keep what cannot change live, so status tells the truth about what runs. */
        snprintf(next->backend, sizeof(next->backend), "%s", cur->backend);
        snprintf(next->socket_path, sizeof(next->socket_path), "%s", cur->socket_path);
        next->sim.clock = cur->sim.clock;
        next->sim.speed = cur->sim.speed;
        bool poll_changed = next->poll_ns != cur->poll_ns;
        bool pool_changed = next->pool.interval_ns != cur->pool.interval_ns;
        nf_config_free(d->cfg);
        d->cfg = next;
        nf_log_set_level(next->log_level);
        for (size_t i = 0; i < d->nr_guests; i++) {
                struct nf_guest *g = &d->guests[i];
                guest_apply_config(d, g, false);
                if (g->plan.active && nf_guest_blocker(d, g) && !g->paused)
                        nf_mover_end(d, g, false, "policy changed by reload");
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
        const char *why = nf_guest_blocker(d, g);
        if (why) {
                snprintf(err, errlen, "%s cannot be migrated: %s", g->info.name, why);
                if (g->paused)
                        return -EBUSY;
                return g->params.mode == NF_MODE_OFF || g->params.mode == NF_MODE_MONITOR
                           ? -EPERM
                           : -EOPNOTSUPP;
        }
        int rc = nf_daemon_sample(d, g);
        if (rc < 0) {
                snprintf(err, errlen, "cannot read %s's placement: %s", g->info.name,
                         strerror(-rc));
                return rc;
        }
        struct nf_decision dec;
        rc = nf_policy_manual(&g->params, &g->pst, &g->sample, nf_daemon_now(d), &g->pst, &dec);
        if (rc == -EBUSY)
                snprintf(err, errlen, "%s is already migrating", g->info.name);
        else if (rc == -ENODATA)
                snprintf(err, errlen, "%s has no remote memory to migrate", g->info.name);
        else if (rc < 0)
                snprintf(err, errlen, "%s: %s", g->info.name, strerror(-rc));
        if (rc < 0)
                return rc;
        g->last = dec;
        if (dec.dry_run) {
                act(d, g, &dec);
                return 0;
        }
        nf_mover_start(d, g, &dec);
        return 0;
}

int nf_daemon_pause(struct nf_daemon *d, struct nf_guest *g, bool pause)
{
        if (g->paused == pause)
                return 0;
        g->paused = pause;
        nf_notice("%s %s by operator", g->info.name, pause ? "paused" : "resumed");
        /* A paused plan keeps its place; the mover skips it until resume. */
        if (!pause && g->plan.active)
                nf_mover_kick(d);
        return 0;
}
