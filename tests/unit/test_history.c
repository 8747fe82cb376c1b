/* Unit tests for the bounded per-guest history: recent window, downsampling, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nf_history.h"

#define SEC 1000000000ull

/* Poll i: t = i s, share = i / 1000, pages {i, 2i}. */
static void add_polls(struct nf_history *h, uint64_t from, uint64_t to)
{
        for (uint64_t i = from; i < to; i++) {
                uint64_t pages[2] = {i, 2 * i};
                assert_int_equal(nf_history_add(h, i * SEC, (double)i / 1000, pages, 2), 0);
        }
}

static void test_empty(void **state)
{
        (void)state;
        struct nf_history h = {0};
        assert_int_equal(nf_history_len(&h), 0);
        assert_true(nf_history_trend(&h) == 0);
        nf_history_free(&h); /* an empty history frees too */
        assert_int_equal(nf_history_len(&h), 0);
}

static void test_recent_kept_as_polled(void **state)
{
        (void)state;
        struct nf_history h = {0};
        struct nf_history_point p;

        add_polls(&h, 0, NF_HISTORY_RECENT);
        assert_int_equal(nf_history_len(&h), NF_HISTORY_RECENT);
        for (size_t i = 0; i < NF_HISTORY_RECENT; i++) {
                nf_history_get(&h, i, &p);
                assert_int_equal(p.t_ns, i * SEC);
                assert_int_equal(p.polls, 1);
                assert_true(p.remote_share == (double)i / 1000);
                assert_int_equal(p.pages[0], i);
                assert_int_equal(p.pages[1], 2 * i);
        }
        /* Newest minus oldest of the window. */
        assert_true(nf_history_trend(&h) > (NF_HISTORY_RECENT - 1) / 1000.0 - 1e-12);
        assert_true(nf_history_trend(&h) < (NF_HISTORY_RECENT - 1) / 1000.0 + 1e-12);
        nf_history_free(&h);
}

static void test_downsampled_beyond_window(void **state)
{
        (void)state;
        struct nf_history h = {0};
        struct nf_history_point p;

        /* FACTOR polls leave the window: one coarse point, their mean. */
        add_polls(&h, 0, NF_HISTORY_RECENT + NF_HISTORY_FACTOR);
        assert_int_equal(nf_history_len(&h), NF_HISTORY_RECENT + 1);
        nf_history_get(&h, 0, &p);
        assert_int_equal(p.polls, NF_HISTORY_FACTOR);
        assert_int_equal(p.t_ns, (NF_HISTORY_FACTOR - 1) * SEC); /* the last one merged */
        double mean = (NF_HISTORY_FACTOR - 1) / 2.0 / 1000;
        assert_true(p.remote_share > mean - 1e-12 && p.remote_share < mean + 1e-12);
        /* pages 0..FACTOR-1: mean (FACTOR-1)/2, rounded half up */
        assert_int_equal(p.pages[0], NF_HISTORY_FACTOR / 2);
        assert_int_equal(p.pages[1], NF_HISTORY_FACTOR - 1);
        /* Then the recent window, in order. */
        nf_history_get(&h, 1, &p);
        assert_int_equal(p.t_ns, NF_HISTORY_FACTOR * SEC);
        assert_int_equal(p.polls, 1);
        /* One poll short of another coarse point: still pending, not shown. */
        add_polls(&h, NF_HISTORY_RECENT + NF_HISTORY_FACTOR,
                  NF_HISTORY_RECENT + 2 * NF_HISTORY_FACTOR - 1);
        assert_int_equal(nf_history_len(&h), NF_HISTORY_RECENT + 1);
        add_polls(&h, NF_HISTORY_RECENT + 2 * NF_HISTORY_FACTOR - 1,
                  NF_HISTORY_RECENT + 2 * NF_HISTORY_FACTOR);
        assert_int_equal(nf_history_len(&h), NF_HISTORY_RECENT + 2);
        nf_history_free(&h);
}

/* However long it runs, the points and the memory stay bounded; the oldest go. */
static void test_bounded(void **state)
{
        (void)state;
        struct nf_history h = {0};
        struct nf_history_point p, q;
        uint64_t total = NF_HISTORY_RECENT + (uint64_t)NF_HISTORY_FACTOR * NF_HISTORY_COARSE;

        add_polls(&h, 0, 3 * total + 7);
        assert_int_equal(nf_history_len(&h), NF_HISTORY_RECENT + NF_HISTORY_COARSE);
        uint64_t polls = 0;
        for (size_t i = 0; i < nf_history_len(&h); i++) {
                nf_history_get(&h, i, &p);
                polls += p.polls;
                if (i) {
                        nf_history_get(&h, i - 1, &q);
                        assert_true(q.t_ns < p.t_ns); /* oldest first, no duplicates */
                }
        }
        /* Every kept point is among the last polls: the window plus full coarse points. */
        assert_int_equal(polls, total);
        nf_history_get(&h, nf_history_len(&h) - 1, &p);
        assert_int_equal(p.t_ns, (3 * total + 6) * SEC);
        /* The stated bound is what it holds: 8.5 KiB for two nodes. */
        assert_int_equal(nf_history_bytes(2), (NF_HISTORY_RECENT + NF_HISTORY_COARSE + 1) * 36);
        assert_true(nf_history_bytes(2) < 9 * 1024);
        nf_history_free(&h);
}

/* A host whose node count changes (a backend re-read its topology) starts over. */
static void test_node_count_change(void **state)
{
        (void)state;
        struct nf_history h = {0};
        struct nf_history_point p;
        uint64_t three[3] = {1, 2, 3};

        add_polls(&h, 0, 10);
        assert_int_equal(nf_history_add(&h, 100 * SEC, 0.5, three, 3), 0);
        assert_int_equal(nf_history_len(&h), 1);
        nf_history_get(&h, 0, &p);
        assert_int_equal(h.nr_nodes, 3);
        assert_int_equal(p.pages[2], 3);
        assert_true(nf_history_trend(&h) == 0);
        nf_history_free(&h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_recent_kept_as_polled),
            cmocka_unit_test(test_downsampled_beyond_window),
            cmocka_unit_test(test_bounded),
            cmocka_unit_test(test_node_count_change),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
