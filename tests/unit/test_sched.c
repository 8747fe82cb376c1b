/* Unit tests for the scheduler: virtual time order and limits, and accelerated real time. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nf_sched.h"
#include "nf_units.h"

#define MS NF_NS_PER_MS
#define SEC NF_NS_PER_SEC

/* What each timer saw when it fired, in firing order. */
struct log {
        struct nf_sched *s;
        int n;
        int who[64];
        uint64_t at[64];
};

struct tm_ctx {
        struct log *log;
        int id;
        uint64_t rearm; /* re-arm by this much after firing, while left > 0 */
        int left;
        struct nf_timer *cancel; /* cancelled when this one fires */
        struct nf_timer *self;
};

static void record(struct nf_timer *t, void *arg)
{
        struct tm_ctx *c = arg;
        struct log *l = c->log;
        assert_ptr_equal(t, c->self);
        assert_false(nf_timer_pending(t)); /* not pending while its callback runs */
        assert_true(l->n < 64);
        l->who[l->n] = c->id;
        l->at[l->n] = nf_sched_now(l->s);
        l->n++;
        if (c->cancel)
                nf_timer_cancel(c->cancel);
        if (c->left > 0) {
                c->left--;
                nf_timer_arm(t, c->rearm);
        }
}

static struct nf_timer *add(struct nf_sched *s, struct tm_ctx *c, struct log *l, int id)
{
        memset(c, 0, sizeof(*c));
        c->log = l;
        c->id = id;
        c->self = nf_timer_new(s, record, c);
        assert_non_null(c->self);
        return c->self;
}

static void test_virtual_order(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct nf_sched *s = nf_sched_new(base, NF_SCHED_VIRTUAL, 123);
        struct log l = {.s = s};
        struct tm_ctx c[5];
        assert_int_equal(nf_sched_mode(s), NF_SCHED_VIRTUAL);
        assert_int_equal(nf_sched_now(s), 0);

        struct nf_timer *a = add(s, &c[0], &l, 0), *b = add(s, &c[1], &l, 1);
        struct nf_timer *t2 = add(s, &c[2], &l, 2), *t3 = add(s, &c[3], &l, 3);
        struct nf_timer *t4 = add(s, &c[4], &l, 4);
        assert_false(nf_timer_pending(a));
        nf_timer_arm(a, 30 * MS);
        nf_timer_arm(b, 10 * MS);
        nf_timer_arm(t2, 20 * MS);
        nf_timer_arm(t3, 20 * MS); /* ties with t2: armed later, fires later */
        nf_timer_arm(t4, 50 * MS); /* exactly at the end of the first advance */
        assert_true(nf_timer_pending(a));
        assert_int_equal(nf_timer_deadline(a), 30 * MS);

        assert_int_equal(nf_sched_advance(s, 50 * MS), 0);
        assert_int_equal(l.n, 5);
        static const int who[] = {1, 2, 3, 0, 4};
        static const uint64_t at[] = {10 * MS, 20 * MS, 20 * MS, 30 * MS, 50 * MS};
        for (int i = 0; i < 5; i++) {
                assert_int_equal(l.who[i], who[i]);
                assert_int_equal(l.at[i], at[i]); /* each at its own deadline */
        }
        assert_int_equal(nf_sched_now(s), 50 * MS);
        assert_false(nf_timer_pending(t4));

        /* Re-arming t3 then t2 at the same deadline swaps their order. */
        l.n = 0;
        nf_timer_arm(t3, 5 * MS);
        nf_timer_arm(t2, 5 * MS);
        assert_int_equal(nf_sched_advance(s, 4 * MS), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(nf_sched_now(s), 54 * MS);
        assert_int_equal(nf_sched_advance(s, 1 * MS), 0);
        assert_int_equal(l.n, 2);
        assert_int_equal(l.who[0], 3);
        assert_int_equal(l.who[1], 2);
        assert_int_equal(l.at[1], 55 * MS);

        /* Delay 0 fires on an advance of 0, at the current time. */
        l.n = 0;
        nf_timer_arm(a, 0);
        assert_int_equal(nf_sched_advance(s, 0), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.at[0], 55 * MS);

        /* The clock handed to backends reads the same time. */
        const struct nf_clock *clk = nf_sched_clock(s);
        assert_int_equal(clk->now_ns(clk), 55 * MS);

        for (int i = 0; i < 5; i++)
                nf_timer_free(c[i].self);
        nf_timer_free(NULL);
        nf_sched_free(s);
        event_base_free(base);
}

static void test_virtual_rearm_and_cancel(void **state)
{
        (void)state;
        struct nf_sched *s = nf_sched_new(NULL, NF_SCHED_VIRTUAL, 1);
        struct log l = {.s = s};
        struct tm_ctx p, q, r;

        /* A periodic timer re-arming itself fires at each period within one advance. */
        struct nf_timer *tp = add(s, &p, &l, 0);
        p.rearm = 10 * MS;
        p.left = 100;
        nf_timer_arm(tp, 10 * MS);
        /* q fires at 25 ms and cancels r, due at 25 ms too but armed later. */
        struct nf_timer *tq = add(s, &q, &l, 1);
        struct nf_timer *tr = add(s, &r, &l, 2);
        q.cancel = tr;
        nf_timer_arm(tq, 25 * MS);
        nf_timer_arm(tr, 25 * MS);

        assert_int_equal(nf_sched_advance(s, 45 * MS), 0);
        static const int who[] = {0, 0, 1, 0, 0};
        static const uint64_t at[] = {10 * MS, 20 * MS, 25 * MS, 30 * MS, 40 * MS};
        assert_int_equal(l.n, 5);
        for (int i = 0; i < 5; i++) {
                assert_int_equal(l.who[i], who[i]);
                assert_int_equal(l.at[i], at[i]);
        }
        assert_false(nf_timer_pending(tr));
        assert_true(nf_timer_pending(tp));
        assert_int_equal(nf_timer_deadline(tp), 50 * MS);

        /* Cancel from outside; a freed timer never fires either. */
        nf_timer_cancel(tp);
        nf_timer_arm(tr, 1 * MS);
        nf_timer_free(tr);
        l.n = 0;
        assert_int_equal(nf_sched_advance(s, SEC), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(nf_sched_now(s), 45 * MS + SEC);

        nf_timer_free(tp);
        nf_timer_free(tq);
        nf_sched_free(s);
}

static void spin(struct nf_timer *t, void *arg)
{
        (*(unsigned long *)arg)++;
        nf_timer_arm(t, 0);
}

/* A timer that re-arms at the same instant forever is reported, not a hang. */
static void test_virtual_loop(void **state)
{
        (void)state;
        struct nf_sched *s = nf_sched_new(NULL, NF_SCHED_VIRTUAL, 1);
        unsigned long fired = 0;
        struct nf_timer *t = nf_timer_new(s, spin, &fired);
        nf_timer_arm(t, 5 * MS);
        assert_int_equal(nf_sched_advance(s, SEC), -ELOOP);
        /* It ran a while at 5 ms, then gave up there. */
        assert_true(fired > 1000);
        assert_int_equal(nf_sched_now(s), 5 * MS);
        nf_timer_free(t);
        nf_sched_free(s);
}

static void test_real_mode_no_advance(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct nf_sched *s = nf_sched_new(base, NF_SCHED_REAL, 1);
        assert_int_equal(nf_sched_mode(s), NF_SCHED_REAL);
        assert_int_equal(nf_sched_advance(s, SEC), -EINVAL);
        assert_true(nf_sched_now(s) < 60 * SEC);
        nf_sched_free(s);
        /* A speed that is not positive means real time. */
        s = nf_sched_new(base, NF_SCHED_REAL, 0);
        assert_true(nf_sched_speed(s) == 1.0);
        nf_sched_free(s);
        s = nf_sched_new(base, NF_SCHED_REAL, -5);
        assert_true(nf_sched_speed(s) == 1.0);
        nf_sched_free(s);
        event_base_free(base);
}

static uint64_t wall_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

struct real_ctx {
        struct nf_sched *s;
        int fired;
        uint64_t now;
};

static void real_cb(struct nf_timer *t, void *arg)
{
        struct real_ctx *c = arg;
        assert_false(nf_timer_pending(t));
        c->fired++;
        c->now = nf_sched_now(c->s);
}

/* Runs the loop until done fires or wall time runs out. */
static void run_until(struct event_base *base, const struct real_ctx *done, uint64_t limit_ns)
{
        uint64_t start = wall_ns();
        while (!done->fired && wall_ns() - start < limit_ns)
                event_base_loop(base, EVLOOP_ONCE);
}

/*
 * Speed 1000: one daemon second is one wall millisecond. Bounds are generous so a
 * loaded machine (or valgrind) passes: what matters is that it is far below a second.
 */
static void test_real_speed(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct nf_sched *s = nf_sched_new(base, NF_SCHED_REAL, 1000);
        struct real_ctx a = {.s = s}, b = {.s = s};
        struct nf_timer *ta = nf_timer_new(s, real_cb, &a);
        struct nf_timer *tb = nf_timer_new(s, real_cb, &b);
        assert_true(nf_sched_speed(s) == 1000.0);

        uint64_t t0 = wall_ns(), d0 = nf_sched_now(s);
        nf_timer_arm(ta, SEC);
        assert_true(nf_timer_pending(ta));
        assert_true(nf_timer_deadline(ta) >= d0 + SEC);
        run_until(base, &a, 10 * SEC);
        uint64_t wall = wall_ns() - t0;
        assert_int_equal(a.fired, 1);
        assert_false(nf_timer_pending(ta));
        assert_true(wall >= 900 * 1000); /* not before its 1 ms */
        assert_true(wall < 500 * MS);    /* and not a daemon second in wall time */
        assert_true(a.now >= d0 + 900 * MS);

        /* Daemon time runs at speed times wall time. */
        uint64_t w1 = wall_ns(), n1 = nf_sched_now(s);
        while (wall_ns() - w1 < 2 * MS)
                ;
        uint64_t n2 = nf_sched_now(s), w2 = wall_ns();
        assert_true(n2 - n1 >= 1000 * (2 * MS) * 9 / 10);
        assert_true(n2 - n1 <= 1000 * (w2 - w1) + 1000 * MS);

        /* A cancelled timer does not fire; a later one still does. */
        nf_timer_arm(ta, SEC);
        nf_timer_cancel(ta);
        assert_false(nf_timer_pending(ta));
        nf_timer_arm(tb, 3 * SEC);
        run_until(base, &b, 10 * SEC);
        assert_int_equal(b.fired, 1);
        assert_int_equal(a.fired, 1);

        nf_timer_free(ta);
        nf_timer_free(tb);
        nf_sched_free(s);
        event_base_free(base);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_virtual_order), cmocka_unit_test(test_virtual_rearm_and_cancel),
            cmocka_unit_test(test_virtual_loop),  cmocka_unit_test(test_real_mode_no_advance),
            cmocka_unit_test(test_real_speed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
