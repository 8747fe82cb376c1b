/* Unit tests for numaflipd's config: defaults, every key, every error message, policy sources. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nf_config.h"
#include "numaflip/backend.h"
#include "nf_proto.h"
#include "nf_report.h"
#include "nf_sim.h"
#include "nf_units.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)
#define SEC NF_NS_PER_SEC
#define MS NF_NS_PER_MS

/* The sim backend's own part of a config. */
static const struct nf_sim_config *sim_conf(const struct nf_config *c)
{
        const struct nf_sim_config *s = nf_config_backend(c, &nf_backend_sim_ops);
        assert_non_null(s);
        return s;
}

/* A config that must load; fails the test with the error otherwise. */
static struct nf_config *load_ok(const char *text)
{
        struct nf_config *c = NULL;
        char err[NF_ERR_MAX] = "";
        int rc = nf_config_load_string(text, "test.conf", &c, err, sizeof(err));
        if (rc != 0)
                fail_msg("config rejected (%d): %s\n---\n%s", rc, err, text);
        assert_non_null(c);
        return c;
}

/* A config that must fail with exactly msg, leaving *out alone. */
static void expect_err(const char *text, const char *msg)
{
        struct nf_config *sentinel = (struct nf_config *)&sentinel;
        struct nf_config *c = sentinel;
        char err[NF_ERR_MAX] = "";
        int rc = nf_config_load_string(text, "test.conf", &c, err, sizeof(err));
        if (rc != -EINVAL || strcmp(err, msg) != 0)
                fail_msg("rc %d, error\n  \"%s\"\nwant\n  \"%s\"\n---\n%s", rc, err, msg, text);
        assert_ptr_equal(c, sentinel);
}

struct bad {
        const char *text;
        const char *msg;
};

static void expect_errs(const struct bad *t, size_t n)
{
        for (size_t i = 0; i < n; i++)
                expect_err(t[i].text, t[i].msg);
}

static void test_builtin_defaults(void **state)
{
        (void)state;
        struct nf_config *fresh = nf_config_new();
        struct nf_config *c = load_ok("; nothing but a comment\n\n");
        struct nf_policy_params pol;
        struct nf_pool_params pool;
        struct nf_sim_config sim;

        assert_non_null(fresh);
        nf_policy_defaults(&pol);
        nf_poolsize_defaults(&pool);
        pool.mode = NF_POOL_OFF; /* pools are opt-in */
        nf_sim_config_defaults(&sim);
        for (int i = 0; i < 2; i++) {
                const struct nf_config *x = i ? c : fresh;
                assert_string_equal(x->backend, "auto");
                assert_string_equal(x->socket_path, NF_DEFAULT_SOCKET);
                assert_string_equal(x->socket_group, "");
                assert_int_equal(x->socket_mode, 0660);
                assert_int_equal(x->poll_ns, 5 * SEC);
                assert_int_equal(x->log_level, NF_LOG_INFO);
                assert_int_equal(x->global_rate_limit, GIB);
                assert_int_equal(x->batch_time_ns, 100 * MS);
                assert_int_equal(x->defaults.set, 0);
                assert_memory_equal(&x->defaults.v, &pol, sizeof(pol));
                assert_memory_equal(&x->pool, &pool, sizeof(pool));
                assert_int_equal(x->pool.nodes, 0);
                const struct nf_sim_config *xs = sim_conf(x);
                assert_int_equal(xs->nr_vms, 0);
                assert_int_equal(xs->nr_nodes, sim.nr_nodes);
                assert_int_equal(xs->node_pages, sim.node_pages);
                assert_int_equal(xs->cvm_pages, sim.cvm_pages);
                assert_int_equal(xs->step_ns, sim.step_ns);
                assert_int_equal(xs->clock, sim.clock);
                assert_int_equal(xs->seed, sim.seed);
                assert_string_equal(x->ignored, "");
                assert_int_equal(x->nr_vms, 0);
                assert_null(x->vms);
        }
        assert_string_equal(c->path, "test.conf");
        assert_string_equal(fresh->path, "");
        nf_config_free(fresh);
        nf_config_free(c);
        nf_config_free(NULL);
}

static void test_daemon_keys(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[daemon]\n"
                                      "backend = sim\n"
                                      "socket = /tmp/nf test.sock\n"
                                      "socket_group = numaflip\n"
                                      "socket_mode = 0660\n"
                                      "poll = 1m30s\n"
                                      "log_level = debug\n"
                                      "rate_limit = 512MiB/s\n"
                                      "batch_time = 250ms\n");
        assert_string_equal(c->backend, "sim");
        assert_string_equal(c->socket_path, "/tmp/nf test.sock");
        assert_string_equal(c->socket_group, "numaflip");
        assert_int_equal(c->socket_mode, 0660);
        assert_int_equal(c->poll_ns, 90 * SEC);
        assert_int_equal(c->log_level, NF_LOG_DEBUG);
        assert_int_equal(c->global_rate_limit, 512 * MIB);
        assert_int_equal(c->batch_time_ns, 250 * MS);
        nf_config_free(c);

        static const char *const backends[] = {"auto", "xen", "linux", "sim"};
        for (size_t i = 0; i < 4; i++) {
                char text[64];
                snprintf(text, sizeof(text), "[daemon]\nbackend=%s\n", backends[i]);
                c = load_ok(text);
                assert_string_equal(c->backend, backends[i]);
                nf_config_free(c);
        }
        c = load_ok("[daemon]\npoll = 1ms\nrate_limit = unlimited\nsocket_mode = 777\n"
                    "log_level = err\n");
        assert_int_equal(c->poll_ns, MS);
        assert_int_equal(c->global_rate_limit, 0);
        assert_int_equal(c->socket_mode, 0777);
        assert_int_equal(c->log_level, NF_LOG_ERR);
        nf_config_free(c);
}

static void test_defaults_keys(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[defaults]\n"
                                      "mode = periodic\n"
                                      "period = 10m\n"
                                      "threshold = 0.1\n"
                                      "target = 3%\n"
                                      "cooldown = 500ms\n"
                                      "rate_limit = 64MiB/s\n"
                                      "batch = 16MiB\n"
                                      "dry_run = yes\n");
        const struct nf_policy_layer *l = &c->defaults;
        assert_int_equal(l->set, (1u << NF_PF_COUNT) - 1);
        assert_int_equal(l->v.mode, NF_MODE_PERIODIC);
        assert_int_equal(l->v.period_ns, 600 * SEC);
        assert_true(l->v.threshold == 0.1);
        assert_true(l->v.target == 0.03);
        assert_int_equal(l->v.cooldown_ns, 500 * MS);
        assert_int_equal(l->v.rate_limit, 64 * MIB);
        assert_int_equal(l->v.batch_pages, 16 * MIB / NF_PAGE_SIZE);
        assert_true(l->v.dry_run);
        for (int f = 0; f < NF_PF_COUNT; f++)
                assert_int_equal(l->line[f], (unsigned)f + 2);
        nf_config_free(c);

        /* The other modes, and batch in pages. */
        static const struct {
                const char *mode;
                enum nf_mode want;
        } modes[] = {
            {"off", NF_MODE_OFF}, {"monitor", NF_MODE_MONITOR}, {"threshold", NF_MODE_THRESHOLD}};
        for (size_t i = 0; i < 3; i++) {
                char text[96];
                snprintf(text, sizeof(text), "[defaults]\nmode = %s\nbatch = 7 pages\n",
                         modes[i].mode);
                c = load_ok(text);
                assert_int_equal(c->defaults.v.mode, modes[i].want);
                assert_int_equal(c->defaults.v.batch_pages, 7);
                assert_int_equal(c->defaults.set, 1u << NF_PF_MODE | 1u << NF_PF_BATCH);
                nf_config_free(c);
        }
}

static void test_pool_keys(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[pool]\n"
                                      "mode = dynamic\n"
                                      "size = 128 pages\n"
                                      "min = 64KiB\n"
                                      "max = 64MiB\n"
                                      "interval = 2s\n"
                                      "grow_above = 80%\n"
                                      "shrink_below = 0.1\n"
                                      "step = 25%\n"
                                      "nodes = 0,2-3\n");
        assert_int_equal(c->pool.mode, NF_POOL_DYNAMIC);
        assert_int_equal(c->pool.size, 128);
        assert_int_equal(c->pool.min, 16);
        assert_int_equal(c->pool.max, 64 * MIB / NF_PAGE_SIZE);
        assert_int_equal(c->pool.interval_ns, 2 * SEC);
        assert_true(c->pool.grow_above == 0.8);
        assert_true(c->pool.shrink_below == 0.1);
        assert_true(c->pool.step == 0.25);
        assert_int_equal(c->pool.nodes, NF_NODE_BIT(0) | NF_NODE_BIT(2) | NF_NODE_BIT(3));
        nf_config_free(c);

        c = load_ok("[pool]\nmode = static\nsize = 1MiB\n");
        assert_int_equal(c->pool.mode, NF_POOL_STATIC);
        assert_int_equal(c->pool.size, 256);
        nf_config_free(c);
}

static void test_sim_keys(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[sim]\n"
                                      "seed = 1234567890123\n"
                                      "nodes = 4\n"
                                      "node_size = 4GiB\n"
                                      "cvm_node = 3\n"
                                      "cvm_memory = 512MiB\n"
                                      "step = 250ms\n"
                                      "clock = virtual\n"
                                      "speed = 2.5\n"
                                      "migrate_cost = 20us\n"
                                      "[sim.vm web1]\n"
                                      "memory = 1GiB\n"
                                      "home = 2\n"
                                      "flip_rate = 1.5k/s\n"
                                      "migratable = no\n"
                                      "[sim.vm db1]\n"
                                      "flip_rate = 600/m\n");
        const struct nf_sim_config *s = sim_conf(c);
        assert_int_equal(s->seed, 1234567890123ull);
        assert_int_equal(s->nr_nodes, 4);
        assert_int_equal(s->node_pages, 4 * GIB / NF_PAGE_SIZE);
        assert_int_equal(s->cvm_node, 3);
        assert_int_equal(s->migrate_cost_ns, 20000);
        assert_int_equal(s->cvm_pages, 512 * MIB / NF_PAGE_SIZE);
        assert_int_equal(s->step_ns, 250 * MS);
        assert_int_equal(s->clock, NF_CLOCK_VIRTUAL);
        assert_true(s->speed == 2.5);
        assert_int_equal(s->nr_vms, 2);
        assert_string_equal(s->vm[0].name, "web1");
        assert_int_equal(s->vm[0].memory_pages, GIB / NF_PAGE_SIZE);
        assert_int_equal(s->vm[0].home, 2);
        assert_true(s->vm[0].flip_rate == 1500.0);
        assert_false(s->vm[0].migratable);
        /* Unset keys of a simulated VM: 1 GiB, home chosen by the host, migratable. */
        assert_string_equal(s->vm[1].name, "db1");
        assert_int_equal(s->vm[1].memory_pages, GIB / NF_PAGE_SIZE);
        assert_int_equal(s->vm[1].home, NF_SIM_HOME_AUTO);
        assert_true(s->vm[1].flip_rate == 10.0);
        assert_true(s->vm[1].migratable);
        nf_config_free(c);

        /* Clock real is the default; the sim asks the daemon for the clock it wants. */
        c = load_ok("[sim]\nnodes = 1\nclock = real\n[sim.vm a]\nmemory = 4096 pages\n");
        assert_int_equal(sim_conf(c)->clock, NF_CLOCK_REAL);
        assert_int_equal(sim_conf(c)->vm[0].memory_pages, 4096);
        struct nf_clock_spec spec;
        nf_backend_clock(&nf_backend_sim_ops, sim_conf(c), &spec);
        assert_int_equal(spec.kind, NF_CLOCK_REAL);
        nf_config_free(c);
        c = load_ok("[sim]\nclock = virtual\n");
        nf_backend_clock(&nf_backend_sim_ops, sim_conf(c), &spec);
        assert_int_equal(spec.kind, NF_CLOCK_VIRTUAL);
        nf_config_free(c);

        /* A home left to the host is checked against [sim] nodes wherever that is. */
        c = load_ok("[sim.vm a]\nmemory = 8MiB\n[sim]\nnodes = 1\n");
        assert_int_equal(sim_conf(c)->vm[0].home, NF_SIM_HOME_AUTO);
        nf_config_free(c);
}

static void test_vm_keys(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[vm web1]\n"
                                      "mode = monitor\n"
                                      "home = 1,3\n"
                                      "dry_run = on\n"
                                      "batch = 3 pages\n"
                                      "[vm db1]\n"
                                      "threshold = 10%\n");
        assert_int_equal(c->nr_vms, 2);
        const struct nf_vm_config *w = nf_config_vm(c, "web1");
        const struct nf_vm_config *d = nf_config_vm(c, "db1");
        assert_ptr_equal(d, &c->vms[0]); /* sorted by name, for lookups */
        assert_ptr_equal(w, &c->vms[1]);
        assert_null(nf_config_vm(c, "web"));
        assert_null(nf_config_vm(c, "web1 "));
        assert_string_equal(w->name, "web1");
        assert_int_equal(w->line, 1);
        assert_int_equal(w->home, NF_NODE_BIT(1) | NF_NODE_BIT(3));
        assert_int_equal(w->policy.set, 1u << NF_PF_MODE | 1u << NF_PF_DRY_RUN | 1u << NF_PF_BATCH);
        assert_int_equal(w->policy.v.mode, NF_MODE_MONITOR);
        assert_true(w->policy.v.dry_run);
        assert_int_equal(w->policy.v.batch_pages, 3);
        assert_int_equal(w->policy.line[NF_PF_BATCH], 5);
        assert_int_equal(w->policy.line[NF_PF_MODE], 2);
        assert_int_equal(w->policy.line[NF_PF_DRY_RUN], 4);
        assert_int_equal(d->line, 6);
        assert_int_equal(d->home, 0);
        assert_int_equal(d->policy.set, 1u << NF_PF_THRESHOLD);
        assert_true(d->policy.v.threshold == 0.1);
        nf_config_free(c);

        /* Blanks around a name are not part of it. */
        c = load_ok("[vm  web1\t ]\nmode = off\n[sim.vm web1 ]\nmemory = 8MiB\n");
        assert_non_null(nf_config_vm(c, "web1"));
        assert_string_equal(sim_conf(c)->vm[0].name, "web1");
        nf_config_free(c);
}

static void test_value_errors(void **state)
{
        (void)state;
        static const struct bad t[] = {
            /* [daemon] */
            {"[daemon]\nbackend = kvm\n",
             "test.conf:2: [daemon] backend: unknown backend 'kvm' (expected auto, xen, linux or "
             "sim)"},
            {"[daemon]\nsocket = relative.sock\n",
             "test.conf:2: [daemon] socket: 'relative.sock' is not an absolute path"},
            {"[daemon]\nsocket_group = "
             "ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\n",
             "test.conf:2: [daemon] socket_group: longer than 63 characters"},
            {"[daemon]\nsocket_mode = 0400\n",
             "test.conf:2: [daemon] socket_mode: invalid mode '0400' (octal, at most 0777, owner "
             "rw required)"},
            {"[daemon]\nsocket_mode = 1777\n",
             "test.conf:2: [daemon] socket_mode: invalid mode '1777' (octal, at most 0777, owner "
             "rw required)"},
            {"[daemon]\nsocket_mode = 0689\n",
             "test.conf:2: [daemon] socket_mode: invalid mode '0689' (octal, at most 0777, owner "
             "rw required)"},
            {"[daemon]\npoll = 500us\n",
             "test.conf:2: [daemon] poll: '500us' is below the minimum 1ms"},
            {"[daemon]\nbatch_time = 100us\n",
             "test.conf:2: [daemon] batch_time: '100us' is below the minimum 1ms"},
            {"[sim]\nmigrate_cost = 2ms\n",
             "test.conf:2: [sim] migrate_cost: '2ms' is above the maximum 1ms"},
            {"[daemon]\npoll = soon\n",
             "test.conf:2: [daemon] poll: invalid duration 'soon': expected a number"},
            {"[daemon]\nlog_level = loud\n",
             "test.conf:2: [daemon] log_level: invalid log level 'loud' (expected err, warning, "
             "notice, info or debug)"},
            {"[daemon]\nrate_limit = fast\n",
             "test.conf:2: [daemon] rate_limit: invalid rate 'fast': expected a number"},
            /* [defaults], and the same parsers in [vm NAME] */
            {"[defaults]\nmode = always\n",
             "test.conf:2: [defaults] mode: invalid mode 'always' (expected off, monitor, "
             "periodic or threshold)"},
            {"[defaults]\nperiod = 5x\n",
             "test.conf:2: [defaults] period: invalid duration '5x': unknown unit 'x'"},
            {"[defaults]\n\nthreshold = 5x%\n",
             "test.conf:3: [defaults] threshold: invalid share '5x%': unknown unit 'x%'"},
            {"[defaults]\ntarget = 120%\n",
             "test.conf:2: [defaults] target: invalid share '120%': above 100%"},
            {"[defaults]\ncooldown = -1s\n",
             "test.conf:2: [defaults] cooldown: invalid duration '-1s': negative values are not "
             "allowed"},
            {"[defaults]\nrate_limit = 5 parsecs\n",
             "test.conf:2: [defaults] rate_limit: invalid rate '5 parsecs': unknown unit "
             "'parsecs'"},
            {"[defaults]\nbatch = 0\n",
             "test.conf:2: [defaults] batch: '0' is below the minimum 1 page"},
            {"[defaults]\nbatch = 1000\n",
             "test.conf:2: [defaults] batch: invalid size '1000': not a multiple of the page size "
             "(4096 bytes)"},
            {"[defaults]\ndry_run = maybe\n",
             "test.conf:2: [defaults] dry_run: invalid boolean 'maybe': expected yes/no, "
             "true/false, on/off or 1/0"},
            {"[vm web1]\nthreshold = lots\n",
             "test.conf:2: [vm web1] threshold: invalid share 'lots': expected a number"},
            {"[vm web1]\nmode = sometimes\n",
             "test.conf:2: [vm web1] mode: invalid mode 'sometimes' (expected off, monitor, "
             "periodic or threshold)"},
            {"[vm web1]\nhome = 64\n", "test.conf:2: [vm web1] home: invalid node list '64': node "
                                       "64 does not exist (64 nodes)"},
            /* [pool] */
            {"[pool]\nmode = huge\n",
             "test.conf:2: [pool] mode: invalid mode 'huge' (expected off, static or dynamic)"},
            {"[pool]\nsize = big\n", "test.conf:2: [pool] size: invalid size 'big': expected a "
                                     "number"},
            {"[pool]\nmin = 1\n", "test.conf:2: [pool] min: invalid size '1': not a "
                                  "multiple of the page size (4096 bytes)"},
            {"[pool]\nmax = -4\n", "test.conf:2: [pool] max: invalid size '-4': negative values "
                                   "are not allowed"},
            {"[pool]\ninterval = 1y\n",
             "test.conf:2: [pool] interval: invalid duration '1y': unknown unit 'y'"},
            {"[pool]\ngrow_above = 2\n",
             "test.conf:2: [pool] grow_above: invalid share '2': above 1 (write a percentage with "
             "'%', e.g. '5%')"},
            {"[pool]\nshrink_below = x\n",
             "test.conf:2: [pool] shrink_below: invalid share 'x': expected a number"},
            {"[pool]\nstep = 10%%\n",
             "test.conf:2: [pool] step: invalid share '10%%': unknown unit '%%'"},
            {"[pool]\nnodes = 1-\n",
             "test.conf:2: [pool] nodes: invalid node list '1-': expected a node number or a "
             "range like 0-3"},
            /* [sim] */
            {"[sim]\nseed = -1\n",
             "test.conf:2: [sim] seed: invalid number '-1': negative values are not allowed"},
            {"[sim]\nnodes = 0\n", "test.conf:2: [sim] nodes: '0' is below the minimum 1"},
            {"[sim]\nnodes = 65\n", "test.conf:2: [sim] nodes: '65' is above the maximum 64"},
            {"[sim]\nnode_size = 1GB/s\n",
             "test.conf:2: [sim] node_size: invalid size '1GB/s': unknown unit 'GB/s'"},
            {"[sim]\ncvm_node = 64\n", "test.conf:2: [sim] cvm_node: '64' is above the maximum 63"},
            {"[sim]\ncvm_memory = 1.5\n",
             "test.conf:2: [sim] cvm_memory: invalid size '1.5': not a multiple of the page "
             "size (4096 bytes)"},
            {"[sim]\nstep = fast\n",
             "test.conf:2: [sim] step: invalid duration 'fast': expected a number"},
            {"[sim]\nclock = wall\n",
             "test.conf:2: [sim] clock: invalid clock 'wall' (expected real or virtual)"},
            {"[sim]\nspeed = 0\n", "test.conf:2: [sim] speed: '0' is not above 0"},
            {"[sim]\nspeed = 1e7\n", "test.conf:2: [sim] speed: '1e7' is above the maximum 1e+06"},
            {"[sim]\nspeed = nan\n", "test.conf:2: [sim] speed: 'nan' is not above 0"},
            {"[sim]\nspeed = 2x\n", "test.conf:2: [sim] speed: invalid number '2x'"},
            /* [sim.vm NAME] */
            {"[sim.vm web1]\nmemory = lots\n",
             "test.conf:2: [sim.vm web1] memory: invalid size 'lots': expected a number"},
            {"[sim.vm web1]\nhome = 64\n",
             "test.conf:2: [sim.vm web1] home: '64' is above the maximum 63"},
            {"[sim.vm web1]\nflip_rate = fast\n",
             "test.conf:2: [sim.vm web1] flip_rate: invalid event rate 'fast': expected a number"},
            {"[sim.vm web1]\nmigratable = perhaps\n",
             "test.conf:2: [sim.vm web1] migratable: invalid boolean 'perhaps': expected yes/no, "
             "true/false, on/off or 1/0"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));

        /* A socket path must fit in sockaddr_un: 107 characters do, 108 do not. */
        char text[256], path[128];
        memset(path, 'a', sizeof(path));
        path[0] = '/';
        path[107] = '\0';
        snprintf(text, sizeof(text), "\n[daemon]\nsocket = %s\n", path);
        struct nf_config *c = load_ok(text);
        assert_string_equal(c->socket_path, path);
        nf_config_free(c);
        path[107] = 'a';
        path[108] = '\0';
        snprintf(text, sizeof(text), "\n[daemon]\nsocket = %s\n", path);
        expect_err(text, "test.conf:3: [daemon] socket: longer than 107 characters");
}

/* The message for an unknown section: the daemon's sections, then those of every
 * backend built in (which depends on the build). */
static const char *unknown_section(unsigned line, const char *name, char *buf, size_t len)
{
        size_t nb, used;
        const struct nf_backend_ops *const *be = nf_backends(&nb);
        used = (size_t)snprintf(buf, len,
                                "test.conf:%u: [%s]: unknown section (expected daemon, defaults, "
                                "pool, vm NAME",
                                line, name);
        for (size_t i = 0; i < nb; i++)
                if (be[i]->compiled_in && be[i]->conf_sections)
                        used +=
                            (size_t)snprintf(buf + used, len - used, ", %s", be[i]->conf_sections);
        snprintf(buf + used, len - used, ")");
        return buf;
}

static void test_structure_errors(void **state)
{
        (void)state;
        char want[256];
        expect_err("[daemon]\nbackend = sim\n[deamon]\nbackend = sim\n",
                   unknown_section(3, "deamon", want, sizeof(want)));
        assert_non_null(strstr(want, "vm NAME, ")); /* then the backends', sim last */
        assert_non_null(strstr(want, ", sim, sim.vm NAME)"));
        static const struct bad t[] = {
            {"[vm]\nmode = off\n", "test.conf:1: [vm]: section needs a name, e.g. [vm web1]"},
            {"[daemon]\npoll_interval = 1s\n", "test.conf:2: [daemon] poll_interval: unknown key"},
            {"[defaults]\nhome = 1\n", "test.conf:2: [defaults] home: unknown key"},
            {"[vm a]\nspeed = 1\n", "test.conf:2: [vm a] speed: unknown key"},
            {"[pool]\nthreshold = 5%\n", "test.conf:2: [pool] threshold: unknown key"},
            {"[sim]\nmemory = 1G\n", "test.conf:2: [sim] memory: unknown key"},
            {"[sim.vm a]\nmode = off\n", "test.conf:2: [sim.vm a] mode: unknown key"},
            {"; a comment\nbackend = sim\n", "test.conf:2: backend: key outside any section"},
            {"[daemon]\nbackend = sim\nthis line is nonsense\n",
             "test.conf:3: syntax error (expected [section], key = value or a comment)"},
            {"[daemon\nbackend = sim\n",
             "test.conf:1: syntax error (expected [section], key = value or a comment)"},
            /* The first error is reported, not a later one, whichever kind it is. */
            {"[daemon]\nnonsense\nbackend = kvm\n",
             "test.conf:2: syntax error (expected [section], key = value or a comment)"},
            {"[daemon]\nbackend = kvm\nnonsense\n",
             "test.conf:2: [daemon] backend: unknown backend 'kvm' (expected auto, xen, linux or "
             "sim)"},
            {"[daemon]\npoll = never\nbackend = kvm\n",
             "test.conf:2: [daemon] poll: invalid duration 'never': expected a number"},
            {"[vm ]\nmode = off\n", "test.conf:1: [vm]: section needs a name, e.g. [vm web1]"},
            {"[vm \t ]\nmode = off\n", "test.conf:1: [vm]: section needs a name, e.g. [vm web1]"},
            {"[sim.vm ]\nmemory = 1G\n",
             "test.conf:1: [sim.vm]: section needs a name, e.g. [sim.vm web1]"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));
}

/* Policy checks that need the whole file name the section's header line and the key. */
static void test_cross_field_errors(void **state)
{
        (void)state;
        static const struct bad t[] = {
            {"[daemon]\nbackend = sim\n[defaults]\nthreshold = 2%\ntarget = 3%\n",
             "test.conf:5: [defaults] target: 3% is above the threshold 2% (threshold: line 4)"},
            /* [defaults] alone is fine; the VM inherits threshold and breaks it. */
            {"[defaults]\nthreshold = 10%\ntarget = 5%\n\n[vm web1]\nthreshold = 4%\n",
             "test.conf:5: [vm web1] target: 5% is above the threshold 4% (target: [defaults] line "
             "3) (threshold: line 6)"},
            {"[vm a]\nmode = off\n[vm b]\nmode = periodic\nperiod = 0\n",
             "test.conf:5: [vm b] period: '0' is below the minimum 1ms"},
            {"[defaults]\nmode = periodic\nperiod = 0s\n",
             "test.conf:3: [defaults] period: '0s' is below the minimum 1ms"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));

        /* A threshold the mode never looks at does not get in the way of a target. */
        struct nf_config *c = load_ok("[defaults]\nmode = periodic\nthreshold = 1%\ntarget = 3%\n"
                                      "[vm a]\nmode = off\n");
        nf_config_free(c);
}

/* A section or a key written twice is an error naming both lines: the second would
 * silently win (or, for [vm NAME], merge) and the operator would not know which. */
static void test_duplicates(void **state)
{
        (void)state;
        static const struct bad t[] = {
            {"[vm web1]\nmode = off\n[defaults]\nmode = monitor\n[vm web1]\nthreshold = 5%\n",
             "test.conf:5: [vm web1]: second section of that name (the first is at line 1)"},
            {"[vm  web1 ]\n[vm web1]\n",
             "test.conf:2: [vm web1]: second section of that name (the first is at line 1)"},
            {"[daemon]\npoll = 1s\n[daemon]\nlog_level = info\n",
             "test.conf:3: [daemon]: second section of that name (the first is at line 1)"},
            {"[pool]\n[defaults]\n[pool]\n",
             "test.conf:3: [pool]: second section of that name (the first is at line 1)"},
            {"[sim]\nnodes = 1\n[sim.vm a]\nmemory = 8MiB\n[sim]\nnodes = 3\n",
             "test.conf:5: [sim]: second section of that name (the first is at line 1)"},
            {"[sim.vm a]\nmemory = 8MiB\n[sim.vm a]\nhome = 0\n",
             "test.conf:3: [sim.vm a]: second section of that name (the first is at line 1)"},
            {"[defaults]\nthreshold = 5%\ntarget = 1%\nthreshold = 6%\n",
             "test.conf:4: [defaults] threshold: set twice in this section (first at line 2)"},
            {"[vm a]\nhome = 1\nhome = 0\n",
             "test.conf:3: [vm a] home: set twice in this section (first at line 2)"},
            {"[sim.vm a]\nmemory = 1G\n\nmemory = 2G\n",
             "test.conf:4: [sim.vm a] memory: set twice in this section (first at line 2)"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));

        /* Different guests, and the same key in different sections, are fine. */
        struct nf_config *c = load_ok("[vm a]\nmode = off\n[vm b]\nmode = off\n[defaults]\n"
                                      "mode = monitor\n[sim.vm a]\n[sim.vm b]\n");
        assert_int_equal(c->nr_vms, 2);
        nf_config_free(c);
}

/* Every pair of keys that can contradict each other: both named, each with its line. */
static void test_contradictions(void **state)
{
        (void)state;
        static const struct bad t[] = {
            /* policy: the stop point above the trigger point */
            {"[defaults]\ntarget = 6%\nthreshold = 5%\n",
             "test.conf:2: [defaults] target: 6% is above the threshold 5% (threshold: line 3)"},
            {"[defaults]\ntarget = 6%\n",
             "test.conf:2: [defaults] target: 6% is above the threshold 5% (threshold: built-in)"},
            {"[defaults]\nthreshold = 1%\n",
             "test.conf:1: [defaults] target: 2% is above the threshold 1% (target: built-in) "
             "(threshold: line 2)"},
            {"[defaults]\nthreshold = 9%\n[vm web1]\ntarget = 10%\n",
             "test.conf:4: [vm web1] target: 10% is above the threshold 9% (threshold: [defaults] "
             "line 2)"},
            /* pool */
            {"[pool]\nmode = static\nmin = 10 pages\nmax = 5 pages\n",
             "test.conf:3: [pool] min: 10 pages is above max (5 pages) (max: line 4)"},
            {"[pool]\nmin = 300000 pages\n",
             "test.conf:2: [pool] min: 300000 pages is above max (262144 pages) (max: built-in)"},
            {"[pool]\nmode = dynamic\nsize = 100 pages\nmax = 50 pages\nmin = 1 page\n",
             "test.conf:3: [pool] size: 100 pages is outside min..max (1..50 pages) (max: line 4)"},
            {"[pool]\nshrink_below = 95%\n",
             "test.conf:2: [pool] shrink_below: 95% must be below grow_above (90%) (grow_above: "
             "built-in)"},
            /* daemon: a socket group that may not connect */
            {"[daemon]\nsocket_group = adm\nsocket_mode = 0604\n",
             "test.conf:3: [daemon] socket_mode: 0604 gives socket_group 'adm' no read and write "
             "access (socket_group: line 2)"},
            {"[daemon]\nsocket_mode = 0600\nsocket_group = adm\n",
             "test.conf:2: [daemon] socket_mode: 0600 gives socket_group 'adm' no read and write "
             "access (socket_group: line 3)"},
            /* sim host and guests */
            {"[sim]\nnodes = 2\ncvm_node = 3\n",
             "test.conf:3: [sim] cvm_node: 3 is not a node (the host has 2) (nodes: line 2)"},
            {"[sim]\ncvm_memory = 9GiB\n",
             "test.conf:2: [sim] cvm_memory: 2359296 pages exceed node_size (2097152 pages) "
             "(node_size: built-in)"},
            {"[sim]\nnodes = 2\n[sim.vm a]\nhome = 2\n",
             "test.conf:4: [sim.vm a] home: 2 is not a node (the host has 2) (nodes: [sim] line "
             "2)"},
            {"[sim]\nnode_size = 1GiB\ncvm_memory = 0\n[sim.vm a]\nmemory = 2GiB\n",
             "test.conf:5: [sim.vm a] memory: 524288 pages do not fit on node 1 (262144 pages, 0 "
             "already used) (node_size: [sim] line 2)"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));
}

/* The policy keys' one table, end to end: written in a file, resolved for a guest, sent
 * as JSON and shown by numaflipctl, each value comes back as it was written. */
static void test_policy_table_round_trip(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[defaults]\n"
                                      "mode = periodic\n"
                                      "period = 10m\n"
                                      "threshold = 12.5%\n"
                                      "target = 3%\n"
                                      "[vm web1]\n"
                                      "cooldown = 1m30s\n"
                                      "rate_limit = 64MiB/s\n"
                                      "batch = 8 pages\n"
                                      "dry_run = yes\n");
        static const char *const shown[NF_PF_COUNT] = {
            [NF_PF_MODE] = "periodic", [NF_PF_PERIOD] = "10m",     [NF_PF_THRESHOLD] = "12.5%",
            [NF_PF_TARGET] = "3%",     [NF_PF_COOLDOWN] = "1m30s", [NF_PF_RATE_LIMIT] = "64 MiB/s",
            [NF_PF_BATCH] = "8 pages", [NF_PF_DRY_RUN] = "yes",
        };
        static const char *const from[NF_PF_COUNT] = {
            [NF_PF_MODE] = "test.conf:2 [defaults]",
            [NF_PF_PERIOD] = "test.conf:3 [defaults]",
            [NF_PF_THRESHOLD] = "test.conf:4 [defaults]",
            [NF_PF_TARGET] = "test.conf:5 [defaults]",
            [NF_PF_COOLDOWN] = "test.conf:7 [vm web1]",
            [NF_PF_RATE_LIMIT] = "test.conf:8 [vm web1]",
            [NF_PF_BATCH] = "test.conf:9 [vm web1]",
            [NF_PF_DRY_RUN] = "test.conf:10 [vm web1]",
        };
        struct nf_policy_params p;
        struct nf_policy_sources src;
        nf_config_policy(c, "web1", &p, &src);
        json_t *j = nf_report_policy(c, "web1", &p, &src);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        j = json_loads(text, 0, NULL); /* through the wire, as numaflipctl gets it */
        free(text);
        assert_non_null(j);
        assert_int_equal(json_object_size(j), NF_PF_COUNT);
        for (int f = 0; f < NF_PF_COUNT; f++) {
                const struct nf_key *k = &nf_policy_keys[f];
                const json_t *e = json_object_get(j, k->name);
                union nf_key_value v;
                char buf[64];
                assert_non_null(e);
                assert_int_equal(nf_proto_key_value(k, json_object_get(e, "value"), &v), 0);
                assert_string_equal(nf_key_format(k, &v, buf, sizeof(buf)), shown[f]);
                assert_string_equal(json_string_value(json_object_get(e, "source")), from[f]);
                /* What is shown parses back to the value the daemon holds. */
                struct nf_policy_params q = p;
                memset((char *)&q + k->offset, 0, k->size);
                assert_int_equal(nf_key_parse(k, &q, buf, NULL, 0), 0);
                assert_memory_equal((char *)&q + k->offset, (char *)&p + k->offset, k->size);
        }
        json_decref(j);
        nf_config_free(c);
}

/* A section of a backend this build lacks is passed over, and the config says so. */
static void test_compiled_out_backend_section(void **state)
{
        (void)state;
        if (nf_backend_xen_ops.compiled_in)
                skip();
        struct nf_config *c = load_ok("[daemon]\nbackend = sim\n[xen]\ndump_interval = 1m\n"
                                      "whatever = 1\n");
        assert_string_equal(c->ignored, "[xen] (line 3): backend xen is not compiled in");
        nf_config_free(c);
}

static void test_pool_validation(void **state)
{
        (void)state;
        static const struct bad t[] = {
            {"[daemon]\n[pool]\nmode = dynamic\nmin = 100 pages\nmax = 50 pages\nsize = 60 pages\n",
             "test.conf:4: [pool] min: 100 pages is above max (50 pages) (max: line 5)"},
            {"[pool]\nmode = dynamic\nsize = 8 pages\nmin = 16 pages\n",
             "test.conf:3: [pool] size: 8 pages is outside min..max (16..262144 pages) (min: line "
             "4)"},
            {"[pool]\nmode = dynamic\nmax = 0\n",
             "test.conf:3: [pool] max: '0' is below the minimum 1 page"},
            {"[pool]\nmode = dynamic\ngrow_above = 20%\nshrink_below = 20%\n",
             "test.conf:4: [pool] shrink_below: 20% must be below grow_above (20%) (grow_above: "
             "line 3)"},
            {"[pool]\nmode = dynamic\nstep = 0\n", "test.conf:3: [pool] step: '0' is not above 0"},
            {"[pool]\nmode = dynamic\ninterval = 0\n",
             "test.conf:3: [pool] interval: '0' is below the minimum 1ms"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));

        /* Static and off pools never look at the dynamic knobs. */
        struct nf_config *c = load_ok("[pool]\nmode = static\nsize = 8 pages\nmin = 16 pages\n");
        nf_config_free(c);
}

static void test_sim_validation(void **state)
{
        (void)state;
        static const struct bad t[] = {
            {"[sim]\nnode_size = 1GiB\ncvm_memory = 2GiB\n",
             "test.conf:3: [sim] cvm_memory: 524288 pages exceed node_size (262144 pages) "
             "(node_size: line 2)"},
            {"[sim]\nnode_size = 0\n",
             "test.conf:2: [sim] node_size: '0' is below the minimum 1 page"},
            {"[sim]\nnodes = 2\ncvm_node = 2\n",
             "test.conf:3: [sim] cvm_node: 2 is not a node (the host has 2) (nodes: line 2)"},
            {"[sim]\nstep = 0\n", "test.conf:2: [sim] step: '0' is below the minimum 1ns"},
            {"[sim]\nstep = 2m\n", "test.conf:2: [sim] step: '2m' is above the maximum 1m"},
            {"[sim]\nnode_size = 1GiB\ncvm_memory = 0\n"
             "[sim.vm a]\nmemory = 512MiB\n\n[sim.vm b]\nmemory = 768MiB\n",
             "test.conf:8: [sim.vm b] memory: 196608 pages do not fit on node 1 (262144 pages, "
             "131072 already used) (node_size: [sim] line 2)"},
            {"[sim]\nnodes = 1\nnode_size = 1GiB\ncvm_memory = 512MiB\n[sim.vm a]\nmemory = "
             "900MiB\n",
             "test.conf:6: [sim.vm a] memory: 230400 pages do not fit on node 0 (262144 pages, "
             "131072 already used) (node_size: [sim] line 3)"},
            {"[sim.vm a]\nmemory = 0\n", "test.conf:2: [sim.vm a] memory: must be positive"},
            {"[sim.vm a]\nhome = 5\n",
             "test.conf:2: [sim.vm a] home: 5 is not a node (the host has 2) (nodes: built-in)"},
            {"[sim.vm a]\nflip_rate = 2M/s\n",
             "test.conf:2: [sim.vm a] flip_rate: must be 0..1000000/s (got 2e+06)"},
            {"[sim.vm Domain-0]\nmemory = 1G\n",
             "test.conf:1: [sim.vm Domain-0]: name is taken by the control domain"},
        };
        expect_errs(t, sizeof(t) / sizeof(t[0]));
}

/* Hosts run hundreds of guests: the sim has no cap, and a big file loads quickly. */
static void test_many_sim_vms(void **state)
{
        (void)state;
        size_t cap = 64 * 1002 + 128, len = 0;
        char *text = malloc(cap);
        assert_non_null(text);
        len += (size_t)snprintf(text + len, cap - len, "[sim]\nnodes=1\nnode_size=1TiB\n");
        for (int i = 0; i < 1000; i++)
                len += (size_t)snprintf(text + len, cap - len, "[sim.vm v%d]\nmemory=1MiB\n", i);
        struct nf_config *c = load_ok(text);
        assert_int_equal(sim_conf(c)->nr_vms, 1000);
        assert_string_equal(sim_conf(c)->vm[999].name, "v999");
        nf_config_free(c);

        /* The same name twice is still one guest written twice. */
        snprintf(text + len, cap - len, "[sim.vm v7]\nmemory=1MiB\n");
        expect_err(text, "test.conf:2004: [sim.vm v7]: second section of that name (the first "
                         "is at line 18)");
        free(text);
}

static void test_policy_sources(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("[defaults]\n"       /* 1 */
                                      "threshold = 8%\n"   /* 2 */
                                      "cooldown = 1m\n"    /* 3 */
                                      "batch = 2MiB\n"     /* 4 */
                                      "[vm web1]\n"        /* 5 */
                                      "cooldown = 10s\n"   /* 6 */
                                      "dry_run = true\n"   /* 7 */
                                      "[vm other]\n"       /* 8 */
                                      "mode = monitor\n"); /* 9 */
        struct nf_policy_params builtin, p;
        struct nf_policy_sources src;
        char buf[128];

        nf_policy_defaults(&builtin);

        /* A guest without a section, and NULL: built-in overlaid with [defaults]. */
        for (int i = 0; i < 2; i++) {
                memset(&src, 0xff, sizeof(src));
                nf_config_policy(c, i ? "db9" : NULL, &p, &src);
                assert_int_equal(p.mode, builtin.mode);
                assert_true(p.threshold == 0.08);
                assert_true(p.target == builtin.target);
                assert_int_equal(p.cooldown_ns, 60 * SEC);
                assert_int_equal(p.batch_pages, 512);
                assert_false(p.dry_run);
                assert_int_equal(src.kind[NF_PF_MODE], NF_SOURCE_BUILTIN);
                assert_int_equal(src.line[NF_PF_MODE], 0);
                assert_int_equal(src.kind[NF_PF_THRESHOLD], NF_SOURCE_DEFAULTS);
                assert_int_equal(src.line[NF_PF_THRESHOLD], 2);
                assert_string_equal(nf_config_source_format(c, i ? "db9" : NULL, &src, NF_PF_MODE,
                                                            buf, sizeof(buf)),
                                    "built-in");
                assert_string_equal(
                    nf_config_source_format(c, NULL, &src, NF_PF_BATCH, buf, sizeof(buf)),
                    "test.conf:4 [defaults]");
        }

        /* web1: its own section wins, [defaults] next, built-in last. */
        nf_config_policy(c, "web1", &p, &src);
        assert_int_equal(p.cooldown_ns, 10 * SEC);
        assert_true(p.dry_run);
        assert_true(p.threshold == 0.08);
        assert_int_equal(p.rate_limit, builtin.rate_limit);
        static const struct {
                enum nf_policy_field f;
                enum nf_source_kind kind;
                unsigned line;
                const char *text;
        } want[] = {
            {NF_PF_MODE, NF_SOURCE_BUILTIN, 0, "built-in"},
            {NF_PF_PERIOD, NF_SOURCE_BUILTIN, 0, "built-in"},
            {NF_PF_THRESHOLD, NF_SOURCE_DEFAULTS, 2, "test.conf:2 [defaults]"},
            {NF_PF_TARGET, NF_SOURCE_BUILTIN, 0, "built-in"},
            {NF_PF_COOLDOWN, NF_SOURCE_VM, 6, "test.conf:6 [vm web1]"},
            {NF_PF_RATE_LIMIT, NF_SOURCE_BUILTIN, 0, "built-in"},
            {NF_PF_BATCH, NF_SOURCE_DEFAULTS, 4, "test.conf:4 [defaults]"},
            {NF_PF_DRY_RUN, NF_SOURCE_VM, 7, "test.conf:7 [vm web1]"},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                assert_int_equal(src.kind[want[i].f], want[i].kind);
                assert_int_equal(src.line[want[i].f], want[i].line);
                assert_string_equal(
                    nf_config_source_format(c, "web1", &src, want[i].f, buf, sizeof(buf)),
                    want[i].text);
        }

        /* other: mode from its section, the rest as for any guest. */
        nf_config_policy(c, "other", &p, NULL); /* sources are optional */
        assert_int_equal(p.mode, NF_MODE_MONITOR);
        assert_int_equal(p.cooldown_ns, 60 * SEC);
        nf_config_policy(c, "other", &p, &src);
        assert_string_equal(nf_config_source_format(c, "other", &src, NF_PF_MODE, buf, 64),
                            "test.conf:9 [vm other]");

        /* A short buffer is truncated, still terminated. */
        assert_string_equal(nf_config_source_format(c, "other", &src, NF_PF_MODE, buf, 8),
                            "test.co");

        static const char *const names[] = {"mode",     "period",     "threshold", "target",
                                            "cooldown", "rate_limit", "batch",     "dry_run"};
        for (int f = 0; f < NF_PF_COUNT; f++)
                assert_string_equal(nf_policy_keys[f].name, names[f]);
        nf_config_free(c);
}

/* Indented keys, CRLF, inline comments and spacing are read the way people write them. */
static void test_layout(void **state)
{
        (void)state;
        struct nf_config *c = load_ok("  [defaults]  \r\n"
                                      "\tthreshold=9% ; trigger\r\n"
                                      "    target   =   4%\r\n"
                                      "# hash comment\n"
                                      "    ; indented comment\n"
                                      "    cooldown = 2s\n"
                                      "[daemon]\n"
                                      "backend = sim");
        assert_true(c->defaults.v.threshold == 0.09);
        assert_true(c->defaults.v.target == 0.04);
        assert_int_equal(c->defaults.v.cooldown_ns, 2 * SEC);
        assert_int_equal(c->defaults.line[NF_PF_TARGET], 3);
        assert_int_equal(c->defaults.line[NF_PF_COOLDOWN], 6);
        assert_string_equal(c->backend, "sim");
        nf_config_free(c);
}

/* Lines longer than inih's buffer are refused by number, not split into two lines. */
static void test_long_lines(void **state)
{
        (void)state;
        char text[1024], want[256];
        char comment[400];
        memset(comment, 'x', sizeof(comment) - 1);
        comment[sizeof(comment) - 1] = '\0';

        /* A long comment is still a comment. */
        snprintf(text, sizeof(text), "[daemon]\n; %s\nbackend = sim\n", comment);
        struct nf_config *c = load_ok(text);
        assert_string_equal(c->backend, "sim");
        nf_config_free(c);

        /* A long value is an error on its own line, and later lines keep their numbers. */
        snprintf(text, sizeof(text), "[daemon]\nsocket_group = %s\n", comment);
        snprintf(want, sizeof(want), "test.conf:2: line longer than 199 characters");
        expect_err(text, want);

        /* 199 characters are a line, with or without its newline; 200 are not. */
        char line[256];
        snprintf(line, sizeof(line), "backend%187s= sim", "");
        assert_int_equal(strlen(line), 199);
        snprintf(text, sizeof(text), "[daemon]\n%s\n[oops]\nx=1\n", line);
        char msg[256];
        expect_err(text, unknown_section(3, "oops", msg, sizeof(msg)));
        snprintf(text, sizeof(text), "[daemon]\n%s", line);
        c = load_ok(text);
        assert_string_equal(c->backend, "sim");
        nf_config_free(c);
        snprintf(line, sizeof(line), "backend%188s= sim", "");
        snprintf(text, sizeof(text), "[daemon]\n%s\n", line);
        expect_err(text, "test.conf:2: line longer than 199 characters");
}

/* A section name inih would cut short is refused instead of matching the wrong guest. */
static void test_long_section_name(void **state)
{
        (void)state;
        char name[NF_NAME_MAX];
        char text[256];
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        snprintf(text, sizeof(text), "[daemon]\n[vm %s]\nmode = off\n", name);
        expect_err(text, "test.conf:2: section name longer than 49 characters");

        name[46] = '\0'; /* "vm " and 46 characters: the longest that fits */
        snprintf(text, sizeof(text), "[vm %s]\nmode = off\n", name);
        struct nf_config *c = load_ok(text);
        assert_non_null(nf_config_vm(c, name));
        nf_config_free(c);
}

static void test_load_file(void **state)
{
        (void)state;
        char path[] = "/tmp/nf_test_config_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *fp = fdopen(fd, "w");
        assert_non_null(fp);
        fputs("[daemon]\nbackend = sim\n[defaults]\nthreshold = 7%\n", fp);
        fclose(fp);

        struct nf_config *c = NULL;
        char err[512] = "untouched";
        assert_int_equal(nf_config_load(path, &c, err, sizeof(err)), 0);
        assert_non_null(c);
        assert_string_equal(c->path, path);
        assert_string_equal(c->backend, "sim");
        struct nf_policy_sources src;
        struct nf_policy_params p;
        char buf[PATH_MAX + 32], want[PATH_MAX + 32];
        nf_config_policy(c, "x", &p, &src);
        snprintf(want, sizeof(want), "%s:4 [defaults]", path);
        assert_string_equal(
            nf_config_source_format(c, "x", &src, NF_PF_THRESHOLD, buf, sizeof(buf)), want);
        nf_config_free(c);

        /* Errors in a file name the file. */
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("[daemon]\n\nlog_level = chatty\n", fp);
        fclose(fp);
        c = (struct nf_config *)&c;
        assert_int_equal(nf_config_load(path, &c, err, sizeof(err)), -EINVAL);
        assert_ptr_equal(c, (struct nf_config *)&c);
        snprintf(want, sizeof(want),
                 "%s:3: [daemon] log_level: invalid log level 'chatty' (expected err, warning, "
                 "notice, info or debug)",
                 path);
        assert_string_equal(err, want);

        /* A file that cannot be opened: -errno and the reason. */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(nf_config_load(path, &c, err, sizeof(err)), -ENOENT);
        assert_ptr_equal(c, (struct nf_config *)&c);
        snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
        assert_string_equal(err, want);

        /* A directory opens but cannot be read: an error, not an empty config. */
        assert_int_equal(nf_config_load("/", &c, err, sizeof(err)), -EISDIR);
        assert_ptr_equal(c, (struct nf_config *)&c);
        assert_string_equal(err, "/: cannot read: Is a directory");
}

/* The installed host config: a real backend, the built-in policy, no simulation. */
static void test_host_config(void **state)
{
        (void)state;
        struct nf_config *c = NULL, *builtin = nf_config_new();
        char err[NF_ERR_MAX] = "";
        const char *path = NF_SOURCE_DIR "/etc/numaflipd.conf";
        int rc = nf_config_load(path, &c, err, sizeof(err));
        if (rc != 0)
                fail_msg("%s: %s", path, err);
        assert_non_null(builtin);
        assert_string_equal(c->backend, "auto");
        assert_string_equal(c->socket_group, "numaflip");
        assert_int_equal(c->poll_ns, builtin->poll_ns);
        /* Its [defaults] spell out the built-in values, so reading it tells the truth. */
        assert_memory_equal(&c->defaults.v, &builtin->defaults.v, sizeof(c->defaults.v));
        assert_int_equal(c->pool.mode, NF_POOL_OFF);
        assert_int_equal(c->nr_vms, 0);
        assert_string_equal(c->ignored, "");
        const struct nf_sim_config *s = sim_conf(c), *d = sim_conf(builtin);
        assert_int_equal(s->nr_vms, 0);
        assert_int_equal(s->seed, d->seed);
        nf_config_free(builtin);
        nf_config_free(c);
}

static void test_demo_config(void **state)
{
        (void)state;
        struct nf_config *c = NULL;
        char err[NF_ERR_MAX] = "";
        const char *path = NF_SOURCE_DIR "/etc/examples/sim-demo.conf";
        int rc = nf_config_load(path, &c, err, sizeof(err));
        if (rc != 0)
                fail_msg("%s: %s", path, err);
        assert_string_equal(c->backend, "sim");
        assert_int_equal(c->poll_ns, SEC);
        assert_int_equal(c->defaults.v.mode, NF_MODE_THRESHOLD);
        assert_int_equal(c->nr_vms, 2);
        assert_non_null(nf_config_vm(c, "db1"));
        assert_int_equal(nf_config_vm(c, "legacy-pv")->policy.v.mode, NF_MODE_MONITOR);
        assert_int_equal(sim_conf(c)->nr_vms, 3);
        assert_false(sim_conf(c)->vm[2].migratable);
        nf_config_free(c);
}

/* The keys numaflipd.conf(5) documents: ".TP" then ".B key" under ".SH [section ...]". */
struct man_keys {
        size_t n;
        char entry[256][64]; /* "section key" */
        size_t checked;
        const char *missing; /* the first key the page lacks, for the message */
        char missing_buf[64];
};

static bool man_has(const struct man_keys *m, const char *entry)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->entry[i], entry) == 0)
                        return true;
        return false;
}

static void man_read(const char *path, struct man_keys *m)
{
        char line[512], section[32] = "";
        bool tp = false;
        FILE *f = fopen(path, "r");

        if (!f)
                fail_msg("%s: cannot open", path);
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, ".SH ", 4) == 0) {
                        /* ".SH [vm NAME]" -> "vm"; other headings end the key lists. */
                        section[0] = '\0';
                        if (line[4] == '[')
                                snprintf(section, sizeof(section), "%.*s",
                                         (int)strcspn(line + 5, " ]"), line + 5);
                } else if (tp && section[0] && strncmp(line, ".B ", 3) == 0 &&
                           !strchr(line + 3, ' ')) {
                        assert_true(m->n < 256);
                        snprintf(m->entry[m->n++], sizeof(m->entry[0]), "%.31s %.31s", section,
                                 line + 3);
                }
                tp = strcmp(line, ".TP") == 0;
        }
        fclose(f);
}

static void man_check(const char *section, const char *key, void *arg)
{
        struct man_keys *m = arg;
        char entry[64];

        snprintf(entry, sizeof(entry), "%.31s %.31s", section, key);
        m->checked++;
        if (!m->missing && !man_has(m, entry)) {
                snprintf(m->missing_buf, sizeof(m->missing_buf), "%s", entry);
                m->missing = m->missing_buf;
        }
}

static void man_known(const char *section, const char *key, void *arg)
{
        struct man_keys *known = arg;
        assert_true(known->n < 256);
        snprintf(known->entry[known->n++], sizeof(known->entry[0]), "%.31s %.31s", section, key);
}

/* Whether entry ("section key") is of a backend this build leaves out: the page documents
 * every backend. */
static bool not_built(const char *entry)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);
        size_t len = strcspn(entry, " ");

        for (size_t i = 0; i < nb; i++)
                if (!be[i]->compiled_in && strlen(be[i]->name) == len &&
                    strncmp(entry, be[i]->name, len) == 0)
                        return true;
        return false;
}

/* Every key the parser takes is in numaflipd.conf(5), and the page has no other. */
static void test_man_page_keys(void **state)
{
        (void)state;
        static struct man_keys man, known;
        const char *path = NF_SOURCE_DIR "/man/numaflipd.conf.5";

        memset(&man, 0, sizeof(man));
        memset(&known, 0, sizeof(known));
        man_read(path, &man);
        nf_config_each_key(man_check, &man);
        if (man.missing)
                fail_msg("%s does not document [%s]", path, man.missing);
        /* Every section, including the sim's, is walked: the count is the tables'. */
        assert_true(man.checked >= 8 + NF_PF_COUNT + 1 + NF_POOL_KEYS + 9 + 4);
        nf_config_each_key(man_known, &known);
        for (size_t i = 0; i < man.n; i++)
                if (!man_has(&known, man.entry[i]) && !not_built(man.entry[i]))
                        fail_msg("%s documents [%s], which no parser takes", path, man.entry[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_builtin_defaults),
            cmocka_unit_test(test_daemon_keys),
            cmocka_unit_test(test_defaults_keys),
            cmocka_unit_test(test_pool_keys),
            cmocka_unit_test(test_sim_keys),
            cmocka_unit_test(test_vm_keys),
            cmocka_unit_test(test_value_errors),
            cmocka_unit_test(test_structure_errors),
            cmocka_unit_test(test_cross_field_errors),
            cmocka_unit_test(test_pool_validation),
            cmocka_unit_test(test_sim_validation),
            cmocka_unit_test(test_many_sim_vms),
            cmocka_unit_test(test_policy_sources),
            cmocka_unit_test(test_layout),
            cmocka_unit_test(test_long_lines),
            cmocka_unit_test(test_long_section_name),
            cmocka_unit_test(test_load_file),
            cmocka_unit_test(test_host_config),
            cmocka_unit_test(test_demo_config),
            cmocka_unit_test(test_man_page_keys),
            cmocka_unit_test(test_duplicates),
            cmocka_unit_test(test_contradictions),
            cmocka_unit_test(test_policy_table_round_trip),
            cmocka_unit_test(test_compiled_out_backend_section),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
