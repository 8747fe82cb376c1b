/* Unit tests for the backend watch: the daemon re-lists guests when the watch fd fires. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "nf_config.h"
#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_report.h"

/* A host whose guests the test adds and removes, with a pipe standing in for the
 * hypervisor's "domains changed" notification (a xenstore watch on Xen). */
struct mock {
        struct nf_backend be;
        unsigned caps;
        int pipe[2];
        size_t nr;
        struct nf_guest_info guest[4];
        unsigned acks;
};

static struct mock mock;

static int mock_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                     size_t errlen)
{
        (void)env;
        (void)err;
        (void)errlen;
        *out = &mock.be;
        return 0;
}

static void mock_close(struct nf_backend *be)
{
        (void)be;
}

static unsigned mock_caps(const struct nf_backend *be)
{
        (void)be;
        return mock.caps;
}

static int mock_topology(struct nf_backend *be, struct nf_topology *topo)
{
        (void)be;
        memset(topo, 0, sizeof(*topo));
        topo->nr_nodes = 2;
        for (unsigned n = 0; n < 2; n++) {
                topo->node[n].total_pages = 1u << 20;
                topo->node[n].free_pages = 1u << 19;
                for (unsigned m = 0; m < 2; m++)
                        topo->distance[n][m] = n == m ? 10 : 20;
        }
        return 0;
}

static int mock_list(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n)
{
        (void)be;
        for (size_t i = 0; i < mock.nr && i < cap; i++)
                buf[i] = mock.guest[i];
        *n = mock.nr;
        return 0;
}

/* Every guest lives on node 1, a tenth of it remote on node 0. */
static int mock_pages(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        (void)be;
        for (size_t i = 0; i < mock.nr; i++) {
                if (mock.guest[i].id != id)
                        continue;
                assert_int_equal(nr_nodes, 2);
                pages[0] = mock.guest[i].memory_pages / 10;
                pages[1] = mock.guest[i].memory_pages - pages[0];
                return 0;
        }
        return -ESRCH;
}

static int mock_migrate(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                        uint64_t max, uint64_t *moved)
{
        (void)be;
        (void)id;
        (void)from;
        (void)to;
        (void)max;
        *moved = 0;
        return -EOPNOTSUPP;
}

static int mock_watch_fd(struct nf_backend *be)
{
        (void)be;
        return mock.pipe[0];
}

static int mock_watch_ack(struct nf_backend *be)
{
        (void)be;
        char buf[16];
        while (read(mock.pipe[0], buf, sizeof(buf)) > 0)
                ;
        mock.acks++;
        return 0;
}

static const struct nf_backend_ops mock_ops = {
    .name = "mock",
    .compiled_in = true,
    .open = mock_open,
    .close = mock_close,
    .caps = mock_caps,
    .topology = mock_topology,
    .list_guests = mock_list,
    .guest_pages = mock_pages,
    .migrate = mock_migrate,
    .watch_fd = mock_watch_fd,
    .watch_ack = mock_watch_ack,
};

static void guest_set(size_t i, uint32_t id, const char *name)
{
        struct nf_guest_info *g = &mock.guest[i];
        memset(g, 0, sizeof(*g));
        g->id = id;
        snprintf(g->name, sizeof(g->name), "%s", name);
        g->memory_pages = 1000;
        g->home = NF_NODE_BIT(1);
        g->migratable = true;
}

/* An hour between polls: within a test only the watch can make the daemon look. */
static const char conf_text[] = "[daemon]\n"
                                "backend = sim\n"
                                "socket = /nonexistent/nf-test.sock\n"
                                "poll = 1h\n"
                                "log_level = err\n"
                                "[defaults]\n"
                                "mode = monitor\n"
                                "[sim]\n"
                                "clock = virtual\n";

struct fixture {
        struct event_base *base;
        struct nf_daemon d;
};

static struct fixture *start(unsigned caps)
{
        static struct fixture f;
        struct nf_config *cfg = NULL;
        char err[512] = "";
        nf_log_init("test_watch", NF_LOG_ERR, 0);
        memset(&mock, 0, sizeof(mock));
        mock.be.ops = &mock_ops;
        mock.caps = caps;
        assert_int_equal(pipe2(mock.pipe, O_NONBLOCK | O_CLOEXEC), 0);
        guest_set(0, 7, "alpha");
        mock.nr = 1;
        if (nf_config_load_string(conf_text, "watch.conf", &cfg, err, sizeof(err)) != 0)
                fail_msg("config: %s", err);
        f.base = event_base_new();
        assert_non_null(f.base);
        if (nf_daemon_init_ops(&f.d, f.base, cfg, "watch.conf", &mock_ops, err, sizeof(err)) != 0)
                fail_msg("daemon: %s", err);
        return &f;
}

static void stop(struct fixture *f)
{
        nf_daemon_fini(&f->d); /* frees the config */
        event_base_free(f->base);
        close(mock.pipe[0]);
        close(mock.pipe[1]);
}

/* Signals "domains changed" and lets the loop run what is ready, without blocking. */
static void notify(struct fixture *f)
{
        assert_int_equal(write(mock.pipe[1], "x", 1), 1);
        /* 1 only says nothing was registered, as when the daemon watches nothing. */
        assert_true(event_base_loop(f->base, EVLOOP_NONBLOCK) >= 0);
}

static json_int_t status_watch_events(struct fixture *f, bool *is_null)
{
        json_t *st = nf_report_status(&f->d);
        json_t *v = json_object_get(json_object_get(st, "daemon"), "watch_events");
        assert_non_null(v);
        *is_null = json_is_null(v);
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
        json_decref(st);
        return n;
}

static void test_watch_finds_guests_as_they_come_and_go(void **state)
{
        (void)state;
        struct fixture *f = start(NF_CAP_OBSERVE | NF_CAP_WATCH);
        bool is_null;
        assert_int_equal(f->d.nr_guests, 1);
        assert_int_equal(f->d.polls, 1);
        assert_int_equal(status_watch_events(f, &is_null), 0);
        assert_false(is_null);

        /* A domain appears: one watch event, acknowledged, and the guest is listed. */
        guest_set(1, 9, "beta");
        mock.nr = 2;
        notify(f);
        assert_int_equal(f->d.watch_events, 1);
        assert_int_equal(mock.acks, 1);
        assert_int_equal(f->d.nr_guests, 2);
        assert_non_null(nf_daemon_guest(&f->d, "beta"));
        /* It was sampled in the same pass: 100 of its 1000 pages are remote. */
        assert_int_equal(nf_daemon_guest(&f->d, "beta")->sample.remote_pages, 100);

        /* The fd was drained: with nothing new, another loop turn does nothing. */
        assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 0);
        assert_int_equal(f->d.watch_events, 1);

        /* A domain goes away. */
        mock.guest[0] = mock.guest[1];
        mock.nr = 1;
        notify(f);
        assert_int_equal(f->d.watch_events, 2);
        assert_int_equal(f->d.nr_guests, 1);
        assert_null(nf_daemon_guest(&f->d, "alpha"));
        assert_non_null(nf_daemon_guest(&f->d, "beta"));
        assert_int_equal(status_watch_events(f, &is_null), 2);
        stop(f);
}

static void test_no_watch_without_the_capability(void **state)
{
        (void)state;
        struct fixture *f = start(NF_CAP_OBSERVE);
        bool is_null;
        guest_set(1, 9, "beta");
        mock.nr = 2;
        notify(f);
        assert_int_equal(f->d.watch_events, 0);
        assert_int_equal(mock.acks, 0);
        assert_int_equal(f->d.nr_guests, 1); /* found at the next poll, an hour away */
        status_watch_events(f, &is_null);
        assert_true(is_null);
        stop(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_watch_finds_guests_as_they_come_and_go),
            cmocka_unit_test(test_no_watch_without_the_capability),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
