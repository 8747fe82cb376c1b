/* The mover: works migration plans off in bounded, rate-paced batches from the loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_units.h"

static uint64_t wall_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NF_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void nf_mover_kick(struct nf_daemon *d)
{
        if (!d->stopping)
                nf_timer_arm(d->mover_timer, 0);
}

void nf_mover_start(struct nf_daemon *d, struct nf_guest *g, const struct nf_decision *dec)
{
        char a[32], b[32];
        int to = nf_placement_target(g->home, &d->topo);
        if (to < 0) {
                snprintf(g->last_error, sizeof(g->last_error), "no home node to migrate to");
                nf_policy_finished(&g->pst, nf_daemon_now(d), &g->pst);
                return;
        }
        memset(&g->plan, 0, sizeof(g->plan));
        g->plan.active = true;
        g->plan.trigger = dec->trigger;
        g->plan.goal = dec->pages;
        g->plan.started_ns = nf_daemon_now(d);
        g->plan.target_node = to;
        g->plan.batch_cap = g->params.batch_pages;
        g->n.migrations[dec->trigger]++;
        g->last_error[0] = '\0';
        nf_info("%s: migrating %llu pages (%s) to node %d, remote share %s (%s)", g->info.name,
                (unsigned long long)dec->pages,
                nf_format_size(dec->pages * NF_PAGE_SIZE, a, sizeof(a)), to,
                nf_format_share(g->sample.remote_share, b, sizeof(b)), dec->reason);
        nf_mover_kick(d);
}

void nf_mover_update(struct nf_daemon *d, struct nf_guest *g, uint64_t goal)
{
        if (!g->plan.active)
                return;
        g->plan.goal = goal;
        nf_mover_kick(d);
}

void nf_mover_end(struct nf_daemon *d, struct nf_guest *g, bool completed, const char *why)
{
        char a[32];
        if (!g->plan.active)
                return;
        uint64_t now = nf_daemon_now(d);
        g->plan.active = false;
        g->n.last_migration_ns = now;
        if (completed)
                g->n.completed++;
        else
                g->n.abandoned++;
        nf_policy_finished(&g->pst, now, &g->pst);
        /* Measure where the plan left the guest, so its effect is reported, not assumed. */
        if (nf_daemon_sample(d, g) == 0)
                g->n.last_end_share = g->sample.remote_share;
        nf_log(completed ? NF_LOG_INFO : NF_LOG_NOTICE,
               "%s: migration %s after %llu of %llu pages tried moved (%s, %llu batches): %s",
               g->info.name, completed ? "done" : "abandoned", (unsigned long long)g->plan.moved,
               (unsigned long long)g->plan.tried,
               nf_format_size(g->plan.moved * NF_PAGE_SIZE, a, sizeof(a)),
               (unsigned long long)g->plan.batches, why);
}

/* Runs one batch of g's plan of pages pages. */
static void run_batch(struct nf_daemon *d, struct nf_guest *g, uint64_t pages)
{
        uint64_t moved = 0, now = nf_daemon_now(d);
        nf_nodemask_t from = nf_placement_remote_mask(g->home, d->topo.nr_nodes);
        uint64_t t0 = wall_ns();
        int rc = d->be->ops->migrate(d->be, g->info.id, from, (unsigned)g->plan.target_node, pages,
                                     &moved);
        uint64_t took = wall_ns() - t0;
        if (moved > pages)
                moved = pages; /* never trust a backend to overshoot */
        g->plan.batches++;
        g->plan.tried += pages;
        g->plan.moved += moved;
        g->n.batches++;
        g->n.pages_tried += pages;
        g->n.pages_moved += moved;
        g->n.pages_failed += pages - moved;
        g->n.last_batch_real_ns = took;
        if (took > g->n.max_batch_real_ns)
                g->n.max_batch_real_ns = took;
        /* Bound batches in time as well as pages: halve while one overruns the
         * budget, grow back once they are well within it. */
        uint64_t budget = d->cfg->batch_time_ns;
        if (took > budget && g->plan.batch_cap > 1)
                g->plan.batch_cap /= 2;
        else if (took < budget / 4 && g->plan.batch_cap < g->params.batch_pages)
                g->plan.batch_cap = g->plan.batch_cap * 2 < g->params.batch_pages
                                        ? g->plan.batch_cap * 2
                                        : g->params.batch_pages;
        nf_rate_consume(&g->rate, moved * NF_PAGE_SIZE, now);
        nf_rate_consume(&d->global_rate, moved * NF_PAGE_SIZE, now);
        g->plan.goal = g->plan.goal > moved ? g->plan.goal - moved : 0;
        nf_debug("%s: batch %llu: %llu of %llu pages moved to node %d (rc %d)", g->info.name,
                 (unsigned long long)g->plan.batches, (unsigned long long)moved,
                 (unsigned long long)pages, g->plan.target_node, rc);

        if (rc == -ESRCH) {
                nf_mover_end(d, g, false, "guest vanished");
        } else if (rc == -ENOMEM) {
                snprintf(g->last_error, sizeof(g->last_error), "node %d is out of free memory",
                         g->plan.target_node);
                nf_mover_end(d, g, false, g->last_error);
        } else if (rc == -EOPNOTSUPP) {
                snprintf(g->last_error, sizeof(g->last_error), "backend refused: not migratable");
                g->info.migratable = false;
                snprintf(g->info.why_not, sizeof(g->info.why_not), "backend refused migration");
                nf_mover_end(d, g, false, g->last_error);
        } else if (rc < 0) {
                snprintf(g->last_error, sizeof(g->last_error), "migrate failed: %s", strerror(-rc));
                nf_mover_end(d, g, false, g->last_error);
        } else if (g->plan.goal == 0) {
                nf_mover_end(d, g, true, "goal reached");
        } else if (moved < pages) {
                /* Fewer remote pages than we thought: flips raced us, nothing left. */
                nf_mover_end(d, g, true, "no more remote pages");
        }
}

void nf_mover_run(struct nf_timer *t, void *arg)
{
        (void)t;
        struct nf_daemon *d = arg;
        uint64_t now = nf_daemon_now(d), wait = UINT64_MAX;
        size_t n = d->nr_guests;
        if (d->stopping)
                return;
        /* Round-robin: one batch per turn, so guests share the mover and the loop
         * gets back to the control socket between batches. */
        for (size_t k = 0; k < n; k++) {
                size_t i = (d->mover_cursor + k) % n;
                struct nf_guest *g = &d->guests[i];
                if (!g->plan.active || g->paused)
                        continue;
                uint64_t batch = g->plan.batch_cap < g->params.batch_pages ? g->plan.batch_cap
                                                                           : g->params.batch_pages;
                if (batch == 0)
                        batch = 1;
                uint64_t want = g->plan.goal < batch ? g->plan.goal : batch;
                if (want == 0) {
                        nf_mover_end(d, g, true, "goal reached");
                        continue;
                }
                /* Wait until a whole batch is affordable rather than trickle. The
                 * buckets decide: a batch bigger than a bucket goes once it is full. */
                uint64_t w1 = nf_rate_delay_ns(&g->rate, want * NF_PAGE_SIZE, now);
                uint64_t w2 = nf_rate_delay_ns(&d->global_rate, want * NF_PAGE_SIZE, now);
                uint64_t w = w1 > w2 ? w1 : w2;
                if (w) {
                        if (w < wait)
                                wait = w;
                        continue;
                }
                d->mover_cursor = (i + 1) % n;
                run_batch(d, g, want);
                nf_mover_kick(d);
                return;
        }
        if (wait != UINT64_MAX)
                nf_timer_arm(d->mover_timer, wait);
}
