/* Unit tests for the mover and pool sizing: the real daemon against a scripted mock backend. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mock_backend.h"
#include "nf_config.h"
#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_report.h"
#include "nf_units.h"

#define MS NF_NS_PER_MS
#define SEC NF_NS_PER_SEC

/* Threshold mode down to nothing remote, no rate limits, 100-page batches, polls an hour
 * apart: within a test only what the test does moves the daemon. */
static const char base_conf[] = "[daemon]\n"
                                "socket = /nonexistent/nf-test.sock\n"
                                "poll = 1h\n"
                                "log_level = err\n"
                                "rate_limit = unlimited\n"
                                "batch_time = 100ms\n"
                                "[defaults]\n"
                                "mode = threshold\n"
                                "threshold = 5%\n"
                                "target = 0%\n"
                                "cooldown = 1m\n"
                                "rate_limit = unlimited\n"
                                "batch = 100 pages\n";

struct fixture {
        struct event_base *base;
        struct nf_daemon d;
};

static struct fixture fx;

/* Starts the daemon on the mock host as it stands, with extra config after the base. */
static struct nf_daemon *start(const char *extra)
{
        struct nf_config *cfg = NULL;
        char text[2048], err[NF_ERR_MAX] = "";

        nf_log_init("test_mover", NF_LOG_ERR, 0);
        snprintf(text, sizeof(text), "%s%s", base_conf, extra ? extra : "");
        if (nf_config_load_string(text, "mover.conf", &cfg, err, sizeof(err)) != 0)
                fail_msg("config: %s", err);
        fx.base = event_base_new();
        assert_non_null(fx.base);
        mock.virtual_clock = true;
        if (nf_daemon_init_ops(&fx.d, fx.base, cfg, "mover.conf", &mock_ops, err, sizeof(err)) != 0)
                fail_msg("daemon: %s", err);
        nf_mover_set_wall(&fx.d.mover, &mock.wall);
        return &fx.d;
}

static void stop(void)
{
        nf_daemon_fini(&fx.d);
        event_base_free(fx.base);
}

/* Runs what is due now (the mover's batches, back to back when nothing limits them). */
static void run(struct nf_daemon *d, uint64_t by_ns)
{
        assert_int_equal(nf_sched_advance(d->sched, by_ns), 0);
}

static struct nf_guest *guest(struct nf_daemon *d, const char *name)
{
        struct nf_guest *g = nf_daemon_guest(d, name);
        assert_non_null(g);
        return g;
}

static void one_guest(uint64_t pages, uint64_t remote)
{
        mock_reset(NF_CAP_OBSERVE | NF_CAP_MIGRATE);
        mock_guest(7, "alpha", pages, remote);
}

static const struct nf_migrate_cursor zero_cursor;

/* A call that moves fewer pages than asked while the scan goes on is not the end. */
static void test_partial_batches_go_on(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_script((struct mock_step){.moved = 30, .more = true});
        mock_script((struct mock_step){.moved = 0, .more = true});
        mock_script((struct mock_step){.moved = 50, .more = true});
        struct nf_daemon *d = start(NULL);
        struct nf_guest *g = guest(d, "alpha");
        assert_true(g->plan.active);
        assert_int_equal(g->plan.goal, 1000);
        run(d, 0);
        g = guest(d, "alpha");
        assert_false(g->plan.active);
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 1000);
        assert_int_equal(mock.pages[0][0], 0);
        /* 30 + 0 + 50, then 100-page batches for the remaining 920. */
        assert_int_equal(mock.nr_calls, 3 + 10);
        assert_int_equal(mock.calls[0].max, 100);
        assert_int_equal(mock.calls[12].max, 20);
        /* The cursor starts at zero and each call gets the one the last left. */
        assert_memory_equal(mock.calls[0].cursor.pos, zero_cursor.pos, sizeof(zero_cursor.pos));
        /* Every call is told the time it may take. */
        for (size_t i = 0; i < mock.nr_calls; i++)
                assert_int_equal(mock.calls[i].cursor.budget_ns, 100 * MS);
        for (size_t i = 1; i < mock.nr_calls; i++)
                assert_int_equal(mock.calls[i].cursor.pos[0], i);
        assert_int_equal(mock.calls[0].from, NF_NODE_BIT(0));
        assert_int_equal(mock.calls[0].to, 1);
        stop();
}

/* A huge page cut by a batch's end moves whole: every page that moved is counted, up to
 * one huge page beyond the ask, and no further. */
static void test_huge_page_overshoot(void **state)
{
        (void)state;
        one_guest(10000, 5000);
        mock_script((struct mock_step){.moved = 100, .over = 300, .more = true});
        mock_script((struct mock_step){.moved = 100, .over = 2000, .more = true});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_int_equal(mock.calls[0].max, 100);
        assert_int_equal(mock.calls[1].max, 100);
        /* 400 moved and counted; then 2100 moved, of which 100 + 511 are believed; the
         * other 2500 in 100-page batches. */
        assert_int_equal(mock.pages[0][0], 0);
        assert_int_equal(g->n.pages_moved, 400 + 100 + NF_HUGE_PAGES - 1 + 2500);
        stop();
}

/* Pages the backend cannot move are counted, shown, and end the plan once a pass finds
 * nothing else to move. */
static void test_skipped_pages(void **state)
{
        (void)state;
        one_guest(1000, 120);
        mock_script((struct mock_step){.moved = 60, .skipped = 10, .more = true});
        mock_script((struct mock_step){.moved = 40, .skipped = 10, .failed = 3, .more = false});
        mock_script((struct mock_step){.moved = 0, .skipped = 20, .more = false});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_false(g->plan.active);
        assert_int_equal(mock.nr_calls, 3);
        assert_int_equal(g->n.pages_moved, 100);
        assert_int_equal(g->n.pages_skipped, 40);
        assert_int_equal(g->n.pages_failed, 3);
        assert_int_equal(g->n.completed, 1);
        assert_string_equal(g->n.last_end, "no more remote pages that can move");
        json_t *vm = nf_report_vm(d, g);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(vm, "counters"), "pages_skipped")),
            40);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(vm, "migration"), "skipped_pages")),
            40);
        json_decref(vm);
        stop();
}

/* The target node full: the plan ends with a clear message, the guest is not refused,
 * and after the cooldown the next poll tries again from a fresh cursor. */
static void test_enomem_mid_plan(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_script((struct mock_step){.moved = 100, .more = true});
        mock_script((struct mock_step){.rc = -ENOMEM, .moved = 20, .more = true});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_false(g->plan.active);
        assert_int_equal(g->n.abandoned, 1);
        assert_int_equal(g->n.pages_moved, 120);
        assert_string_equal(g->last_error, "node 1 is out of free memory; backing off");
        assert_false(g->refused);
        assert_null(nf_guest_blocker(d, g));
        assert_int_equal(g->pst.phase, NF_PHASE_COOLDOWN);
        /* Within the cooldown a poll starts nothing. */
        run(d, 30 * SEC);
        nf_daemon_poll(d);
        assert_int_equal(mock.nr_calls, 2);
        /* After it, a new plan with its own scan. */
        run(d, 31 * SEC);
        nf_daemon_poll(d);
        g = guest(d, "alpha");
        assert_true(g->plan.active);
        run(d, 0);
        assert_int_equal(mock.nr_calls, 2 + 9);
        assert_memory_equal(mock.calls[2].cursor.pos, zero_cursor.pos, sizeof(zero_cursor.pos));
        assert_int_equal(guest(d, "alpha")->n.completed, 1);
        stop();
}

/* A refusal is remembered by the daemon: the next listing says "migratable" again, but
 * the guest is not asked again, after any number of cooldowns and polls. */
static void test_refusal_sticks(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_script((struct mock_step){.rc = -EOPNOTSUPP, .why = "altp2m is active"});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_int_equal(mock.nr_calls, 1);
        assert_true(g->refused);
        assert_string_equal(g->refused_why, "altp2m is active");
        for (int i = 0; i < 5; i++) {
                run(d, 5 * 60 * SEC);
                nf_daemon_poll(d);
                run(d, 0);
        }
        g = guest(d, "alpha");
        assert_true(g->info.migratable); /* what the backend lists */
        assert_int_equal(mock.nr_calls, 1);
        assert_string_equal(nf_guest_state(d, g), "unmigratable");
        assert_string_equal(nf_guest_blocker(d, g), "altp2m is active");
        json_t *st = nf_report_status(d);
        json_t *gj = json_array_get(json_object_get(st, "guests"), 0);
        assert_string_equal(json_string_value(json_object_get(gj, "note")), "altp2m is active");
        assert_string_equal(json_string_value(json_object_get(gj, "state")), "unmigratable");
        json_decref(st);
        /* An operator may ask again; the backend refuses again, and it sticks again. */
        char err[256];
        mock_script((struct mock_step){.rc = -EOPNOTSUPP, .why = "altp2m is active"});
        assert_int_equal(nf_daemon_migrate_now(d, g, err, sizeof(err)), 0);
        run(d, 0);
        assert_int_equal(mock.nr_calls, 2);
        assert_true(guest(d, "alpha")->refused);
        stop();
}

/* A guest gone mid-plan ends that plan only; the other guest's plan goes on. */
static void test_vanish_mid_plan(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_guest(9, "beta", 10000, 600);
        mock_script((struct mock_step){.moved = 100, .more = true});   /* alpha */
        mock_script((struct mock_step){.moved = 100, .more = true});   /* beta */
        mock_script((struct mock_step){.rc = -ESRCH, .vanish = true}); /* alpha */
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *a = nf_daemon_guest(d, "alpha");
        assert_non_null(a);
        assert_false(a->plan.active);
        assert_int_equal(a->n.abandoned, 1);
        assert_string_equal(a->n.last_end, "guest vanished");
        assert_string_equal(a->last_error, ""); /* not an error: guests come and go */
        struct nf_guest *b = guest(d, "beta");
        assert_false(b->plan.active);
        assert_int_equal(b->n.completed, 1);
        assert_int_equal(b->n.pages_moved, 600);
        nf_daemon_poll(d);
        assert_null(nf_daemon_guest(d, "alpha"));
        assert_int_equal(d->nr_guests, 1);
        /* What alpha's plan did outlives alpha. */
        assert_int_equal(d->totals.vanished, 1);
        assert_int_equal(d->totals.pages_moved, 100 + 600);
        assert_int_equal(d->totals.abandoned, 1);
        assert_int_equal(d->totals.completed, 1);
        stop();
}

/* Batches that overrun batch_time halve, on the clock the mover is given (not the
 * wall clock), and grow back once well within it. */
static void test_batch_time_halving(void **state)
{
        (void)state;
        one_guest(100000, 20000);
        for (int i = 0; i < 3; i++)
                mock_script((struct mock_step){.moved = 1000, .more = true, .took_ns = 250 * MS});
        for (int i = 0; i < 8; i++)
                mock_script((struct mock_step){.moved = 1000, .more = true, .took_ns = 10 * MS});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        static const uint64_t want[] = {100, 50, 25, 12, 24, 48, 96, 100, 100, 100, 100};
        assert_true(mock.nr_calls >= sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_int_equal(mock.calls[i].max, want[i]);
        struct nf_guest *g = guest(d, "alpha");
        assert_int_equal(g->n.max_batch_real_ns, 250 * MS);
        stop();
}

/* A plan starts with a small batch and grows to the configured one while batches are
 * well within batch_time: the first batch of a big `batch` must not overrun the budget. */
static void test_first_batch_starts_small(void **state)
{
        (void)state;
        one_guest(100000, 20000);
        for (int i = 0; i < 8; i++)
                mock_script((struct mock_step){.moved = 4096, .more = true, .took_ns = 10 * MS});
        struct nf_daemon *d = start("[vm alpha]\nbatch = 4096 pages\n");
        run(d, 0);
        static const uint64_t want[] = {NF_MOVER_FIRST_BATCH, 512, 1024, 2048, 4096, 4096};
        assert_true(mock.nr_calls >= sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_int_equal(mock.calls[i].max, want[i]);
        stop();
}

/* A backend that says "more" without getting any further is not asked for ever. */
static void test_stuck_scan_ends(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_script((struct mock_step){.moved = 100, .more = true});
        mock_script((struct mock_step){.moved = 0, .more = true, .stuck = true});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_false(g->plan.active);
        assert_int_equal(mock.nr_calls, 2);
        assert_string_equal(g->last_error, "backend mock made no progress in its scan");
        stop();
}

#define THREADED (NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_MIGRATE_THREAD)

/* Runs the loop until no batch is in flight and nothing more is due. */
static void drain(struct nf_daemon *d)
{
        for (int turns = 0; turns < 1000; turns++) {
                run(d, 0);
                if (!nf_mover_busy(&d->mover))
                        return;
                assert_int_equal(event_base_loop(fx.base, EVLOOP_ONCE), 0);
        }
        fail_msg("the mover never went idle");
}

/* Alpha (1000 of 10000 pages remote) on a backend that migrates off the loop, its first
 * batch (step, gated) started and waiting at the gate. */
static struct nf_daemon *start_gated(struct mock_step step)
{
        mock_reset(THREADED);
        mock_guest(7, "alpha", 10000, 1000);
        step.gate = true;
        mock_script(step);
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        sem_wait(&mock.at_gate);
        return d;
}

/* A backend that allows it gets its migrate calls on a thread of their own: while one
 * waits, the loop answers status and polls, and starts no second batch. */
static void test_threaded_batch_frees_loop(void **state)
{
        (void)state;
        struct nf_daemon *d = start_gated((struct mock_step){.moved = 100, .more = true});
        assert_true(nf_mover_busy(&d->mover));
        run(d, 0); /* the mover's turn again: it waits for the batch in flight */
        nf_daemon_poll(d);
        json_t *st = nf_report_status(d);
        assert_non_null(st);
        json_decref(st);
        struct nf_guest *g = guest(d, "alpha");
        assert_true(g->plan.active);
        assert_int_equal(g->n.batches, 0);
        mock_open_gate();
        drain(d);
        g = guest(d, "alpha");
        assert_false(g->plan.active);
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 1000);
        /* 100 at a time, one after the other; the poll in flight set the goal back to
         * 1000, so one more call finds nothing left and ends the plan. */
        assert_int_equal(mock.nr_calls, 11);
        assert_string_equal(g->n.last_end, "no more remote pages that can move");
        for (size_t i = 0; i < mock.nr_calls; i++)
                assert_false(pthread_equal(mock.calls[i].thread, pthread_self()));
        stop();
}

/* The guest goes while its batch runs: what the batch moved is counted, its plan ends as
 * vanished once, and nothing of the guest is touched after it went. */
static void test_threaded_guest_goes_in_flight(void **state)
{
        (void)state;
        struct nf_daemon *d =
            start_gated((struct mock_step){.moved = 100, .more = true, .vanish = true});
        mock_open_gate();
        sem_wait(&mock.left);
        nf_daemon_poll(d); /* before the loop hears the batch is done */
        assert_null(nf_daemon_guest(d, "alpha"));
        drain(d);
        assert_int_equal(d->totals.vanished, 1);
        assert_int_equal(d->totals.abandoned, 1);
        assert_int_equal(d->totals.pages_moved, 100);
        stop();
}

/* A plan ended and started again while a batch of the old one ran: the old batch's
 * pages are counted for the guest, but its cursor and pacing do not leak into the new
 * plan. */
static void test_threaded_new_plan_keeps_its_cursor(void **state)
{
        (void)state;
        struct nf_daemon *d = start_gated((struct mock_step){.moved = 100, .more = true});
        struct nf_guest *g = guest(d, "alpha");
        nf_mover_end(&d->mover, g, false, "stopped by the test");
        struct nf_decision dec = {.action = NF_ACTION_START,
                                  .trigger = NF_TRIGGER_MANUAL,
                                  .pages = 1000,
                                  .reason = "test"};
        nf_mover_start(&d->mover, g, &dec);
        mock_open_gate();
        drain(d);
        g = guest(d, "alpha");
        assert_int_equal(g->n.abandoned, 1);
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 1000);
        assert_true(mock.nr_calls >= 2);
        /* The new plan's first call starts its own scan. */
        assert_int_equal(mock.calls[1].cursor.pos[0], 0);
        stop();
}

/* A poll while a batch runs can sample the pages it has already moved: the goal it sets
 * is not cut again by that batch, or the plan would stop short of its target. */
static void test_threaded_goal_from_sample_in_flight(void **state)
{
        (void)state;
        struct nf_daemon *d = start_gated((struct mock_step){.moved = 100, .more = true});
        mock_open_gate();
        sem_wait(&mock.left); /* moved, not yet heard of */
        nf_daemon_poll(d);
        assert_int_equal(guest(d, "alpha")->plan.goal, 900);
        drain(d);
        struct nf_guest *g = guest(d, "alpha");
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 1000);
        assert_int_equal(mock.pages[0][0], 0);
        stop();
}

/* Stopping the daemon waits for the batch in flight and counts it, before the backend
 * closes under it. */
static void test_threaded_stop_waits(void **state)
{
        (void)state;
        struct nf_daemon *d = start_gated((struct mock_step){.moved = 100, .more = true});
        mock_open_gate();
        nf_daemon_stop(d);
        assert_false(nf_mover_busy(&d->mover));
        assert_int_equal(guest(d, "alpha")->n.pages_moved, 100);
        assert_int_equal(mock.nr_calls, 1);
        stop();
}

/* The guest goes while its batch runs: the host-wide rate is paid for what the batch
 * moved all the same, or the next guest's batches would overrun it. */
static void test_threaded_rate_paid_when_guest_goes(void **state)
{
        (void)state;
        struct nf_daemon *d =
            start_gated((struct mock_step){.moved = 100, .more = true, .vanish = true});
        uint64_t burst = 1024 * 1024;
        nf_mover_set_rate(&d->mover, burst, burst, true);
        mock_open_gate();
        sem_wait(&mock.left);
        nf_daemon_poll(d);
        assert_null(nf_daemon_guest(d, "alpha"));
        drain(d);
        assert_int_equal(d->totals.pages_moved, 100);
        assert_int_equal(nf_rate_available(&d->mover.rate, d->mover.rate.last_ns),
                         burst - 100 * NF_PAGE_SIZE);
        stop();
}

/* Its id goes to another guest while the batch runs (a pid or domid reused): the batch,
 * refused, is not the newcomer's; the newcomer is neither refused nor credited. */
static void test_threaded_reused_id_is_another_guest(void **state)
{
        (void)state;
        struct nf_daemon *d =
            start_gated((struct mock_step){.rc = -EOPNOTSUPP, .vanish = true, .why = "gone"});
        mock_open_gate();
        sem_wait(&mock.left);
        mock_guest(7, "gamma", 10000, 600);
        nf_daemon_poll(d);
        assert_null(nf_daemon_guest(d, "alpha"));
        assert_true(guest(d, "gamma")->plan.active);
        drain(d);
        struct nf_guest *g = guest(d, "gamma");
        assert_false(g->refused);
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 600);
        assert_int_equal(g->n.batches, 6);
        assert_int_equal(d->totals.pages_moved, 600);
        stop();
}

/* Refused mid-plan: the plan it ends counts that batch, as its end reports. */
static void test_refusal_counts_its_batch(void **state)
{
        (void)state;
        one_guest(10000, 1000);
        mock_script((struct mock_step){.moved = 100, .more = true});
        mock_script((struct mock_step){.rc = -EOPNOTSUPP, .why = "altp2m is active"});
        struct nf_daemon *d = start(NULL);
        run(d, 0);
        struct nf_guest *g = guest(d, "alpha");
        assert_true(g->refused);
        assert_int_equal(g->n.abandoned, 1);
        assert_int_equal(g->n.pages_moved, 100);
        assert_int_equal(g->plan.batches, 2);
        assert_int_equal(g->plan.tried, 200);
        stop();
}

/* No fd to spare for the worker's pipe: the daemon starts all the same, with a warning,
 * and runs its batches on the loop. */
static void test_no_worker_runs_on_loop(void **state)
{
        (void)state;
        mock_reset(THREADED);
        mock_guest(7, "alpha", 10000, 1000);
        struct nf_config *cfg = NULL;
        char err[NF_ERR_MAX] = "";
        nf_log_init("test_mover", NF_LOG_ERR, 0);
        assert_int_equal(nf_config_load_string(base_conf, "mover.conf", &cfg, err, sizeof(err)), 0);
        fx.base = event_base_new();
        assert_non_null(fx.base);
        mock.virtual_clock = true;
        struct rlimit was;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
        struct rlimit low = {.rlim_cur = 64, .rlim_max = was.rlim_max};
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        int fds[64], nr = 0;
        while (nr < 64 && (fds[nr] = dup(0)) >= 0)
                nr++;
        assert_true(nr < 64); /* every fd is taken */
        int rc = nf_daemon_init_ops(&fx.d, fx.base, cfg, "mover.conf", &mock_ops, err, sizeof(err));
        while (nr > 0)
                close(fds[--nr]);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
        if (rc != 0)
                fail_msg("daemon: %s", err);
        nf_mover_set_wall(&fx.d.mover, &mock.wall);
        assert_null(fx.d.mover.worker);
        run(&fx.d, 0);
        struct nf_guest *g = guest(&fx.d, "alpha");
        assert_int_equal(g->n.completed, 1);
        assert_int_equal(g->n.pages_moved, 1000);
        for (size_t i = 0; i < mock.nr_calls; i++)
                assert_true(pthread_equal(mock.calls[i].thread, pthread_self()));
        stop();
}

/* Pool sizing takes differences of the cumulative counters, interval by interval. */
static void test_pool_counters_are_cumulative(void **state)
{
        (void)state;
        mock_reset(NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_POOL);
        mock_guest(7, "alpha", 10000, 0);
        mock_guest(8, "quiet", 10000, 0);
        /* Counted before the daemon came: none of it is the first interval's. */
        mock.pool[1].handed_out = 5000;
        struct nf_daemon *d = start("[vm quiet]\nmode = off\n"
                                    "[pool]\nmode = dynamic\nsize = 100 pages\nmin = 10 pages\n"
                                    "max = 1000 pages\ninterval = 10s\n");
        assert_true(d->pool[1].managed);
        assert_false(d->pool[0].managed); /* no managed guest is homed there */
        assert_int_equal(d->pool[1].size, 100);
        assert_int_equal(mock.pool[1].target, 100);
        assert_true(mock.pool[1].enabled);
        assert_true(mock.receiver[0]);  /* alpha is managed: a flip receiver */
        assert_false(mock.receiver[1]); /* quiet is off */

        static const struct {
                uint64_t handed; /* in the interval */
                uint64_t size;   /* after it */
        } steps[] = {
            {95, 110},  /* 95% of 100 used: grow by 10% */
            {10, 99},   /* 9%: shrink by 11 */
            {60, 99},   /* 60%: stay */
            {500, 108}, /* more than the pool: still one step */
        };
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                mock.pool[1].handed_out += steps[i].handed;
                mock.pool[1].hits += steps[i].handed;
                mock.pool[1].misses += 1;
                run(d, 10 * SEC);
                assert_int_equal(d->pool[1].handed_out, steps[i].handed);
                assert_int_equal(d->pool[1].size, steps[i].size);
                assert_int_equal(mock.pool[1].target, steps[i].size);
        }
        json_t *pj = nf_report_pools(d);
        json_t *n1 = json_array_get(json_object_get(pj, "nodes"), 1);
        json_t *iv = json_object_get(n1, "interval");
        assert_int_equal(json_integer_value(json_object_get(iv, "handed_out_pages")), 500);
        assert_true(json_real_value(json_object_get(iv, "hit_rate")) == 500.0 / 501.0);
        assert_int_equal(json_integer_value(json_object_get(n1, "handed_out_pages")), 5665);
        json_decref(pj);

        /* The counters went back (the host restarted): that interval only rebases. */
        mock.pool[1].handed_out = 3;
        run(d, 10 * SEC);
        assert_int_equal(d->pool[1].size, 108);
        assert_false(d->pool[1].have_interval);
        mock.pool[1].handed_out += 1; /* 1 of 108: shrink */
        run(d, 10 * SEC);
        assert_int_equal(d->pool[1].size, 98);
        stop();
}

/* Pools off: nothing is reserved and nobody is marked. */
static void test_pools_off_mark_no_receivers(void **state)
{
        (void)state;
        mock_reset(NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_POOL);
        mock_guest(7, "alpha", 10000, 0);
        struct nf_daemon *d = start(NULL);
        run(d, 60 * SEC);
        assert_int_equal(mock.pool_sets, 0);
        assert_false(mock.receiver[0]);
        assert_false(d->pool[1].managed);
        stop();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_partial_batches_go_on),
            cmocka_unit_test(test_skipped_pages),
            cmocka_unit_test(test_huge_page_overshoot),
            cmocka_unit_test(test_enomem_mid_plan),
            cmocka_unit_test(test_refusal_sticks),
            cmocka_unit_test(test_vanish_mid_plan),
            cmocka_unit_test(test_batch_time_halving),
            cmocka_unit_test(test_first_batch_starts_small),
            cmocka_unit_test(test_stuck_scan_ends),
            cmocka_unit_test(test_threaded_batch_frees_loop),
            cmocka_unit_test(test_threaded_guest_goes_in_flight),
            cmocka_unit_test(test_threaded_new_plan_keeps_its_cursor),
            cmocka_unit_test(test_threaded_goal_from_sample_in_flight),
            cmocka_unit_test(test_threaded_stop_waits),
            cmocka_unit_test(test_threaded_rate_paid_when_guest_goes),
            cmocka_unit_test(test_threaded_reused_id_is_another_guest),
            cmocka_unit_test(test_refusal_counts_its_batch),
            cmocka_unit_test(test_no_worker_runs_on_loop),
            cmocka_unit_test(test_pool_counters_are_cumulative),
            cmocka_unit_test(test_pools_off_mark_no_receivers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
