/* The mover: works migration plans off in bounded, rate-paced batches from the loop. */
#include "nf_mover.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_units.h"

static void mover_run(struct nf_timer *t, void *arg);

int nf_mover_init(struct nf_mover *m, struct nf_daemon *d, struct nf_sched *sched)
{
        memset(m, 0, sizeof(*m));
        m->d = d;
        m->wall = &nf_monotonic_clock;
        m->timer = nf_timer_new(sched, mover_run, m);
        if (!m->timer)
                return -ENOMEM;
        if (d->caps & NF_CAP_MIGRATE_THREAD) {
                /* Without the worker (no fd or thread to spare) batches run on the loop,
                 * as they do for backends without the cap: slower replies, same work. */
                int rc = nf_worker_new(d->base, &m->worker);
                if (rc < 0)
                        nf_warn("cannot set up a thread for migrate calls (%s): running them "
                                "on the loop",
                                strerror(-rc));
        }
        return 0;
}

void nf_mover_fini(struct nf_mover *m)
{
        nf_worker_free(m->worker);
        m->worker = NULL;
        nf_timer_free(m->timer);
        m->timer = NULL;
}

void nf_mover_set_wall(struct nf_mover *m, const struct nf_clock *wall)
{
        m->wall = wall ? wall : &nf_monotonic_clock;
}

void nf_mover_set_rate(struct nf_mover *m, uint64_t rate, uint64_t burst, bool fresh)
{
        uint64_t now = nf_daemon_now(m->d);

        if (fresh)
                nf_rate_init(&m->rate, rate, burst, now);
        else
                nf_rate_set(&m->rate, rate, burst, now);
}

void nf_mover_kick(struct nf_mover *m)
{
        if (!m->stopping && m->timer)
                nf_timer_arm(m->timer, 0);
}

void nf_mover_stop(struct nf_mover *m)
{
        m->stopping = true;
        if (m->timer)
                nf_timer_cancel(m->timer);
        /* Bounded by the batch's time budget; its pages are counted before the backend
         * closes. */
        nf_worker_wait(m->worker);
}

bool nf_mover_busy(const struct nf_mover *m)
{
        return nf_worker_busy(m->worker);
}

void nf_mover_start(struct nf_mover *m, struct nf_guest *g, const struct nf_decision *dec)
{
        nf_daemon_changed(m->d);
        struct nf_daemon *d = m->d;
        char a[32], b[32];
        int to = nf_placement_target(g->home, &d->topo);

        if (to < 0) {
                snprintf(g->last_error, sizeof(g->last_error), "no home node to migrate to");
                nf_policy_finished(&g->pst, nf_daemon_now(d), &g->pst);
                return;
        }
        memset(&g->plan, 0, sizeof(g->plan)); /* the backend's cursor starts over too */
        g->plan.active = true;
        g->plan.trigger = dec->trigger;
        g->plan.goal = dec->pages;
        g->plan.started_ns = nf_daemon_now(d);
        g->plan.serial = ++m->serial;
        g->plan.target_node = to;
        g->plan.batch_cap = g->params.batch_pages < NF_MOVER_FIRST_BATCH ? g->params.batch_pages
                                                                         : NF_MOVER_FIRST_BATCH;
        g->n.migrations[dec->trigger]++;
        g->last_error[0] = '\0';
        nf_info("%s: migrating %llu pages (%s) to node %d, remote share %s (%s)", g->info.name,
                (unsigned long long)dec->pages,
                nf_format_size(dec->pages * NF_PAGE_SIZE, a, sizeof(a)), to,
                nf_format_share(g->sample.remote_share, b, sizeof(b)), dec->reason);
        nf_mover_kick(m);
}

void nf_mover_update(struct nf_mover *m, struct nf_guest *g, uint64_t goal)
{
        nf_daemon_changed(m->d);
        if (!g->plan.active)
                return;
        g->plan.goal = goal;
        g->plan.updates++;
        nf_mover_kick(m);
}

void nf_mover_end(struct nf_mover *m, struct nf_guest *g, bool completed, const char *why)
{
        nf_daemon_changed(m->d);
        struct nf_daemon *d = m->d;
        char a[32], t[32];

        if (!g->plan.active)
                return;
        uint64_t now = nf_daemon_now(d);
        g->plan.active = false;
        g->n.last_migration_ns = now;
        if (completed)
                g->n.completed++;
        else
                g->n.abandoned++;
        if (completed)
                d->totals.completed++;
        else
                d->totals.abandoned++;
        snprintf(g->n.last_end, sizeof(g->n.last_end), "%s", why);
        nf_policy_finished(&g->pst, now, &g->pst);
        /* Measure where the plan left the guest, so its effect is reported, not assumed. */
        if (nf_daemon_sample(d, g) == 0)
                g->n.last_end_share = g->sample.remote_share;
        nf_log(completed ? NF_LOG_INFO : NF_LOG_NOTICE,
               "%s: migration %s after %llu of %llu pages tried moved (%s, %llu skipped, %llu "
               "failed, %llu batches, in %s): %s",
               g->info.name, completed ? "done" : "abandoned", (unsigned long long)g->plan.moved,
               (unsigned long long)g->plan.tried,
               nf_format_size(g->plan.moved * NF_PAGE_SIZE, a, sizeof(a)),
               (unsigned long long)g->plan.skipped, (unsigned long long)g->plan.failed,
               (unsigned long long)g->plan.batches,
               nf_format_duration(now - g->plan.started_ns, t, sizeof(t)), why);
}

/* The backend will never migrate g: remembered in the daemon's own state, logged once. */
static void refuse(struct nf_mover *m, struct nf_guest *g, const char *why)
{
        g->refused = true;
        snprintf(g->refused_why, sizeof(g->refused_why), "%s",
                 why && why[0] ? why : "the backend refuses to migrate it");
        nf_notice("%s: monitored only from now on: %s", g->info.name, g->refused_why);
        snprintf(g->last_error, sizeof(g->last_error), "refused: %s", g->refused_why);
        nf_mover_end(m, g, false, g->last_error);
}

/* Bound batches in time as well as pages: halve while one overruns the budget, double
 * while one did all it was asked in under half of it (a call's fixed cost makes the
 * double take less than twice as long). A batch asked for less than the cap (the plan's
 * last) or cut short (by the end of the scan or the backend's own time bound) says
 * nothing about a bigger one. */
static void pace(struct nf_plan *pl, uint64_t took, uint64_t budget, uint64_t batch_pages,
                 bool did_all)
{
        if (took > budget && pl->batch_cap > 1)
                pl->batch_cap /= 2;
        else if (did_all && took < budget / 2 && pl->batch_cap < batch_pages)
                pl->batch_cap = pl->batch_cap * 2 < batch_pages ? pl->batch_cap * 2 : batch_pages;
}

/* The backend call itself: on the loop, or alone on the worker's thread. */
static void batch_work(void *arg)
{
        struct nf_batch *b = arg;

        uint64_t t0 = b->wall->now_ns(b->wall);
        b->rc = b->be->ops->migrate(b->be, b->id, b->from, b->to, b->pages, &b->cursor, &b->res);
        b->took = b->wall->now_ns(b->wall) - t0;
}

/* The guest batch b was for, if it is still there: the same id and the same guest. */
static struct nf_guest *batch_guest(struct nf_daemon *d, const struct nf_batch *b)
{
        for (size_t i = 0; i < d->nr_guests; i++)
                if (d->guests[i].info.id == b->id)
                        return d->guests[i].seq == b->seq ? &d->guests[i] : NULL;
        return NULL;
}

/* Counts what batch b did and decides how its plan goes on. The guest may have gone, or
 * its plan ended or been replaced, while b ran off the loop: the pages it moved are
 * counted all the same, but only its own plan is steered by it. */
static void batch_end(struct nf_mover *m, struct nf_batch *b)
{
        nf_daemon_changed(m->d);
        struct nf_daemon *d = m->d;
        struct nf_migrate_result res = b->res;
        struct nf_guest *g = batch_guest(d, b);
        uint64_t pages = b->pages, took = b->took;
        int rc = b->rc;

        /* A huge page cut by the batch's end moves whole: counted, but no more than
         * one huge page beyond the ask is believed. */
        if (res.moved > pages + NF_HUGE_PAGES - 1)
                res.moved = pages + NF_HUGE_PAGES - 1;
        d->totals.pages_moved += res.moved;
        d->totals.pages_skipped += res.skipped;
        d->totals.pages_failed += res.failed;
        /* Moved is moved: the host-wide rate pays for it whoever the guest was. */
        nf_rate_consume(&m->rate, res.moved * NF_PAGE_SIZE, b->now);
        if (!g) {
                nf_debug("guest %u went while a batch ran: %llu pages moved", b->id,
                         (unsigned long long)res.moved);
                return;
        }
        g->n.batches++;
        g->n.pages_tried += pages;
        g->n.pages_moved += res.moved;
        g->n.pages_skipped += res.skipped;
        g->n.pages_failed += res.failed;
        g->n.last_batch_real_ns = took;
        if (took > g->n.max_batch_real_ns)
                g->n.max_batch_real_ns = took;
        nf_rate_consume(&g->rate, res.moved * NF_PAGE_SIZE, b->now);
        struct nf_plan *pl = &g->plan;
        if (!pl->active || pl->serial != b->serial) {
                nf_debug("%s: a batch of an ended plan moved %llu pages", g->info.name,
                         (unsigned long long)res.moved);
                if (rc == -EOPNOTSUPP)
                        refuse(m, g, res.why); /* the guest's, whatever became of the plan */
                return;
        }
        struct nf_migrate_cursor before = pl->cursor;
        pl->cursor = b->cursor;
        pl->batches++;
        pl->tried += pages;
        pl->moved += res.moved;
        pl->skipped += res.skipped;
        pl->failed += res.failed;
        pace(pl, took, d->cfg->batch_time_ns, g->params.batch_pages,
             pages >= pl->batch_cap && res.moved + res.skipped + res.failed >= pages);
        /* A goal set from a sample taken while this batch ran may count its pages as
         * moved already: taking them off again would end the plan short of its target.
         * Left as it is, the goal is at most one batch high until the next sample. */
        if (pl->updates == b->updates)
                pl->goal = pl->goal > res.moved ? pl->goal - res.moved : 0;
        char tk[32];
        nf_debug("%s: batch %llu: %llu of %llu pages moved to node %d, %llu skipped, %llu failed, "
                 "%s, in %s (rc %d)",
                 g->info.name, (unsigned long long)pl->batches, (unsigned long long)res.moved,
                 (unsigned long long)pages, pl->target_node, (unsigned long long)res.skipped,
                 (unsigned long long)res.failed, res.more ? "more" : "end of scan",
                 nf_format_duration(took, tk, sizeof(tk)), rc);

        if (rc == -EOPNOTSUPP) {
                refuse(m, g, res.why); /* ends the plan, with what it did counted */
        } else if (rc == -ESRCH) {
                d->totals.vanished++;
                nf_mover_end(m, g, false, "guest vanished");
        } else if (rc == -ENOMEM) {
                snprintf(g->last_error, sizeof(g->last_error),
                         "node %d is out of free memory; backing off", pl->target_node);
                nf_mover_end(m, g, false, g->last_error);
        } else if (rc < 0) {
                snprintf(g->last_error, sizeof(g->last_error), "migrate failed: %s", strerror(-rc));
                nf_mover_end(m, g, false, g->last_error);
        } else if (pl->goal == 0) {
                nf_mover_end(m, g, true, "goal reached");
        } else if (!res.more && res.moved == 0) {
                /* A whole pass found nothing more to move: what is left cannot move. */
                nf_mover_end(m, g, true, "no more remote pages that can move");
        } else if (res.more && res.moved == 0 &&
                   memcmp(before.pos, pl->cursor.pos, sizeof(before.pos)) == 0) {
                /* A backend that says "more" must get further each time, or we would ask
                 * it for ever. */
                snprintf(g->last_error, sizeof(g->last_error),
                         "backend %s made no progress in its scan", d->be->ops->name);
                nf_mover_end(m, g, false, g->last_error);
        }
        /* Otherwise go on: more to scan, or a pass ended having moved some (the next
         * call starts another). */
}

/* The worker's side: m->batch is its alone until batch_done. */
static void batch_off_loop(void *arg)
{
        struct nf_mover *m = arg;

        batch_work(&m->batch);
}

static void batch_done(void *arg)
{
        struct nf_mover *m = arg;

        batch_end(m, &m->batch);
        nf_mover_kick(m);
}

/* Sets up one batch of g's plan of pages pages in b. */
static void batch_begin(struct nf_mover *m, struct nf_guest *g, uint64_t pages, struct nf_batch *b)
{
        struct nf_daemon *d = m->d;

        memset(b, 0, sizeof(*b));
        b->be = d->be;
        b->wall = m->wall;
        b->id = g->info.id;
        b->seq = g->seq;
        b->serial = g->plan.serial;
        b->updates = g->plan.updates;
        b->from = nf_placement_remote_mask(g->home, d->topo.nr_nodes);
        b->to = (unsigned)g->plan.target_node;
        b->pages = pages;
        b->now = nf_daemon_now(d);
        b->cursor = g->plan.cursor;
        b->cursor.budget_ns = d->cfg->batch_time_ns;
}

/* Runs one batch of g's plan: off the loop when the backend allows it (the loop hears
 * when it is done), else here. */
static void run_batch(struct nf_mover *m, struct nf_guest *g, uint64_t pages)
{
        if (m->worker) {
                batch_begin(m, g, pages, &m->batch);
                int rc = nf_worker_submit(m->worker, batch_off_loop, batch_done, m);
                if (rc == 0)
                        return;
                if (!m->warned_worker)
                        nf_warn("cannot run a batch off the loop (%s): running it here, and "
                                "so are later ones that meet the same",
                                strerror(-rc));
                m->warned_worker = true;
        }
        struct nf_batch b;
        batch_begin(m, g, pages, &b);
        batch_work(&b);
        batch_end(m, &b);
        nf_mover_kick(m);
}

static void mover_run(struct nf_timer *t, void *arg)
{
        (void)t;
        struct nf_mover *m = arg;
        struct nf_daemon *d = m->d;
        uint64_t now = nf_daemon_now(d), wait = UINT64_MAX;
        size_t n = d->nr_guests;

        if (m->stopping || nf_mover_busy(m))
                return; /* a batch in flight kicks the mover when it is done */
        /* Round-robin: one batch per turn, so guests share the mover and the loop
         * gets back to the control socket between batches. */
        for (size_t k = 0; k < n; k++) {
                size_t i = (m->next + k) % n;
                struct nf_guest *g = &d->guests[i];
                if (!g->plan.active || g->paused)
                        continue;
                uint64_t batch = g->plan.batch_cap < g->params.batch_pages ? g->plan.batch_cap
                                                                           : g->params.batch_pages;
                if (batch == 0)
                        batch = 1;
                uint64_t want = g->plan.goal < batch ? g->plan.goal : batch;
                if (want == 0) {
                        nf_mover_end(m, g, true, "goal reached");
                        continue;
                }
                /* Wait until a whole batch is affordable rather than trickle. The
                 * buckets decide: a batch bigger than a bucket goes once it is full. */
                uint64_t w1 = nf_rate_delay_ns(&g->rate, want * NF_PAGE_SIZE, now);
                uint64_t w2 = nf_rate_delay_ns(&m->rate, want * NF_PAGE_SIZE, now);
                uint64_t w = w1 > w2 ? w1 : w2;
                if (w) {
                        if (w < wait)
                                wait = w;
                        continue;
                }
                m->next = (i + 1) % n;
                run_batch(m, g, want);
                return;
        }
        if (wait != UINT64_MAX)
                nf_timer_arm(m->timer, wait);
}
