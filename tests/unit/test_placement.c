/* Unit tests for placement math: samples, home sets, targets, excess and node lists. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nf_placement.h"

#define B(n) NF_NODE_BIT(n)

static struct nf_sample sample_of(const uint64_t *pages, unsigned nr, nf_nodemask_t home)
{
        struct nf_sample s;

        memset(&s, 0xa5, sizeof(s)); /* every field must be written */
        nf_placement_sample(pages, nr, home, &s);
        return s;
}

static void test_sample_basic(void **state)
{
        const uint64_t two[] = {300, 700};
        const uint64_t four[] = {10, 20, 30, 40};
        struct nf_sample s;

        (void)state;
        s = sample_of(two, 2, B(1));
        assert_int_equal(s.total_pages, 1000);
        assert_int_equal(s.remote_pages, 300);
        assert_true(s.remote_share == 0.3);

        s = sample_of(two, 2, B(0));
        assert_int_equal(s.remote_pages, 700);
        assert_true(s.remote_share == 0.7);

        /* A multi-node home: only nodes 1 and 3 are remote. */
        s = sample_of(four, 4, B(0) | B(2));
        assert_int_equal(s.total_pages, 100);
        assert_int_equal(s.remote_pages, 60);
        assert_true(s.remote_share == 0.6);

        /* Everything home. */
        s = sample_of(four, 4, B(0) | B(1) | B(2) | B(3));
        assert_int_equal(s.remote_pages, 0);
        assert_true(s.remote_share == 0.0);
}

static void test_sample_edges(void **state)
{
        const uint64_t zero[] = {0, 0, 0};
        const uint64_t two[] = {300, 700};
        const uint64_t big[] = {UINT64_MAX, 5};
        struct nf_sample s;

        (void)state;
        /* Unknown home: every page is local. */
        s = sample_of(two, 2, 0);
        assert_int_equal(s.total_pages, 1000);
        assert_int_equal(s.remote_pages, 0);
        assert_true(s.remote_share == 0.0);

        /* No pages: share 0, not NaN. */
        s = sample_of(zero, 3, B(0));
        assert_int_equal(s.total_pages, 0);
        assert_int_equal(s.remote_pages, 0);
        assert_true(s.remote_share == 0.0);

        /* No nodes at all. */
        s = sample_of(NULL, 0, B(0));
        assert_int_equal(s.total_pages, 0);
        assert_true(s.remote_share == 0.0);

        /* A home naming only nodes this host lacks counts as unknown... */
        s = sample_of(two, 2, B(5));
        assert_int_equal(s.remote_pages, 0);
        /* ...and out-of-range bits next to real ones are ignored. */
        s = sample_of(two, 2, B(1) | B(5));
        assert_int_equal(s.remote_pages, 300);

        /* Counts saturate instead of wrapping. */
        s = sample_of(big, 2, B(1));
        assert_int_equal(s.total_pages, UINT64_MAX);
        assert_int_equal(s.remote_pages, UINT64_MAX);
}

static void test_home(void **state)
{
        const uint64_t pages[] = {100, 500, 500, 20};
        const uint64_t zero[] = {0, 0};

        (void)state;
        /* Configured beats the backend, which beats the page majority. */
        assert_int_equal(nf_placement_home(B(3), B(0), pages, 4), B(3));
        assert_int_equal(nf_placement_home(0, B(0) | B(3), pages, 4), B(0) | B(3));
        /* Majority, tie going to the lowest node. */
        assert_int_equal(nf_placement_home(0, 0, pages, 4), B(1));
        assert_int_equal(nf_placement_home(0, 0, (const uint64_t[]){0, 0, 9}, 3), B(2));
        /* Nothing to go on. */
        assert_int_equal(nf_placement_home(0, 0, zero, 2), 0);
        assert_int_equal(nf_placement_home(0, 0, NULL, 0), 0);
        /* Sets with no node on this host fall through to the next source. */
        assert_int_equal(nf_placement_home(B(7), B(0), pages, 4), B(0));
        assert_int_equal(nf_placement_home(B(7), B(9), pages, 4), B(1));
        assert_int_equal(nf_placement_home(B(1) | B(7), 0, pages, 4), B(1));
        /* Without a topology the configured set is taken as is. */
        assert_int_equal(nf_placement_home(B(7), 0, NULL, 0), B(7));
}

static void test_target(void **state)
{
        struct nf_topology topo;

        (void)state;
        memset(&topo, 0, sizeof(topo));
        topo.nr_nodes = 4;
        topo.node[0].free_pages = 100;
        topo.node[1].free_pages = 400;
        topo.node[2].free_pages = 400;
        topo.node[3].free_pages = 900;

        assert_int_equal(nf_placement_target(B(0), &topo), 0);
        assert_int_equal(nf_placement_target(B(0) | B(1), &topo), 1);
        assert_int_equal(nf_placement_target(B(1) | B(2), &topo), 1); /* tie: lowest */
        assert_int_equal(nf_placement_target(B(0) | B(1) | B(2) | B(3), &topo), 3);
        assert_int_equal(nf_placement_target(0, &topo), -1);
        assert_int_equal(nf_placement_target(B(4) | B(63), &topo), -1);
        assert_int_equal(nf_placement_target(B(2) | B(10), &topo), 2);
        /* A full node is still a valid target when it is the only home. */
        topo.node[2].free_pages = 0;
        assert_int_equal(nf_placement_target(B(2), &topo), 2);
        topo.nr_nodes = 0;
        assert_int_equal(nf_placement_target(B(0), &topo), -1);
}

static struct nf_sample mk(uint64_t total, uint64_t remote)
{
        struct nf_sample s = {total, remote, total ? (double)remote / (double)total : 0.0};

        return s;
}

static void test_excess_values(void **state)
{
        struct nf_sample s = mk(1000, 300);

        (void)state;
        assert_int_equal(nf_placement_excess(&s, 0.02), 280);
        assert_int_equal(nf_placement_excess(&s, 0.0), 300);
        assert_int_equal(nf_placement_excess(&s, 0.3), 0);
        assert_int_equal(nf_placement_excess(&s, 0.299), 1);
        assert_int_equal(nf_placement_excess(&s, 0.5), 0);
        assert_int_equal(nf_placement_excess(&s, 1.0), 0);
        assert_int_equal(nf_placement_excess(&s, -0.5), 300);
        assert_int_equal(nf_placement_excess(&s, NAN), 300);
        s = mk(0, 0);
        assert_int_equal(nf_placement_excess(&s, 0.0), 0);
        s = mk(1000, 0);
        assert_int_equal(nf_placement_excess(&s, 0.0), 0);
        s = mk(UINT64_MAX, UINT64_MAX);
        assert_int_equal(nf_placement_excess(&s, 0.0), UINT64_MAX);
        /* A target a hair below 9/10: 9 remote pages of 10 would be above it, although
         * target * total rounds to exactly 9. */
        s = mk(10, 10);
        assert_int_equal(nf_placement_excess(&s, nextafter(0.9, 0.0)), 2);
        s = mk(12, 12);
        assert_int_equal(nf_placement_excess(&s, nextafter(5.0 / 12, 0.0)), 8);
        /* 2% of 4 GiB worth of pages. */
        s = mk(1048576, 230000);
        assert_int_equal(nf_placement_excess(&s, 0.02), 230000 - 20971);
}

/* Moving exactly the excess lands at or below target, and moving one page less does
 * not: the excess is the least that works, under the same double comparison the
 * policy uses. */
static void test_excess_is_minimal(void **state)
{
        static const double targets[] = {0.0, 0.01, 0.02, 0.05, 0.07, 0.1, 1.0 / 3, 0.3, 0.9};

        (void)state;
        for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
                double target = targets[t];

                for (uint64_t total = 1; total <= 1500; total += 7) {
                        for (uint64_t remote = 0; remote <= total; remote += 1 + total / 40) {
                                struct nf_sample s = mk(total, remote);
                                uint64_t x = nf_placement_excess(&s, target);
                                double after = (double)(remote - x) / (double)total;

                                assert_true(x <= remote);
                                if (!(after <= target))
                                        fail_msg("total %llu remote %llu target %g: excess %llu "
                                                 "leaves %g",
                                                 (unsigned long long)total,
                                                 (unsigned long long)remote, target,
                                                 (unsigned long long)x, after);
                                if (x > 0 && (double)(remote - x + 1) / (double)total <= target)
                                        fail_msg("total %llu remote %llu target %g: excess %llu "
                                                 "is more than needed",
                                                 (unsigned long long)total,
                                                 (unsigned long long)remote, target,
                                                 (unsigned long long)x);
                                /* Consistent with the sample's own share. */
                                if (s.remote_share <= target)
                                        assert_int_equal(x, 0);
                                else
                                        assert_true(x > 0);
                        }
                }
        }
}

static void test_remote_mask(void **state)
{
        (void)state;
        assert_int_equal(nf_placement_remote_mask(B(1), 4), B(0) | B(2) | B(3));
        assert_int_equal(nf_placement_remote_mask(B(0) | B(2), 3), B(1));
        assert_int_equal(nf_placement_remote_mask(B(0), 1), 0);
        assert_int_equal(nf_placement_remote_mask(B(1), 64), ~B(1));
        assert_int_equal(nf_placement_remote_mask(B(1), 100), ~B(1));
        /* Unknown home (or one off this host): nothing is remote, as in the sample. */
        assert_int_equal(nf_placement_remote_mask(0, 4), 0);
        assert_int_equal(nf_placement_remote_mask(B(9), 4), 0);
        assert_int_equal(nf_placement_remote_mask(B(1) | B(9), 4), B(0) | B(2) | B(3));
}

static void test_mask_format(void **state)
{
        char buf[256], tiny[5];

        (void)state;
        assert_string_equal(nf_nodemask_format(0, buf, sizeof(buf)), "none");
        assert_string_equal(nf_nodemask_format(B(0), buf, sizeof(buf)), "0");
        assert_string_equal(nf_nodemask_format(B(0) | B(1) | B(2), buf, sizeof(buf)), "0-2");
        assert_string_equal(nf_nodemask_format(B(0) | B(1) | B(2) | B(5), buf, sizeof(buf)),
                            "0-2,5");
        assert_string_equal(nf_nodemask_format(B(1) | B(3), buf, sizeof(buf)), "1,3");
        assert_string_equal(nf_nodemask_format(B(3) | B(4), buf, sizeof(buf)), "3-4");
        assert_string_equal(nf_nodemask_format(B(63), buf, sizeof(buf)), "63");
        assert_string_equal(nf_nodemask_format(B(62) | B(63) | B(0), buf, sizeof(buf)), "0,62-63");
        assert_string_equal(nf_nodemask_format(~(nf_nodemask_t)0, buf, sizeof(buf)), "0-63");
        assert_string_equal(nf_nodemask_format(0x5555555555555555ull, buf, sizeof(buf)),
                            "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,"
                            "48,50,52,54,56,58,60,62");
        /* Truncated but terminated. */
        memset(tiny, 'Z', sizeof(tiny));
        assert_ptr_equal(nf_nodemask_format(B(0) | B(2) | B(4), tiny, sizeof(tiny)), tiny);
        assert_int_equal(tiny[sizeof(tiny) - 1], '\0');
        assert_int_equal(strncmp(tiny, "0,2", 3), 0);
        memset(tiny, 'Z', sizeof(tiny));
        nf_nodemask_format(B(0), tiny, 0);
        assert_int_equal(tiny[0], 'Z');
}

static void test_mask_parse_valid(void **state)
{
        static const struct {
                const char *in;
                unsigned nr;
                nf_nodemask_t want;
        } t[] = {
            {"1", 4, B(1)},
            {"0,2", 4, B(0) | B(2)},
            {"0-3", 4, B(0) | B(1) | B(2) | B(3)},
            {"all", 4, B(0) | B(1) | B(2) | B(3)},
            {"all", 64, ~(nf_nodemask_t)0},
            {" 0 - 1 , 3 ", 4, B(0) | B(1) | B(3)},
            {"2,2,1-2", 4, B(1) | B(2)},
            {"63", 0, B(63)}, /* node count unknown: any node a mask can hold */
            {"0-63", 0, ~(nf_nodemask_t)0},
            {"3-3", 4, B(3)},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                char err[128] = "x";
                nf_nodemask_t m = 0xdead;

                if (nf_nodemask_parse(t[i].in, t[i].nr, &m, err, sizeof(err)) != 0 ||
                    m != t[i].want)
                        fail_msg("'%s' (%u nodes): %llx (%s), want %llx", t[i].in, t[i].nr,
                                 (unsigned long long)m, err, (unsigned long long)t[i].want);
        }
}

static void test_mask_parse_invalid(void **state)
{
        static const struct {
                const char *in;
                unsigned nr;
                const char *msg;
        } t[] = {
            {"", 4, "invalid node list '': empty value"},
            {NULL, 4, "invalid node list '': empty value"},
            {"all", 0, "invalid node list 'all': the node count is not known"},
            {"3-1", 4, "invalid node list '3-1': range 3-1 is reversed"},
            {"4", 4, "invalid node list '4': node 4 does not exist (4 nodes)"},
            {"0-9", 4, "invalid node list '0-9': node 9 does not exist (4 nodes)"},
            {"64", 0, "invalid node list '64': node 64 is above the maximum 63"},
            {"a", 4, "invalid node list 'a': expected a node number or a range like 0-3"},
            {"1,", 4, "invalid node list '1,': expected a node number or a range like 0-3"},
            {",1", 4, "invalid node list ',1': expected a node number or a range like 0-3"},
            {"1-", 4, "invalid node list '1-': expected a node number or a range like 0-3"},
            {"-1", 4, "invalid node list '-1': expected a node number or a range like 0-3"},
            {"1;2", 4, "invalid node list '1;2': unexpected ';'"},
            {"1 2", 4, "invalid node list '1 2': unexpected '2'"},
            {"99999", 4, "invalid node list '99999': expected a node number or a range like 0-3"},
            {"ALL", 4, "invalid node list 'ALL': expected a node number or a range like 0-3"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                char err[160] = "";
                nf_nodemask_t m = 0xdead;
                int rc = nf_nodemask_parse(t[i].in, t[i].nr, &m, err, sizeof(err));

                if (rc != -EINVAL || strcmp(err, t[i].msg) != 0)
                        fail_msg("'%s': rc %d \"%s\", want \"%s\"", t[i].in ? t[i].in : "(null)",
                                 rc, err, t[i].msg);
                assert_int_equal(m, 0xdead);
                assert_int_equal(nf_nodemask_parse(t[i].in, t[i].nr, &m, NULL, 0), -EINVAL);
        }
}

/* What is printed parses back to the same mask. */
static void test_mask_round_trip(void **state)
{
        uint64_t x = 0x9e3779b97f4a7c15ull;
        char buf[256];

        (void)state;
        for (int i = 0; i < 500; i++) {
                nf_nodemask_t m, back = 0;

                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                m = x & (i % 2 ? x >> 3 : ~(nf_nodemask_t)0); /* sparse and dense */
                if (!m)
                        continue;
                nf_nodemask_format(m, buf, sizeof(buf));
                assert_int_equal(nf_nodemask_parse(buf, 64, &back, NULL, 0), 0);
                assert_int_equal(back, m);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sample_basic),
            cmocka_unit_test(test_sample_edges),
            cmocka_unit_test(test_home),
            cmocka_unit_test(test_target),
            cmocka_unit_test(test_excess_values),
            cmocka_unit_test(test_excess_is_minimal),
            cmocka_unit_test(test_remote_mask),
            cmocka_unit_test(test_mask_format),
            cmocka_unit_test(test_mask_parse_valid),
            cmocka_unit_test(test_mask_parse_invalid),
            cmocka_unit_test(test_mask_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
