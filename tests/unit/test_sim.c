/* Unit tests for the sim model, the sim backend and the backend registry. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "numaflip/backend.h"
#include "nf_sim.h"

/* Valgrind slows everything ~30x; the speed test allows for it when it can tell. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#define SEC 1000000000ull
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define STEP (SEC / 10)
#define GIB_PAGES ((1ull << 30) / NF_PAGE_SIZE)

/* ---- helpers ---- */

/*
 * The tests' configs keep their VMs in static blocks, so a config copied with = still
 * shares them (as the tests mean it to when they say so) and nothing needs freeing;
 * copy_config gives a copy its own block. nf_sim_config_add_vm has its own test.
 */
#define VM_BLOCKS 8
#define VM_BLOCK 512
static struct nf_sim_vm_config vm_store[VM_BLOCKS][VM_BLOCK];
static unsigned vm_next;

static void give_block(struct nf_sim_config *c)
{
        c->vm = vm_store[vm_next++ % VM_BLOCKS];
        c->cap_vms = VM_BLOCK;
}

static void virtual_config(struct nf_sim_config *c, uint64_t seed)
{
        nf_sim_config_defaults(c);
        give_block(c);
        c->clock = NF_CLOCK_VIRTUAL;
        c->seed = seed;
}

static void copy_config(struct nf_sim_config *dst, const struct nf_sim_config *src)
{
        *dst = *src;
        give_block(dst);
        memcpy(dst->vm, src->vm, src->nr_vms * sizeof(*src->vm));
}

/* The check's error as one line: "sim.vm web: memory: must be positive". */
static int validate(const struct nf_sim_config *c, char *err, size_t len)
{
        struct nf_check_error e;
        int rc = nf_sim_config_validate(c, &e);

        if (rc == 0)
                snprintf(err, len, "%s", "");
        else
                snprintf(err, len, "%.60s%s%.30s%s%.150s", e.section, e.section[0] ? ": " : "",
                         e.key ? e.key : "", e.key ? ": " : "", e.msg);
        return rc;
}

/* Migrates and says how many moved. */
static int migrate(struct nf_sim *s, uint32_t id, nf_nodemask_t from, unsigned to, uint64_t max,
                   uint64_t *moved)
{
        struct nf_migrate_result r;
        int rc = nf_sim_migrate(s, id, from, to, max, &r);

        *moved = r.moved;
        return rc;
}

static void add_vm(struct nf_sim_config *c, const char *name, uint64_t pages, unsigned home,
                   double rate, bool migratable)
{
        assert_true(c->nr_vms < c->cap_vms);
        struct nf_sim_vm_config *v = &c->vm[c->nr_vms++];

        memset(v, 0, sizeof(*v));
        snprintf(v->name, sizeof(v->name), "%s", name);
        v->memory_pages = pages;
        v->home = home;
        v->flip_rate = rate;
        v->migratable = migratable;
}

/* The paper's host: CVM on node 0, one 4 GiB VM homed on node 1 receiving ~70 packets/s. */
static void paper_config(struct nf_sim_config *c, uint64_t seed)
{
        virtual_config(c, seed);
        add_vm(c, "web", 4 * GIB_PAGES, 1, 70, true);
}

static struct nf_sim *new_sim(const struct nf_sim_config *c)
{
        struct nf_sim *s = NULL;
        char err[256] = "";
        int rc = nf_sim_new(c, 0, &s, err, sizeof(err));

        if (rc != 0)
                print_error("nf_sim_new: %s\n", err);
        assert_int_equal(rc, 0);
        assert_non_null(s);
        return s;
}

static void assert_check(const struct nf_sim *s)
{
        char err[256] = "";
        int rc = nf_sim_check(s, err, sizeof(err));

        if (rc != 0)
                print_error("nf_sim_check: %s\n", err);
        assert_int_equal(rc, 0);
}

static uint64_t vm_pages_on(const struct nf_sim *s, uint32_t id, unsigned node)
{
        uint64_t pages[NF_MAX_NODES];

        assert_int_equal(nf_sim_guest_pages(s, id, pages, NF_MAX_NODES), 0);
        return pages[node];
}

static double remote_share(const struct nf_sim *s, uint32_t id, unsigned home)
{
        uint64_t pages[NF_MAX_NODES], total = 0;

        assert_int_equal(nf_sim_guest_pages(s, id, pages, NF_MAX_NODES), 0);
        for (unsigned n = 0; n < NF_MAX_NODES; n++)
                total += pages[n];
        return 1.0 - (double)pages[home] / (double)total;
}

static uint64_t node_free(const struct nf_sim *s, unsigned node)
{
        struct nf_topology t;

        nf_sim_topology(s, &t);
        return t.node[node].free_pages;
}

static struct nf_pool_info pool(const struct nf_sim *s, unsigned node)
{
        struct nf_pool_info p;

        assert_int_equal(nf_sim_pool_get(s, node, &p), 0);
        return p;
}

/* Conservation seen only through the public API, independent of nf_sim_check. */
static void assert_conserved(const struct nf_sim *s)
{
        static struct nf_guest_info g[VM_BLOCK + 1];
        struct nf_topology t;
        uint64_t used[NF_MAX_NODES] = {0};
        size_t n = nf_sim_guests(s, g, VM_BLOCK + 1);

        assert_true(n <= VM_BLOCK + 1);
        nf_sim_topology(s, &t);
        for (size_t i = 0; i < n; i++) {
                uint64_t pages[NF_MAX_NODES], sum = 0;

                assert_int_equal(nf_sim_guest_pages(s, g[i].id, pages, t.nr_nodes), 0);
                for (unsigned k = 0; k < t.nr_nodes; k++) {
                        used[k] += pages[k];
                        sum += pages[k];
                }
                assert_int_equal(sum, g[i].memory_pages);
        }
        for (unsigned k = 0; k < t.nr_nodes; k++) {
                struct nf_pool_info p = pool(s, k);

                assert_true(t.node[k].free_pages <= t.node[k].total_pages);
                assert_true(used[k] <= t.node[k].total_pages);
                assert_int_equal(used[k] + t.node[k].free_pages + p.held, t.node[k].total_pages);
        }
}

/* A test-local generator, so the test's choices do not depend on the model's. */
static uint64_t test_rand(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* ---- config ---- */

static void test_defaults(void **state)
{
        struct nf_sim_config c;
        struct nf_guest_info g[2];
        struct nf_topology t;
        uint64_t pages[2];
        struct nf_sim *s;
        char err[128] = "";

        (void)state;
        nf_sim_config_defaults(&c);
        assert_int_equal(validate(&c, err, sizeof(err)), 0);
        assert_int_equal(c.nr_nodes, 2);
        assert_int_equal(c.node_pages, 8 * GIB_PAGES);
        assert_int_equal(c.cvm_node, 0);
        assert_int_equal(c.cvm_pages, 2 * GIB_PAGES);
        assert_int_equal(c.step_ns, STEP);
        assert_int_equal(c.nr_vms, 0);

        s = new_sim(&c);
        nf_sim_topology(s, &t);
        assert_int_equal(t.nr_nodes, 2);
        assert_int_equal(t.node[0].free_pages, 6 * GIB_PAGES);
        assert_int_equal(t.node[1].free_pages, 8 * GIB_PAGES);
        assert_int_equal(t.distance[0][0], 10);
        assert_true(t.distance[0][1] > 10);

        assert_int_equal(nf_sim_guests(s, g, 2), 1);
        assert_int_equal(g[0].id, 0);
        assert_string_equal(g[0].name, "Domain-0");
        assert_string_equal(g[0].uuid, "00000000-0000-0000-0000-000000000000");
        assert_true(g[0].control);
        assert_false(g[0].migratable);
        assert_true(g[0].why_not[0] != '\0');
        assert_int_equal(g[0].home, NF_NODE_BIT(0));
        assert_int_equal(nf_sim_guest_pages(s, 0, pages, 2), 0);
        assert_int_equal(pages[0], 2 * GIB_PAGES);
        assert_int_equal(pages[1], 0);
        assert_int_equal(nf_sim_guest_pages(s, 0, pages, 1), -EINVAL);
        assert_int_equal(nf_sim_guest_pages(s, 7, pages, 2), -ESRCH);
        assert_check(s);
        nf_sim_free(s);
}

struct bad_case {
        const char *what;
        void (*mutate)(struct nf_sim_config *c);
        const char *needle1, *needle2;
};

static void m_nodes0(struct nf_sim_config *c)
{
        c->nr_nodes = 0;
}
static void m_nodes65(struct nf_sim_config *c)
{
        c->nr_nodes = NF_MAX_NODES + 1;
}
static void m_node_pages(struct nf_sim_config *c)
{
        c->node_pages = 0;
}
static void m_cvm_node(struct nf_sim_config *c)
{
        c->cvm_node = 2;
}
static void m_cvm_pages(struct nf_sim_config *c)
{
        c->cvm_pages = c->node_pages + 1;
}
static void m_step0(struct nf_sim_config *c)
{
        c->step_ns = 0;
}
static void m_speed(struct nf_sim_config *c)
{
        c->clock = NF_CLOCK_REAL;
        c->speed = 0;
}
static void m_speed_nan(struct nf_sim_config *c)
{
        c->clock = NF_CLOCK_REAL;
        c->speed = NAN;
}
static void m_clock(struct nf_sim_config *c)
{
        c->clock = (enum nf_clock_kind)7;
}
static void m_noname(struct nf_sim_config *c)
{
        c->vm[0].name[0] = '\0';
}
static void m_longname(struct nf_sim_config *c)
{
        memset(c->vm[0].name, 'x', sizeof(c->vm[0].name));
}
static void m_dupname(struct nf_sim_config *c)
{
        add_vm(c, "web", 10, 0, 0, true);
}
static void m_cvmname(struct nf_sim_config *c)
{
        snprintf(c->vm[0].name, sizeof(c->vm[0].name), "Domain-0");
}
static void m_mem0(struct nf_sim_config *c)
{
        c->vm[0].memory_pages = 0;
}
static void m_home(struct nf_sim_config *c)
{
        c->vm[0].home = 5;
}
static void m_rate_neg(struct nf_sim_config *c)
{
        c->vm[0].flip_rate = -1;
}
static void m_rate_nan(struct nf_sim_config *c)
{
        c->vm[0].flip_rate = NAN;
}
static void m_rate_huge(struct nf_sim_config *c)
{
        c->vm[0].flip_rate = 1e12;
}
static void m_nofit(struct nf_sim_config *c)
{
        add_vm(c, "db", 5 * GIB_PAGES, 1, 0, true); /* 4 + 5 GiB on an 8 GiB node */
}
static void m_nofit_cvm(struct nf_sim_config *c)
{
        add_vm(c, "db", 7 * GIB_PAGES, 0, 0, true); /* beside the CVM's 2 GiB */
}

static void test_validate_names_field(void **state)
{
        static const struct bad_case cases[] = {
            {"no nodes", m_nodes0, "nodes: ", NULL},
            {"too many nodes", m_nodes65, "nodes: ", NULL},
            {"empty nodes", m_node_pages, "node_size: ", NULL},
            {"cvm beyond nodes", m_cvm_node, "cvm_node", NULL},
            {"cvm too big", m_cvm_pages, "cvm_memory: ", NULL},
            {"zero step", m_step0, "step: ", NULL},
            {"zero speed", m_speed, "speed", NULL},
            {"nan speed", m_speed_nan, "speed", NULL},
            {"bad clock", m_clock, "clock", NULL},
            {"empty name", m_noname, "vm[0]", "name"},
            {"long name", m_longname, "vm[0]", "name"},
            {"duplicate name", m_dupname, "sim.vm web", "twice"},
            {"cvm name", m_cvmname, "sim.vm Domain-0", "control domain"},
            {"no memory", m_mem0, "sim.vm web", "memory: "},
            {"home beyond nodes", m_home, "sim.vm web", "home"},
            {"negative rate", m_rate_neg, "sim.vm web", "flip_rate"},
            {"nan rate", m_rate_nan, "sim.vm web", "flip_rate"},
            {"huge rate", m_rate_huge, "sim.vm web", "flip_rate"},
            {"does not fit", m_nofit, "sim.vm db", "node 1"},
            {"does not fit beside cvm", m_nofit_cvm, "sim.vm db", "node 0"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct nf_sim_config c;
                struct nf_sim *s = (struct nf_sim *)&c; /* must be reset to NULL */
                char err[256] = "";
                int rc;

                paper_config(&c, 1);
                assert_int_equal(validate(&c, err, sizeof(err)), 0);
                cases[i].mutate(&c);
                rc = validate(&c, err, sizeof(err));
                if (rc != -EINVAL || !strstr(err, cases[i].needle1) ||
                    (cases[i].needle2 && !strstr(err, cases[i].needle2)))
                        print_error("case '%s': rc %d, err '%s'\n", cases[i].what, rc, err);
                assert_int_equal(rc, -EINVAL);
                assert_non_null(strstr(err, cases[i].needle1));
                if (cases[i].needle2)
                        assert_non_null(strstr(err, cases[i].needle2));
                err[0] = '\0';
                assert_int_equal(nf_sim_new(&c, 0, &s, err, sizeof(err)), -EINVAL);
                assert_null(s);
                assert_non_null(strstr(err, cases[i].needle1));
        }
}

static void test_virtual_clock_ignores_speed(void **state)
{
        struct nf_sim_config c;
        char err[128];

        (void)state;
        paper_config(&c, 1);
        c.speed = 0; /* meaningless for a virtual clock */
        assert_int_equal(validate(&c, err, sizeof(err)), 0);
}

/* ---- the phenomenon ---- */

static void test_paper_drift(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;
        double prev = 0, share = 0;

        (void)state;
        paper_config(&c, 42);
        s = new_sim(&c);
        for (int m = 5; m <= 60; m += 5) {
                nf_sim_advance(s, (uint64_t)m * MIN);
                share = remote_share(s, 1, 1);
                assert_true(share > prev); /* every five minutes more of it is remote */
                if (m == 5)
                        assert_true(share < 0.03);
                prev = share;
        }
        nf_sim_stats(s, &st);
        assert_int_equal(st.now_ns, HOUR);
        assert_int_equal(st.steps, 36000);
        assert_int_equal(st.flips, 70 * 3600);
        assert_int_equal(st.dropped, 0);
        /* 1 - exp(-flips/pages) = 21.4%: the paper measured 22%. */
        print_message("remote share after 1 simulated hour: %.2f%%\n", 100 * share);
        assert_true(share > 0.20);
        assert_true(share < 0.23);
        /* No pool: every flip was a miss and none a fallback. */
        assert_int_equal(pool(s, 1).misses, st.flips);
        assert_int_equal(pool(s, 1).fallbacks, 0);
        assert_int_equal(pool(s, 1).hits, 0);
        assert_check(s);
        assert_conserved(s);
        nf_sim_free(s);
}

static void test_vm_on_cvm_node_stays_local(void **state)
{
        struct nf_sim_config c;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 3);
        add_vm(&c, "local", GIB_PAGES, 0, 200, true);
        s = new_sim(&c);
        nf_sim_advance(s, 10 * MIN);
        assert_true(remote_share(s, 1, 0) == 0.0);
        assert_int_equal(pool(s, 0).misses, 0);
        assert_check(s);
        nf_sim_free(s);
}

static void test_hour_is_fast(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;
        clock_t t0;
        double cpu;

        (void)state;
        virtual_config(&c, 9);
        add_vm(&c, "a", GIB_PAGES, 1, 300, true);
        add_vm(&c, "b", GIB_PAGES, 1, 250, true);
        add_vm(&c, "c", GIB_PAGES, 0, 400, true);
        add_vm(&c, "d", 2 * GIB_PAGES, 1, 333.3, true);
        s = new_sim(&c);
        t0 = clock();
        nf_sim_advance(s, HOUR);
        cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
        nf_sim_stats(s, &st);
        print_message("1 simulated hour, %llu flips: %.3f s CPU\n", (unsigned long long)st.flips,
                      cpu);
        assert_true(st.flips > 4500000);
        /* Typically well under 0.1 s, also with sanitizers. */
        assert_true(cpu < (UNDER_VALGRIND() ? 30.0 : 1.0));
        assert_check(s);
        nf_sim_free(s);
}

static void test_fractional_rate_carries(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 5);
        add_vm(&c, "slow", GIB_PAGES, 1, 2.5, true); /* one flip every 4 steps */
        s = new_sim(&c);
        nf_sim_advance(s, 100 * SEC);
        nf_sim_stats(s, &st);
        assert_int_equal(st.flips, 250);
        /* Time that is not a whole step is left for later. */
        nf_sim_advance(s, 100 * SEC + STEP - 1);
        nf_sim_stats(s, &st);
        assert_int_equal(st.now_ns, 100 * SEC);
        /* Time never runs backwards. */
        nf_sim_advance(s, SEC);
        nf_sim_stats(s, &st);
        assert_int_equal(st.now_ns, 100 * SEC);
        nf_sim_free(s);
}

static void test_idle_host_skips_ahead(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 5);
        add_vm(&c, "quiet", GIB_PAGES, 1, 0, true);
        s = new_sim(&c);
        nf_sim_advance(s, 365ull * 24 * HOUR + 5);
        nf_sim_stats(s, &st);
        assert_int_equal(st.steps, 365ull * 24 * 36000);
        assert_int_equal(st.now_ns, 365ull * 24 * HOUR);
        assert_int_equal(st.flips, 0);
        assert_int_equal(vm_pages_on(s, 1, 1), GIB_PAGES);
        nf_sim_free(s);
}

/* ---- determinism ---- */

struct snapshot {
        uint64_t pages[4][NF_MAX_NODES];
        struct nf_pool_info pool[3];
        struct nf_sim_stats st;
};

static void scripted_run(uint64_t seed, struct snapshot *snap)
{
        struct nf_sim_config c;
        struct nf_sim *s;
        uint64_t moved;

        virtual_config(&c, seed);
        c.nr_nodes = 3;
        add_vm(&c, "a", GIB_PAGES, 1, 120, true);
        add_vm(&c, "b", GIB_PAGES / 2, 2, 55.5, true);
        add_vm(&c, "c", GIB_PAGES, 2, 10, false);
        s = new_sim(&c);
        nf_sim_advance(s, 5 * MIN);
        assert_int_equal(nf_sim_pool_set(s, 2, 4), 0);
        nf_sim_advance(s, 10 * MIN);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, 1000, &moved), 0);
        nf_sim_advance(s, 20 * MIN);
        memset(snap, 0, sizeof(*snap));
        for (uint32_t id = 0; id < 4; id++)
                assert_int_equal(nf_sim_guest_pages(s, id, snap->pages[id], NF_MAX_NODES), 0);
        for (unsigned n = 0; n < 3; n++)
                snap->pool[n] = pool(s, n);
        nf_sim_stats(s, &snap->st);
        assert_check(s);
        nf_sim_free(s);
}

static void test_determinism(void **state)
{
        struct snapshot a, b, other;

        (void)state;
        scripted_run(42, &a);
        scripted_run(42, &b);
        scripted_run(43, &other);
        assert_memory_equal(a.pages, b.pages, sizeof(a.pages));
        assert_memory_equal(a.pool, b.pool, sizeof(a.pool));
        assert_memory_equal(&a.st, &b.st, sizeof(a.st));
        /* Another seed: same amount of work, different choices of returned frames. */
        assert_int_equal(other.st.flips, a.st.flips);
        assert_memory_not_equal(a.pages, other.pages, sizeof(a.pages));
}

/* ---- invariants under a long random run ---- */

static void test_invariants_random_run(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;
        uint64_t x = 2024, calls_ok = 0, enomem = 0, named = 5, reconf_ok = 0;
        char err[256];

        (void)state;
        virtual_config(&c, 77);
        c.nr_nodes = 4;
        c.node_pages = 20000;
        c.cvm_pages = 19000; /* the CVM node runs dry, so frames come from elsewhere */
        add_vm(&c, "v0", 4000, 1, 300, true);
        add_vm(&c, "v1", 6000, 1, 150, true);
        add_vm(&c, "v2", 3000, 2, 400, false);
        add_vm(&c, "v3", 9000, 3, 80, true);
        add_vm(&c, "v4", 500, 0, 500, true);
        s = new_sim(&c);
        for (uint64_t i = 1; i <= 20000; i++) {
                uint64_t r = test_rand(&x) % 1000;

                nf_sim_advance(s, i * STEP);
                if (r < 100) {
                        static struct nf_guest_info g[VM_BLOCK + 1];
                        size_t n = nf_sim_guests(s, g, VM_BLOCK + 1);
                        uint32_t id = g[test_rand(&x) % n].id;
                        uint64_t moved = 0;
                        int rc = migrate(s, id, test_rand(&x), test_rand(&x) % 4,
                                         test_rand(&x) % 3000, &moved);

                        assert_true(rc == 0 || rc == -ENOMEM || rc == -EPERM || rc == -EOPNOTSUPP);
                        calls_ok += rc == 0;
                        enomem += rc == -ENOMEM;
                        if (rc == -EPERM || rc == -EOPNOTSUPP)
                                assert_int_equal(moved, 0);
                } else if (r < 150) {
                        assert_int_equal(
                            nf_sim_pool_set(s, test_rand(&x) % 4, test_rand(&x) % 1500), 0);
                } else if (r < 155) {
                        /* Drop a random VM and add a fresh one. */
                        size_t k = test_rand(&x) % c.nr_vms;

                        c.vm[k] = c.vm[--c.nr_vms];
                        add_vm(&c, "", 100 + test_rand(&x) % 2000, test_rand(&x) % 4,
                               (double)(test_rand(&x) % 600), test_rand(&x) % 4 != 0);
                        snprintf(c.vm[c.nr_vms - 1].name, NF_NAME_MAX, "n%llu",
                                 (unsigned long long)named++);
                        if (validate(&c, err, sizeof(err)) != 0) {
                                c.vm[c.nr_vms - 1].memory_pages = 1; /* fits anywhere */
                                c.vm[c.nr_vms - 1].home = 1;
                        }
                        if (validate(&c, err, sizeof(err)) == 0) {
                                int rc = nf_sim_reconfigure(s, &c, err, sizeof(err));

                                assert_true(rc == 0 || (rc == -ENOMEM && strstr(err, "free")));
                                reconf_ok += rc == 0;
                        }
                }
                assert_check(s);
                if (i % 97 == 0)
                        assert_conserved(s);
        }
        nf_sim_stats(s, &st);
        /* The run really exercised the interesting paths. */
        assert_true(st.flips > 1000000);
        assert_true(calls_ok > 100);
        assert_true(enomem > 0);
        assert_true(reconf_ok > 20);
        assert_conserved(s);
        nf_sim_free(s);
}

/* ---- CVM node out of memory ---- */

static void test_cvm_node_exhausted(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 11);
        c.nr_nodes = 3;
        c.node_pages = 10000;
        c.cvm_pages = 9900;
        add_vm(&c, "far", 5000, 2, 100, true);
        s = new_sim(&c);
        nf_sim_advance(s, 10 * SEC);
        nf_sim_stats(s, &st);
        assert_int_equal(st.flips, 1000);
        assert_int_equal(st.dropped, 0);
        /* The CVM node ran dry; the next node (1) supplied the rest. */
        assert_true(node_free(s, 0) < 10); /* at most the last step's returns */
        assert_true(vm_pages_on(s, 1, 1) > 700);
        assert_true(vm_pages_on(s, 1, 0) > 0);
        assert_int_equal(pool(s, 2).misses, 1000); /* no frame was on its home node */
        assert_check(s);
        nf_sim_free(s);
}

static void test_host_full_drops(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 11);
        c.nr_nodes = 1;
        c.node_pages = 1000;
        c.cvm_pages = 500;
        add_vm(&c, "full", 500, 0, 10, true);
        s = new_sim(&c);
        nf_sim_advance(s, 10 * SEC);
        nf_sim_stats(s, &st);
        assert_int_equal(st.flips, 0);
        assert_int_equal(st.dropped, 100);
        assert_int_equal(vm_pages_on(s, 1, 0), 500);
        assert_check(s);
        nf_sim_free(s);
}

/* ---- pools ---- */

static void test_pool_sized_to_burst(void **state)
{
        struct nf_sim_config c;
        struct nf_sim_stats st;
        struct nf_pool_info p;
        struct nf_sim *s;

        (void)state;
        paper_config(&c, 42);
        c.vm[0].flip_rate = 73; /* bursts of 7 or 8 per 100 ms step */
        s = new_sim(&c);
        assert_int_equal(nf_sim_pool_set(s, 1, 8), 0);
        assert_int_equal(nf_sim_pool_enable(s, 1, true), 0);
        assert_int_equal(nf_sim_set_receiver(s, 1, true), 0);
        nf_sim_advance(s, HOUR);
        nf_sim_stats(s, &st);
        assert_int_equal(st.flips, 73 * 3600);
        assert_true(remote_share(s, 1, 1) < 0.001);
        p = pool(s, 1);
        assert_true(p.enabled);
        assert_int_equal(p.target, 8);
        assert_int_equal(p.held, 8);
        assert_int_equal(p.hits, st.flips);
        assert_int_equal(p.fallbacks, 0);
        assert_int_equal(p.misses, 0);
        /* Cumulative: every flip's frame came out of the pool. */
        assert_int_equal(p.handed_out, st.flips);
        /* A pool on the CVM node is not the VM's: it saw nothing. */
        assert_int_equal(pool(s, 0).hits, 0);
        assert_check(s);
        nf_sim_free(s);
}

static void test_pool_too_small_falls_back(void **state)
{
        struct nf_sim_config c;
        struct nf_pool_info p;
        struct nf_sim *s;

        (void)state;
        paper_config(&c, 42); /* 7 flips per step */
        s = new_sim(&c);
        assert_int_equal(nf_sim_pool_set(s, 1, 1), 0);
        assert_int_equal(nf_sim_pool_enable(s, 1, true), 0);
        assert_int_equal(nf_sim_set_receiver(s, 1, true), 0);
        nf_sim_advance(s, 10 * SEC);
        p = pool(s, 1);
        assert_int_equal(p.hits, 100);
        assert_int_equal(p.fallbacks, 600);
        assert_int_equal(p.misses, 600);
        assert_int_equal(p.handed_out, 100); /* one per step, refilled by the returns */
        assert_true(remote_share(s, 1, 1) > 0);
        nf_sim_free(s);
}

static void test_pool_on_starved_node_is_empty(void **state)
{
        struct nf_sim_config c;
        struct nf_pool_info p;
        struct nf_sim *s;

        (void)state;
        virtual_config(&c, 4);
        c.node_pages = 4096;
        c.cvm_pages = 1024;
        add_vm(&c, "tight", 4096, 1, 20, true); /* fills node 1 */
        s = new_sim(&c);
        assert_int_equal(nf_sim_pool_set(s, 1, 64), 0);
        assert_int_equal(nf_sim_pool_enable(s, 1, true), 0);
        assert_int_equal(nf_sim_set_receiver(s, 1, true), 0);
        p = pool(s, 1);
        assert_true(p.enabled);
        assert_int_equal(p.held, 0); /* nothing free to take */
        nf_sim_advance(s, SEC);
        p = pool(s, 1);
        /* The first burst found the pool empty; its returns then filled it. */
        assert_int_equal(p.fallbacks, 2);
        assert_int_equal(p.hits, 18);
        assert_true(p.held > 0);
        assert_check(s);
        nf_sim_free(s);
}

static void test_pool_set_get(void **state)
{
        struct nf_sim_config c;
        struct nf_pool_info p;
        struct nf_sim *s;
        uint64_t free1;

        (void)state;
        paper_config(&c, 42);
        s = new_sim(&c);
        free1 = node_free(s, 1);
        p = pool(s, 1);
        assert_false(p.enabled);
        assert_int_equal(p.held, 0);

        assert_int_equal(nf_sim_pool_set(s, 1, 100), 0);
        p = pool(s, 1);
        assert_false(p.enabled); /* reserving is not enabling */
        assert_int_equal(p.target, 100);
        assert_int_equal(p.held, 100);
        assert_int_equal(node_free(s, 1), free1 - 100); /* reserved: no longer free */

        /* Disabled, the pool neither hands out nor refills: flips go past it. */
        nf_sim_advance(s, SEC);
        p = pool(s, 1);
        assert_int_equal(p.handed_out, 0);
        assert_int_equal(p.held, 100);
        assert_int_equal(p.misses, 70);
        assert_int_equal(p.fallbacks, 0);

        /* Enabled, but web is no receiver: it hands out and is not refilled. */
        assert_int_equal(nf_sim_pool_enable(s, 1, true), 0);
        assert_true(pool(s, 1).enabled);
        nf_sim_advance(s, 2 * SEC); /* one more second: time is absolute */
        p = pool(s, 1);
        assert_int_equal(p.handed_out, 70);
        assert_int_equal(p.held, 30);
        assert_int_equal(p.hits, 70);
        assert_int_equal(nf_sim_set_receiver(s, 1, true), 0);
        assert_int_equal(nf_sim_set_receiver(s, 0, true), -EPERM);
        assert_int_equal(nf_sim_set_receiver(s, 9, true), -ESRCH);
        nf_sim_advance(s, 3 * SEC);
        p = pool(s, 1);
        assert_int_equal(p.handed_out, 140);
        /* Refilled by what web gave back: 30 pages would have run dry in 5 steps. */
        assert_int_equal(p.fallbacks, 0);
        assert_true(p.held >= 23);

        assert_int_equal(nf_sim_pool_set(s, 1, 40), 0); /* shrink frees the excess now */
        p = pool(s, 1);
        assert_int_equal(p.held, 40);
        assert_int_equal(p.handed_out, 140); /* cumulative: setting resets nothing */
        assert_int_equal(p.hits, 140);
        assert_check(s);

        assert_int_equal(nf_sim_pool_set(s, 1, 0), 0);
        p = pool(s, 1);
        assert_true(p.enabled);
        assert_int_equal(p.held, 0);
        assert_int_equal(nf_sim_pool_enable(s, 1, false), 0);
        assert_false(pool(s, 1).enabled);
        assert_int_equal(nf_sim_pool_enable(s, 2, true), -EINVAL);
        assert_int_equal(nf_sim_pool_set(s, 2, 10), -EINVAL);
        assert_int_equal(nf_sim_pool_set(s, 1, c.node_pages + 1), -EINVAL);
        assert_int_equal(nf_sim_pool_get(s, 2, &p), -EINVAL);
        assert_check(s);

        /* A target beyond the free memory takes what there is. */
        assert_int_equal(nf_sim_pool_set(s, 0, c.node_pages), 0);
        /* The second with the pool disabled took its 70 frames from node 0. */
        assert_int_equal(pool(s, 0).held, 6 * GIB_PAGES - 70);
        assert_int_equal(node_free(s, 0), 0);
        assert_check(s);
        nf_sim_free(s);
}

/* ---- migration ---- */

static void test_migrate(void **state)
{
        struct nf_sim_config c;
        struct nf_sim *s;
        uint64_t moved = 99, remote, free0, free1;

        (void)state;
        paper_config(&c, 42);
        add_vm(&c, "pv", GIB_PAGES, 1, 70, false);
        s = new_sim(&c);
        nf_sim_advance(s, HOUR);
        remote = vm_pages_on(s, 1, 0);
        free0 = node_free(s, 0);
        free1 = node_free(s, 1);
        assert_true(remote > 200000);

        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, 1000, &moved), 0);
        assert_int_equal(moved, 1000);
        assert_int_equal(vm_pages_on(s, 1, 0), remote - 1000);
        assert_int_equal(node_free(s, 0), free0 + 1000);
        assert_int_equal(node_free(s, 1), free1 - 1000);

        /* Everything but home, high bits included. */
        assert_int_equal(migrate(s, 1, ~NF_NODE_BIT(1), 1, 500, &moved), 0);
        assert_int_equal(moved, 500);
        /* Nothing of it lies on the from nodes. */
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(1), 1, 500, &moved), 0);
        assert_int_equal(moved, 0);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, 0, &moved), 0);
        assert_int_equal(moved, 0);
        assert_check(s);

        /* Bounded by the target's free memory: a pool takes all but 300 pages of node 1. */
        assert_int_equal(nf_sim_pool_set(s, 1, node_free(s, 1) - 300), 0);
        assert_int_equal(node_free(s, 1), 300);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, UINT64_MAX, &moved), -ENOMEM);
        assert_int_equal(moved, 300);
        assert_int_equal(vm_pages_on(s, 1, 0), remote - 1800);
        assert_int_equal(node_free(s, 1), 0);
        moved = 99;
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, 10, &moved), -ENOMEM);
        assert_int_equal(moved, 0);
        assert_check(s);

        /* Home has room again: all the rest comes back. */
        assert_int_equal(nf_sim_pool_set(s, 1, 0), 0);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 1, UINT64_MAX, &moved), 0);
        assert_int_equal(moved, remote - 1800);
        assert_true(remote_share(s, 1, 1) == 0.0);

        /* Moving away from home works too (the mechanism has no opinion). */
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(1), 0, 10, &moved), 0);
        assert_int_equal(moved, 10);
        assert_int_equal(vm_pages_on(s, 1, 0), 10);
        assert_check(s);
        nf_sim_free(s);
}

static void test_migrate_refusals(void **state)
{
        struct nf_sim_config c;
        struct nf_sim *s;
        uint64_t before[NF_MAX_NODES], after[NF_MAX_NODES], moved;
        struct nf_topology t0, t1;

        (void)state;
        paper_config(&c, 42);
        add_vm(&c, "pv", GIB_PAGES, 1, 70, false);
        s = new_sim(&c);
        nf_sim_advance(s, 10 * MIN);
        assert_int_equal(nf_sim_guest_pages(s, 2, before, NF_MAX_NODES), 0);
        assert_true(before[0] > 0);
        nf_sim_topology(s, &t0);

        moved = 99;
        assert_int_equal(migrate(s, 2, NF_NODE_BIT(0), 1, 100, &moved), -EOPNOTSUPP);
        assert_int_equal(moved, 0);
        moved = 99;
        assert_int_equal(migrate(s, 0, NF_NODE_BIT(0), 1, 100, &moved), -EPERM);
        assert_int_equal(moved, 0);
        moved = 99;
        assert_int_equal(migrate(s, 99, NF_NODE_BIT(0), 1, 100, &moved), -ESRCH);
        assert_int_equal(moved, 0);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(0), 2, 100, &moved), -EINVAL);
        assert_int_equal(moved, 0);

        assert_int_equal(nf_sim_guest_pages(s, 2, after, NF_MAX_NODES), 0);
        assert_memory_equal(before, after, sizeof(before));
        nf_sim_topology(s, &t1);
        assert_memory_equal(&t0, &t1, sizeof(t0));
        nf_sim_free(s);
}

/* ---- reconfigure ---- */

static void test_reconfigure_add_remove(void **state)
{
        struct nf_sim_config c;
        struct nf_guest_info g[8];
        struct nf_sim *s;
        uint64_t a_pages[NF_MAX_NODES], free_before[2], b1;
        char err[256] = "";

        (void)state;
        virtual_config(&c, 8);
        add_vm(&c, "a", GIB_PAGES, 1, 200, true);
        add_vm(&c, "b", GIB_PAGES, 1, 100, true);
        s = new_sim(&c);
        nf_sim_advance(s, 10 * MIN);
        assert_int_equal(nf_sim_guest_pages(s, 1, a_pages, NF_MAX_NODES), 0);
        assert_true(a_pages[0] > 0 && a_pages[1] > 0);
        free_before[0] = node_free(s, 0);
        free_before[1] = node_free(s, 1);

        /* a goes, c comes. */
        c.vm[0] = c.vm[1];
        c.nr_vms = 1;
        add_vm(&c, "c", GIB_PAGES / 4, 0, 0, false);
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        assert_int_equal(nf_sim_guests(s, g, 8), 3);
        assert_string_equal(g[1].name, "b");
        assert_int_equal(g[1].id, 2);
        assert_string_equal(g[2].name, "c");
        assert_int_equal(g[2].id, 3);
        assert_false(g[2].migratable);
        assert_non_null(strstr(g[2].why_not, "PV guest"));
        assert_int_equal(nf_sim_guest_pages(s, 1, a_pages, NF_MAX_NODES), -ESRCH);
        /* a's pages went back to free memory, c's came from its home node. */
        assert_int_equal(node_free(s, 0), free_before[0] + a_pages[0] - GIB_PAGES / 4);
        assert_int_equal(node_free(s, 1), free_before[1] + a_pages[1]);
        assert_int_equal(vm_pages_on(s, 3, 0), GIB_PAGES / 4);
        assert_check(s);

        /* a again: a new guest with a new id. */
        add_vm(&c, "a", GIB_PAGES, 1, 200, true);
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        assert_int_equal(nf_sim_guests(s, g, 8), 4);
        assert_string_equal(g[3].name, "a");
        assert_int_equal(g[3].id, 4);
        assert_int_equal(vm_pages_on(s, 4, 1), GIB_PAGES);

        /* b stops flipping: its memory stops moving. */
        c.vm[0].flip_rate = 0;
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        b1 = vm_pages_on(s, 2, 1);
        nf_sim_advance(s, 20 * MIN);
        assert_int_equal(vm_pages_on(s, 2, 1), b1);
        assert_true(vm_pages_on(s, 4, 0) > 0);
        assert_check(s);
        nf_sim_free(s);
}

static void s_nodes3(struct nf_sim_config *c)
{
        c->nr_nodes = 3;
}
static void s_node_pages(struct nf_sim_config *c)
{
        c->node_pages = 16 * GIB_PAGES;
}
static void s_cvm_node(struct nf_sim_config *c)
{
        c->cvm_node = 1;
        c->vm[0].home = 0;
}
static void s_cvm_pages(struct nf_sim_config *c)
{
        c->cvm_pages = GIB_PAGES;
}

static void test_reconfigure_rejects(void **state)
{
        struct nf_sim_config c, bad;
        struct nf_guest_info g0[4], g1[4];
        struct nf_topology t0, t1;
        struct nf_sim *s;
        char err[256];
        struct {
                const char *field;
                void (*mutate)(struct nf_sim_config *c);
        } shape[] = {
            {"nodes: ", s_nodes3},
            {"node_size: ", s_node_pages},
            {"cvm_node", s_cvm_node},
            {"cvm_memory: ", s_cvm_pages},
        };

        (void)state;
        paper_config(&c, 8);
        s = new_sim(&c);
        nf_sim_advance(s, MIN);
        nf_sim_topology(s, &t0);
        assert_int_equal(nf_sim_guests(s, g0, 4), 2);

        for (size_t i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
                copy_config(&bad, &c);
                shape[i].mutate(&bad); /* a valid config, but of another host */
                assert_int_equal(validate(&bad, err, sizeof(err)), 0);
                err[0] = '\0';
                assert_int_equal(nf_sim_reconfigure(s, &bad, err, sizeof(err)), -EINVAL);
                assert_non_null(strstr(err, shape[i].field));
        }

        copy_config(&bad, &c);
        bad.vm[0].memory_pages /= 2;
        add_vm(&bad, "new", 10, 1, 0, true);
        assert_int_equal(nf_sim_reconfigure(s, &bad, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "sim.vm web"));
        assert_non_null(strstr(err, "memory: "));

        copy_config(&bad, &c);
        bad.vm[0].flip_rate = -3;
        assert_int_equal(nf_sim_reconfigure(s, &bad, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "flip_rate"));

        /* Nothing changed by any of them. */
        nf_sim_topology(s, &t1);
        assert_memory_equal(&t0, &t1, sizeof(t0));
        assert_int_equal(nf_sim_guests(s, g1, 4), 2);
        assert_memory_equal(g0, g1, 2 * sizeof(g0[0]));
        assert_check(s);
        nf_sim_free(s);
}

static void test_reconfigure_memory_pressure(void **state)
{
        struct nf_sim_config c;
        struct nf_sim *s;
        char err[256] = "";

        (void)state;
        virtual_config(&c, 8);
        s = new_sim(&c);
        /* Pools hold all of node 1 but 100 pages: a new VM there spills to node 0. */
        assert_int_equal(nf_sim_pool_set(s, 1, 8 * GIB_PAGES - 100), 0);
        add_vm(&c, "spill", 1000, 1, 0, true);
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        assert_int_equal(vm_pages_on(s, 1, 1), 100);
        assert_int_equal(vm_pages_on(s, 1, 0), 900);
        assert_check(s);

        /* No room anywhere: refused, named, nothing added. */
        assert_int_equal(nf_sim_pool_set(s, 0, node_free(s, 0)), 0);
        add_vm(&c, "nope", 10, 0, 0, true);
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), -ENOMEM);
        assert_non_null(strstr(err, "sim.vm nope"));
        assert_int_equal(nf_sim_guests(s, NULL, 0), 2);
        assert_check(s);
        nf_sim_free(s);
}

static void test_reconfigure_repin_and_migratable(void **state)
{
        struct nf_sim_config c;
        struct nf_guest_info g[2];
        struct nf_sim *s;
        uint64_t moved;
        char err[256] = "";

        (void)state;
        paper_config(&c, 8);
        s = new_sim(&c);
        /* Its vCPUs move to node 0: all its memory is now remote. */
        c.vm[0].home = 0;
        c.vm[0].migratable = false;
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        assert_int_equal(nf_sim_guests(s, g, 2), 2);
        assert_int_equal(g[1].home, NF_NODE_BIT(0));
        assert_false(g[1].migratable);
        assert_true(remote_share(s, 1, 0) == 1.0);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(1), 0, 10, &moved), -EOPNOTSUPP);
        c.vm[0].migratable = true;
        assert_int_equal(nf_sim_reconfigure(s, &c, err, sizeof(err)), 0);
        assert_int_equal(migrate(s, 1, NF_NODE_BIT(1), 0, 10, &moved), 0);
        assert_int_equal(moved, 10);
        nf_sim_free(s);
}

static void test_guest_listing(void **state)
{
        struct nf_sim_config c;
        struct nf_guest_info g[3];
        char uuid_web[NF_UUID_LEN];
        struct nf_sim *s, *s2;

        (void)state;
        paper_config(&c, 1);
        add_vm(&c, "db", GIB_PAGES, 0, 0, true);
        s = new_sim(&c);
        memset(g, 0xaa, sizeof(g));
        assert_int_equal(nf_sim_guests(s, g, 2), 3); /* total, though only 2 written */
        assert_int_equal(g[1].id, 1);
        assert_string_equal(g[1].name, "web");
        assert_int_equal(g[1].memory_pages, 4 * GIB_PAGES);
        assert_int_equal(g[1].home, NF_NODE_BIT(1));
        assert_true(g[1].migratable);
        assert_false(g[1].control);
        assert_string_equal(g[1].why_not, "");
        assert_int_equal(strlen(g[1].uuid), 36);
        assert_int_equal(g[2].id, 0xaaaaaaaau); /* untouched */
        snprintf(uuid_web, sizeof(uuid_web), "%s", g[1].uuid);
        assert_int_equal(nf_sim_guests(s, g, 3), 3);
        assert_string_not_equal(g[2].uuid, uuid_web);

        /* A uuid follows the name, not the seed, so config can match on it. */
        c.seed = 999;
        s2 = new_sim(&c);
        assert_int_equal(nf_sim_guests(s2, g, 3), 3);
        assert_string_equal(g[1].uuid, uuid_web);
        nf_sim_free(s2);
        nf_sim_free(s);
}

/* ---- the backend ---- */

static uint64_t fake_now(const struct nf_clock *clock)
{
        return *(const uint64_t *)clock->arg;
}

static void test_backend_ops(void **state)
{
        static const char *names[] = {"Domain-0", "web", "pv"};
        struct nf_sim_config c;
        uint64_t now = 1000 * SEC; /* the model starts wherever the clock is */
        struct nf_clock clock = {.now_ns = fake_now, .arg = &now};
        struct nf_backend_env env = {.clock = &clock, .conf = &c};
        struct nf_backend *be = NULL;
        struct nf_guest_info g[4];
        struct nf_topology t;
        struct nf_pool_info p;
        struct nf_migrate_cursor cur = {.budget_ns = 0};
        struct nf_migrate_result res;
        uint64_t pages[2], again[2];
        size_t n;
        char err[256] = "";

        (void)state;
        paper_config(&c, 42);
        add_vm(&c, "pv", GIB_PAGES, 1, 0, false);
        assert_int_equal(nf_backend_sim_ops.open(&env, &be, err, sizeof(err)), 0);
        assert_non_null(be);
        assert_ptr_equal(be->ops, &nf_backend_sim_ops);
        assert_string_equal(be->ops->describe(be), "sim: 2 nodes, seed 42, virtual clock");
        assert_int_equal(be->ops->caps(be), NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_POOL);
        assert_int_equal(be->ops->watch_fd(be), -1);

        assert_int_equal(be->ops->list_guests(be, g, 4, &n), 0);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(g[i].name, names[i]);
        assert_int_equal(g[1].home, NF_NODE_BIT(1));
        assert_string_equal(g[1].home_rule, "vCPUs");
        assert_true(g[1].migratable);
        assert_false(g[2].migratable);
        assert_string_equal(g[2].why_not, "PV guest: frames are visible to the guest kernel");

        /* The workload runs only as the daemon's clock moves. */
        assert_int_equal(be->ops->guest_pages(be, 1, pages, 2), 0);
        assert_int_equal(pages[0], 0);
        now += HOUR;
        assert_int_equal(be->ops->guest_pages(be, 1, pages, 2), 0);
        assert_true((double)pages[0] / (double)(4 * GIB_PAGES) > 0.20);
        assert_int_equal(be->ops->guest_pages(be, 1, again, 2), 0);
        assert_memory_equal(pages, again, sizeof(pages));
        assert_int_equal(be->ops->topology(be, &t), 0);
        assert_int_equal(t.node[0].free_pages, 6 * GIB_PAGES - pages[0]);

        /* The resumable contract: more while remote pages remain, none once all moved. */
        assert_int_equal(be->ops->migrate(be, 1, NF_NODE_BIT(0), 1, 4096, &cur, &res), 0);
        assert_int_equal(res.moved, 4096);
        assert_true(res.more);
        assert_int_equal(res.skipped, 0);
        /* All of it home, so the VM only gives back local frames and refills the pool. */
        assert_int_equal(be->ops->migrate(be, 1, NF_NODE_BIT(0), 1, UINT64_MAX, &cur, &res), 0);
        assert_int_equal(res.moved, pages[0] - 4096);
        assert_false(res.more);
        assert_int_equal(be->ops->migrate(be, 1, NF_NODE_BIT(0), 1, 10, &cur, &res), 0);
        assert_int_equal(res.moved, 0);
        assert_false(res.more);
        assert_int_equal(be->ops->migrate(be, 2, NF_NODE_BIT(0), 1, 1, &cur, &res), -EOPNOTSUPP);
        assert_string_equal(res.why, "PV guest: frames are visible to the guest kernel");
        assert_int_equal(be->ops->pool_set(be, 1, 16), 0);
        assert_int_equal(be->ops->pool_enable(be, 1, true), 0);
        assert_int_equal(be->ops->set_receiver(be, 1, true), 0);
        now += 10 * SEC;
        assert_int_equal(be->ops->pool_get(be, 1, &p), 0);
        assert_true(p.enabled);
        assert_int_equal(p.hits, 700);
        assert_int_equal(p.handed_out, 700);

        /* Reload: pv goes, db comes with a fresh id. */
        c.vm[1] = c.vm[0];
        snprintf(c.vm[1].name, NF_NAME_MAX, "db");
        c.vm[1].home = 0;
        c.vm[1].memory_pages = GIB_PAGES;
        c.seed = 7; /* the running model keeps its generator */
        assert_int_equal(be->ops->reload(be, &c, err, sizeof(err)), 0);
        assert_string_equal(be->ops->describe(be), "sim: 2 nodes, seed 42, virtual clock");
        assert_int_equal(be->ops->list_guests(be, g, 4, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(g[2].name, "db");
        assert_int_equal(g[2].id, 3);
        assert_int_equal(be->ops->guest_pages(be, 2, pages, 2), -ESRCH);
        /* web kept its receiver mark through the reload: the pool still refills. */
        now += 10 * SEC;
        assert_int_equal(be->ops->pool_get(be, 1, &p), 0);
        assert_int_equal(p.fallbacks, 0);

        /* A host of another shape is refused and the running one stays. */
        c.node_pages *= 2;
        assert_int_equal(be->ops->reload(be, &c, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "node_size: "));
        assert_int_equal(be->ops->topology(be, &t), 0);
        assert_int_equal(t.node[1].total_pages, 8 * GIB_PAGES);
        be->ops->close(be);
}

static void test_backend_open_errors(void **state)
{
        struct nf_sim_config c;
        uint64_t now = 0;
        struct nf_clock clock = {.now_ns = fake_now, .arg = &now};
        struct nf_backend_env env = {.clock = &clock, .conf = &c};
        struct nf_backend_env noclock = {.clock = NULL, .conf = &c};
        struct nf_backend *be = (struct nf_backend *)&c;
        char err[256] = "";

        (void)state;
        paper_config(&c, 42);
        c.vm[0].home = 9;
        assert_int_equal(nf_backend_sim_ops.open(&env, &be, err, sizeof(err)), -EINVAL);
        assert_null(be);
        assert_non_null(strstr(err, "home"));

        paper_config(&c, 42);
        assert_int_equal(nf_backend_sim_ops.open(&noclock, &be, err, sizeof(err)), -EINVAL);
        assert_null(be);
        assert_non_null(strstr(err, "clock"));

        /* No [sim] config: an empty default host. */
        env.conf = NULL;
        assert_int_equal(nf_backend_sim_ops.open(&env, &be, err, sizeof(err)), 0);
        assert_int_equal(be->ops->list_guests(be, NULL, 0, &(size_t){0}), 0);
        be->ops->close(be);
}

/* The sim's own config: keys through its table, checks, the clock it asks for. */
static void test_backend_config(void **state)
{
        const struct nf_backend_ops *ops = &nf_backend_sim_ops;
        struct nf_sim_config *c = ops->conf_new();
        struct nf_check_error e;
        struct nf_clock_spec spec;
        char err[256];

        (void)state;
        assert_non_null(c);
        nf_backend_clock(ops, c, &spec);
        assert_int_equal(spec.kind, NF_CLOCK_REAL);
        assert_true(spec.speed == 1.0);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "clock", "virtual", err, sizeof(err)), 0);
        nf_backend_clock(ops, c, &spec);
        assert_int_equal(spec.kind, NF_CLOCK_VIRTUAL);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "clock", "real", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "speed", "60", err, sizeof(err)), 0);
        nf_backend_clock(ops, c, &spec);
        assert_int_equal(spec.kind, NF_CLOCK_REAL);
        assert_true(spec.speed == 60.0);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "speed", "0", err, sizeof(err)), -ERANGE);
        assert_string_equal(err, "'0' is not above 0");
        assert_int_equal(ops->conf_key(c, NULL, NULL, "nodes", "3", err, sizeof(err)), 0);
        assert_int_equal(c->nr_nodes, 3);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "nodes", "65", err, sizeof(err)), -ERANGE);
        assert_int_equal(c->nr_nodes, 3);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "colour", "red", err, sizeof(err)), -ENOENT);
        assert_int_equal(ops->conf_key(c, "vm", "web", "memory", "1G", err, sizeof(err)), -ENOENT);

        /* A VM appears with its first key and takes the rest in its own section. */
        assert_int_equal(ops->conf_key(c, "sim.vm", "web", "memory", "1G", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(c, "sim.vm", "web", "flip_rate", "70/s", err, sizeof(err)),
                         0);
        assert_int_equal(ops->conf_key(c, "sim.vm", "db", "memory", "2G", err, sizeof(err)), 0);
        assert_int_equal(c->nr_vms, 2);
        assert_int_equal(c->vm[0].memory_pages, GIB_PAGES);
        assert_true(c->vm[0].flip_rate == 70);
        assert_int_equal(c->vm[0].home, NF_SIM_HOME_AUTO);
        assert_int_equal(ops->conf_check(c, &e), 0);

        /* Checks name the section and both keys of a contradiction. */
        assert_int_equal(ops->conf_key(c, NULL, NULL, "node_size", "1G", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_check(c, &e), -EINVAL);
        assert_string_equal(e.section, "sim");
        assert_string_equal(e.key, "cvm_memory");
        assert_string_equal(e.other_key, "node_size");
        assert_int_equal(ops->conf_key(c, NULL, NULL, "cvm_memory", "0", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_check(c, &e), -EINVAL);
        assert_string_equal(e.section, "sim.vm db");
        assert_string_equal(e.key, "memory");
        assert_string_equal(e.other_section, "sim");
        assert_string_equal(e.other_key, "node_size");
        ops->conf_free(c);
}

/* The config's VM list grows as needed, copies deeply and is freed by clear. */
static void test_config_vm_list(void **state)
{
        struct nf_sim_config c, d;
        char name[16];

        (void)state;
        memset(&d, 0, sizeof(d));
        nf_sim_config_defaults(&c);
        for (int i = 0; i < 1000; i++) {
                snprintf(name, sizeof(name), "vm%d", i);
                struct nf_sim_vm_config *v = nf_sim_config_add_vm(&c, name);
                assert_non_null(v);
                v->memory_pages = 1;
        }
        assert_int_equal(c.nr_vms, 1000);
        assert_string_equal(c.vm[999].name, "vm999");
        assert_int_equal(nf_sim_config_validate(&c, NULL), 0);
        assert_int_equal(nf_sim_config_copy(&d, &c), 0);
        assert_ptr_not_equal(d.vm, c.vm);
        assert_int_equal(d.nr_vms, 1000);
        d.vm[0].memory_pages = 5;
        assert_int_equal(c.vm[0].memory_pages, 1);
        nf_sim_config_clear(&c);
        assert_null(c.vm);
        assert_int_equal(c.nr_vms, 0);
        nf_sim_config_clear(&d);
}

static void test_registry(void **state)
{
        const struct nf_backend_ops *auto_ops;
        const struct nf_backend_ops *const *all;
        size_t n;
        char err[512] = "";

        (void)state;
        assert_ptr_equal(nf_backend_find("sim"), &nf_backend_sim_ops);
        assert_ptr_equal(nf_backend_find("xen"), &nf_backend_xen_ops);
        assert_ptr_equal(nf_backend_find("linux"), &nf_backend_linux_ops);
        assert_string_equal(nf_backend_xen_ops.name, "xen");
        assert_string_equal(nf_backend_linux_ops.name, "linux");
        assert_true(nf_backend_sim_ops.compiled_in);
        assert_null(nf_backend_find("kvm"));
        assert_null(nf_backend_find(""));
        assert_null(nf_backend_find(NULL));
        assert_null(nf_backend_find("auto")); /* a choice, not a backend */
        all = nf_backends(&n);
        assert_int_equal(n, 3);
        assert_ptr_equal(all[0], &nf_backend_xen_ops);
        assert_ptr_equal(all[2], &nf_backend_sim_ops);

        assert_null(nf_backend_choose("kvm", err, sizeof(err)));
        assert_string_equal(err, "unknown backend 'kvm' (known: auto, xen, linux, sim)");
        assert_ptr_equal(nf_backend_choose("sim", err, sizeof(err)), &nf_backend_sim_ops);
        assert_string_equal(err, "");
        /* auto never picks the model: a host config must not run a simulation. */
        auto_ops = nf_backend_choose("auto", err, sizeof(err));
        assert_ptr_not_equal(auto_ops, &nf_backend_sim_ops);
        assert_null(strstr(err, "sim: chosen"));
        if (auto_ops)
                assert_true(auto_ops->compiled_in);

        if (nf_backend_xen_ops.compiled_in || nf_backend_linux_ops.compiled_in)
                return; /* the rest is about a build with only the sim */

        assert_null(auto_ops);
        assert_string_equal(err, "auto: no backend serves this host (xen: not compiled in; linux: "
                                 "not compiled in); the simulator runs only as backend = sim");
        struct nf_backend *be = (struct nf_backend *)&n;
        assert_int_equal(nf_backend_xen_ops.open(NULL, &be, err, sizeof(err)), -ENOTSUP);
        assert_null(be);
        assert_string_equal(err,
                            "backend 'xen' is not compiled in (configure with -DNF_WITH_XEN=ON)");
        assert_int_equal(nf_backend_linux_ops.open(NULL, &be, err, sizeof(err)), -ENOTSUP);
        assert_non_null(strstr(err, "backend 'linux' is not compiled in"));
        assert_non_null(strstr(err, "-DNF_WITH_LINUX=ON"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_validate_names_field),
            cmocka_unit_test(test_virtual_clock_ignores_speed),
            cmocka_unit_test(test_paper_drift),
            cmocka_unit_test(test_vm_on_cvm_node_stays_local),
            cmocka_unit_test(test_hour_is_fast),
            cmocka_unit_test(test_fractional_rate_carries),
            cmocka_unit_test(test_idle_host_skips_ahead),
            cmocka_unit_test(test_determinism),
            cmocka_unit_test(test_invariants_random_run),
            cmocka_unit_test(test_cvm_node_exhausted),
            cmocka_unit_test(test_host_full_drops),
            cmocka_unit_test(test_pool_sized_to_burst),
            cmocka_unit_test(test_pool_too_small_falls_back),
            cmocka_unit_test(test_pool_on_starved_node_is_empty),
            cmocka_unit_test(test_pool_set_get),
            cmocka_unit_test(test_migrate),
            cmocka_unit_test(test_migrate_refusals),
            cmocka_unit_test(test_reconfigure_add_remove),
            cmocka_unit_test(test_reconfigure_rejects),
            cmocka_unit_test(test_reconfigure_memory_pressure),
            cmocka_unit_test(test_reconfigure_repin_and_migratable),
            cmocka_unit_test(test_guest_listing),
            cmocka_unit_test(test_backend_ops),
            cmocka_unit_test(test_backend_open_errors),
            cmocka_unit_test(test_backend_config),
            cmocka_unit_test(test_config_vm_list),
            cmocka_unit_test(test_registry),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
