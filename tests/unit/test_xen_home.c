/* Unit tests for the xen backend's home-node rules: every order of node affinity, hard and soft
 * vCPU affinity, and cpumap to node conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xen_home.h"

#define B(n) NF_NODE_BIT(n)
#define ALL2 (B(0) | B(1))
#define ALL4 (B(0) | B(1) | B(2) | B(3))

static void expect_home(struct xen_home_input in, nf_nodemask_t want, const char *rule)
{
        const char *got = "untouched";
        nf_nodemask_t m = xen_home_resolve(&in, &got);

        assert_int_equal(m, want);
        if (rule)
                assert_string_equal(got, rule);
        else
                assert_null(got);
}

/* Each rule wins over every later one, whatever the later ones say. */
static void test_order(void **state)
{
        (void)state;
        /* node affinity first */
        expect_home((struct xen_home_input){B(1), ALL2, B(0), ALL2}, B(1), "node affinity");
        expect_home((struct xen_home_input){B(1), 0, 0, ALL2}, B(1), "node affinity");
        expect_home((struct xen_home_input){B(0), ALL2, B(1), ALL2}, B(0), "node affinity");
        /* node affinity of all nodes says nothing: hard affinity next */
        expect_home((struct xen_home_input){ALL2, B(1), B(0), ALL2}, B(1), "vCPU hard affinity");
        expect_home((struct xen_home_input){0, B(1), B(0), ALL2}, B(1), "vCPU hard affinity");
        /* then soft */
        expect_home((struct xen_home_input){ALL2, ALL2, B(0), ALL2}, B(0), "vCPU soft affinity");
        expect_home((struct xen_home_input){0, 0, B(1), ALL2}, B(1), "vCPU soft affinity");
        /* nothing informative: the daemon's own fallback */
        expect_home((struct xen_home_input){ALL2, ALL2, ALL2, ALL2}, 0, NULL);
        expect_home((struct xen_home_input){0, 0, 0, ALL2}, 0, NULL);
}

/* Node affinity that shares no node with the vCPUs' hard affinity is stale (libxl set it
 * from the pinning at creation; the vCPUs were re-pinned since): the vCPUs decide. */
static void test_stale_node_affinity(void **state)
{
        (void)state;
        expect_home((struct xen_home_input){B(0), B(1), B(1), ALL2}, B(1),
                    "vCPU hard affinity, re-pinned");
        expect_home((struct xen_home_input){B(0), B(1), 0, ALL2}, B(1),
                    "vCPU hard affinity, re-pinned");
        /* sharing a node, node affinity stands */
        expect_home((struct xen_home_input){B(0) | B(1), B(1), 0, ALL4}, B(0) | B(1),
                    "node affinity");
        /* hard affinity of all nodes says nothing against it */
        expect_home((struct xen_home_input){B(0), ALL2, B(1), ALL2}, B(0), "node affinity");
}

/* A set is trimmed to the host's nodes before it is judged. */
static void test_trim(void **state)
{
        (void)state;
        /* bits beyond the host: node 5 on a 2-node host */
        expect_home((struct xen_home_input){B(5), B(1), 0, ALL2}, B(1), "vCPU hard affinity");
        /* all host nodes plus junk above them is still "all" */
        expect_home((struct xen_home_input){ALL2 | B(7), 0, B(0), ALL2}, B(0),
                    "vCPU soft affinity");
        /* a subset of several nodes is kept whole */
        expect_home((struct xen_home_input){B(1) | B(3), 0, 0, ALL4}, B(1) | B(3), "node affinity");
        /* one node host: every set is all, nothing decides */
        expect_home((struct xen_home_input){B(0), B(0), B(0), B(0)}, 0, NULL);
}

static void test_cpumap(void **state)
{
        /* CPUs 0-3 on node 0, 4-7 on node 1, 8 on no node, 9 on node 3 */
        const uint32_t node[] = {0, 0, 0, 0, 1, 1, 1, 1, ~0u, 3};
        uint8_t map[2] = {0, 0};

        (void)state;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), 0);
        map[0] = 0x01;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), B(0));
        map[0] = 0x30;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), B(1));
        map[0] = 0x81;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), B(0) | B(1));
        /* CPU 8 has no node; CPU 9 is on node 3 */
        map[0] = 0;
        map[1] = 0x01;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), 0);
        map[1] = 0x03;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 10), B(3));
        /* bits beyond the CPUs the host has, or the map's length, are ignored */
        map[1] = 0xff;
        assert_int_equal(xen_home_cpumap_nodes(map, sizeof(map), node, 9), 0);
        map[0] = 0;
        map[1] = 0x02;
        assert_int_equal(xen_home_cpumap_nodes(map, 1, node, 10), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_order),
            cmocka_unit_test(test_stale_node_affinity),
            cmocka_unit_test(test_trim),
            cmocka_unit_test(test_cpumap),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
