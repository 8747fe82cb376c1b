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
#include "mock_backend.h"

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
        char err[NF_ERR_MAX] = "";
        nf_log_init("test_watch", NF_LOG_ERR, 0);
        mock_reset(caps);
        assert_true(mock.pipe[0] >= 0);
        mock_guest(7, "alpha", 1000, 100);
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
        mock_guest(9, "beta", 1000, 100);
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
        memcpy(mock.pages[0], mock.pages[1], sizeof(mock.pages[0]));
        mock.nr = 1;
        notify(f);
        assert_int_equal(f->d.watch_events, 2);
        assert_int_equal(f->d.nr_guests, 1);
        assert_null(nf_daemon_guest(&f->d, "alpha"));
        assert_non_null(nf_daemon_guest(&f->d, "beta"));
        assert_int_equal(status_watch_events(f, &is_null), 2);
        stop(f);
}

/* An id handed to another guest (a reused domid or pid) is a new guest, not the old one. */
static void test_reused_id_is_a_new_guest(void **state)
{
        (void)state;
        struct fixture *f = start(NF_CAP_OBSERVE | NF_CAP_WATCH);
        snprintf(mock.guest[0].uuid, sizeof(mock.guest[0].uuid), "uuid-alpha");
        notify(f);
        struct nf_guest *g = nf_daemon_guest(&f->d, "alpha");
        assert_non_null(g);
        g->max_share = 0.9; /* state the daemon keeps for this guest only */
        /* Same id, same uuid, renamed: the same guest. */
        snprintf(mock.guest[0].name, sizeof(mock.guest[0].name), "alpha2");
        notify(f);
        g = nf_daemon_guest(&f->d, "alpha2");
        assert_non_null(g);
        assert_true(g->max_share == 0.9);
        /* Same id, another uuid: the old one went, a new one came. */
        snprintf(mock.guest[0].uuid, sizeof(mock.guest[0].uuid), "uuid-other");
        snprintf(mock.guest[0].name, sizeof(mock.guest[0].name), "other");
        notify(f);
        assert_null(nf_daemon_guest(&f->d, "alpha2"));
        g = nf_daemon_guest(&f->d, "other");
        assert_non_null(g);
        assert_true(g->max_share < 0.9);
        assert_int_equal(f->d.nr_guests, 1);
        stop(f);
}

/* A backend whose guests are still settling is listed again when it asks, not an hour
 * later at the next poll (a Xen domain finishes being built without a watch event). */
static void test_relist_when_asked(void **state)
{
        (void)state;
        mock_reset(NF_CAP_OBSERVE);
        mock.virtual_clock = true;
        mock.relist_ns = 500 * NF_NS_PER_MS;
        mock_guest(7, "alpha", 1000, 100);
        struct nf_config *cfg = NULL;
        char err[NF_ERR_MAX] = "";
        static struct fixture f;
        if (nf_config_load_string(conf_text, "watch.conf", &cfg, err, sizeof(err)) != 0)
                fail_msg("config: %s", err);
        f.base = event_base_new();
        if (nf_daemon_init_ops(&f.d, f.base, cfg, "watch.conf", &mock_ops, err, sizeof(err)) != 0)
                fail_msg("daemon: %s", err);
        unsigned lists = mock.lists;
        mock_guest(9, "beta", 1000, 100); /* settled now */
        mock.relist_ns = 0;               /* and nothing else is settling */
        assert_int_equal(nf_sched_advance(f.d.sched, 400 * NF_NS_PER_MS), 0);
        assert_int_equal(mock.lists, lists); /* not before it asked */
        assert_int_equal(nf_sched_advance(f.d.sched, 100 * NF_NS_PER_MS), 0);
        assert_int_equal(mock.lists, lists + 1);
        assert_non_null(nf_daemon_guest(&f.d, "beta"));
        /* Nothing settling: no more listings until the poll, an hour away. */
        assert_int_equal(nf_sched_advance(f.d.sched, 60 * NF_NS_PER_SEC), 0);
        assert_int_equal(mock.lists, lists + 1);
        stop(&f);
}

static void test_no_watch_without_the_capability(void **state)
{
        (void)state;
        struct fixture *f = start(NF_CAP_OBSERVE);
        bool is_null;
        mock_guest(9, "beta", 1000, 100);
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
            cmocka_unit_test(test_reused_id_is_a_new_guest),
            cmocka_unit_test(test_relist_when_asked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
