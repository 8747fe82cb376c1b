/* Unit tests for the control commands against a real daemon on the sim backend in virtual time. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nf_config.h"
#include "nf_control.h"
#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_proto.h"
#include "nf_report.h"
#include "nf_units.h"

#define SEC NF_NS_PER_SEC

/* web1 flips fast in periodic mode with an hour's period, so only an operator migrates it
 * during a test; watcher is monitor-only; pv cannot be migrated at all. */
static const char conf_text[] = "[daemon]\n"
                                "backend = sim\n"
                                "socket = /nonexistent/nf-test.sock\n"
                                "poll = 1s\n"
                                "log_level = err\n"
                                "[defaults]\n"
                                "mode = periodic\n"
                                "period = 1h\n"
                                "batch = 64 pages\n"
                                "rate_limit = 1MiB/s\n"
                                "[vm watcher]\n"
                                "mode = monitor\n"
                                "[sim]\n"
                                "seed = 7\n"
                                "nodes = 2\n"
                                "node_size = 1GiB\n"
                                "cvm_memory = 256MiB\n"
                                "step = 100ms\n"
                                "clock = virtual\n"
                                "[sim.vm web1]\n"
                                "memory = 256MiB\n"
                                "home = 1\n"
                                "flip_rate = 1000/s\n"
                                "[sim.vm watcher]\n"
                                "memory = 64MiB\n"
                                "home = 1\n"
                                "flip_rate = 100/s\n"
                                "[sim.vm pv]\n"
                                "memory = 64MiB\n"
                                "home = 1\n"
                                "flip_rate = 100/s\n"
                                "migratable = no\n";

struct fixture {
        struct event_base *base;
        struct nf_daemon d;
        char path[64]; /* the config file reload reads */
};

/* The status cache ages on this clock, which only the tests move: how fast the machine
 * runs them cannot decide whether a cached status answers. */
static uint64_t fake_wall_ns;

static uint64_t fake_wall_now(const struct nf_clock *c)
{
        (void)c;
        return fake_wall_ns;
}

static const struct nf_clock fake_wall = {.now_ns = fake_wall_now};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct nf_config *cfg = NULL;
        char err[512] = "";
        nf_log_init("test_control", NF_LOG_ERR, 0);
        assert_non_null(f);
        snprintf(f->path, sizeof(f->path), "/tmp/nf_test_control_XXXXXX");
        int fd = mkstemp(f->path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, conf_text, sizeof(conf_text) - 1), sizeof(conf_text) - 1);
        close(fd);
        if (nf_config_load_string(conf_text, f->path, &cfg, err, sizeof(err)) != 0)
                fail_msg("config: %s", err);
        f->base = event_base_new();
        assert_non_null(f->base);
        if (nf_daemon_init(&f->d, f->base, cfg, f->path, err, sizeof(err)) != 0)
                fail_msg("daemon: %s", err);
        fake_wall_ns = 1000 * SEC;
        nf_daemon_set_wall(&f->d, &fake_wall);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        nf_daemon_fini(&f->d); /* frees the config */
        event_base_free(f->base);
        unlink(f->path);
        free(f);
        return 0;
}

/* Sends one request line; returns the reply, checked to be one newline-terminated line. */
static json_t *call(struct fixture *f, const char *line, bool may_mutate)
{
        size_t len = 0;
        char *out = nf_control_handle_line(&f->d, line, strlen(line), may_mutate, &len);
        if (!out)
                fail_msg("no reply to %s", line);
        assert_int_equal(strlen(out), len);
        assert_ptr_equal(strchr(out, '\n'), out + len - 1);
        json_error_t jerr;
        json_t *r = json_loadb(out, len, 0, &jerr);
        if (!r)
                fail_msg("reply is not JSON: %s", out);
        free(out);
        return r;
}

/* A successful reply: returns its result (borrowed from *reply). */
static json_t *call_ok(struct fixture *f, const char *line, bool may_mutate, json_t **reply)
{
        *reply = call(f, line, may_mutate);
        if (!json_is_true(json_object_get(*reply, "ok"))) {
                char *s = json_dumps(*reply, 0);
                fail_msg("%s -> %s", line, s);
        }
        json_t *result = json_object_get(*reply, "result");
        assert_true(json_is_object(result));
        return result;
}

/* An error reply with exactly this code and message, echoing id_json ("null" for none). */
static void call_err(struct fixture *f, const char *line, bool may_mutate, const char *id_json,
                     const char *code, const char *message)
{
        json_t *r = call(f, line, may_mutate);
        const char *c = NULL, *m = NULL;
        json_t *id = NULL;
        if (json_unpack(r, "{s:b,s:o,s:{s:s,s:s}}", "ok", &(int){0}, "id", &id, "error", "code", &c,
                        "message", &m) != 0 ||
            json_is_true(json_object_get(r, "ok")) || strcmp(c, code) || strcmp(m, message)) {
                char *s = json_dumps(r, 0);
                fail_msg("%s\n -> %s\n want %s: %s", line, s, code, message);
        }
        char *ids = json_dumps(id, JSON_ENCODE_ANY);
        assert_string_equal(ids, id_json);
        free(ids);
        assert_null(json_object_get(r, "result"));
        json_decref(r);
}

static void test_may_mutate(void **state)
{
        (void)state;
        const gid_t sup[] = {10, 20, 30};
        /* uid, gid, self, group, group_set, groups, ngroups, want */
        static const struct {
                uid_t uid;
                gid_t gid;
                uid_t self;
                gid_t group;
                bool group_set;
                int ngroups;
                bool want;
        } t[] = {
            {0, 0, 1000, 0, false, 0, true},        /* root */
            {0, 99, 1000, 20, true, 3, true},       /* root, whatever the groups */
            {1000, 1000, 1000, 0, false, 0, true},  /* the daemon's own user */
            {1001, 1001, 1000, 0, false, 3, false}, /* no group configured */
            {1001, 0, 1000, 0, false, 3, false},    /* gid 0 is not "the group" when unset */
            {1001, 20, 1000, 20, true, 0, true},    /* primary group */
            {1001, 1001, 1000, 30, true, 3, true},  /* supplementary group */
            {1001, 1001, 1000, 40, true, 3, false}, /* another group */
            {1001, 1001, 1000, 30, true, 2, false}, /* only ngroups entries count */
            {1001, 1001, 1000, 1001, false, 3, false},
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                bool got =
                    nf_control_may_mutate(t[i].uid, t[i].gid, t[i].self, t[i].group, t[i].group_set,
                                          t[i].ngroups ? sup : NULL, t[i].ngroups);
                if (got != t[i].want)
                        fail_msg("case %zu: got %d", i, got);
        }
}

/* Admission: who gives up a connection so that a new client is served. */
static void test_admission_victim(void **state)
{
        (void)state;
        static struct nf_peer p[NF_CONTROL_MAX_CLIENTS];
        size_t n = 0;

        /* Room: nobody is closed. */
        assert_int_equal(nf_control_victim(p, 0, 1000, false), -1);
        for (; n < NF_CONTROL_UID_CAP - 1; n++)
                p[n] = (struct nf_peer){.uid = 1000, .last_active_ns = 100 + n};
        assert_int_equal(nf_control_victim(p, n, 1000, false), -1);
        /* At its cap, a read-only uid gives up its own longest-idle connection. */
        p[n++] = (struct nf_peer){.uid = 1000, .last_active_ns = 50};
        assert_int_equal(nf_control_victim(p, n, 1000, false), (long)n - 1);
        /* Anyone else is let in beside it. */
        assert_int_equal(nf_control_victim(p, n, 0, true), -1);
        assert_int_equal(nf_control_victim(p, n, 1001, false), -1);
        /* A privileged uid has a bigger cap. */
        size_t m = 0;
        for (; m < NF_CONTROL_UID_CAP_PRIV - 1; m++)
                p[m] = (struct nf_peer){.uid = 0, .privileged = true, .last_active_ns = 10 + m};
        assert_int_equal(nf_control_victim(p, m, 0, true), -1);
        p[m++] = (struct nf_peer){.uid = 0, .privileged = true, .last_active_ns = 5};
        assert_int_equal(nf_control_victim(p, m, 0, true), (long)m - 1);

        /* A full table of many uids: the one holding the most gives up its longest-idle,
         * whoever comes (root included), so a newcomer is always served. */
        n = 0;
        for (uid_t u = 2000; n < NF_CONTROL_MAX_CLIENTS - 20; u++)
                for (int k = 0; k < 10 && n < NF_CONTROL_MAX_CLIENTS - 20; k++, n++)
                        p[n] = (struct nf_peer){.uid = u, .last_active_ns = 1000 + n};
        size_t big_first = n;
        for (int k = 0; k < 20; k++)
                p[n++] = (struct nf_peer){.uid = 3000, .last_active_ns = 900 - (uint64_t)k};
        assert_int_equal(n, NF_CONTROL_MAX_CLIENTS);
        assert_int_equal(nf_control_victim(p, n, 0, true), (long)(big_first + 19));
        assert_int_equal(nf_control_victim(p, n, 4242, false), (long)(big_first + 19));
}

/* The state of web1 as status reports it now. */
static const char *status_state(struct fixture *f, char *buf, size_t len)
{
        json_t *reply;
        json_t *r = call_ok(f, "{\"id\":1,\"cmd\":\"status\"}", false, &reply);
        size_t i;
        json_t *g;
        buf[0] = '\0';
        json_array_foreach(json_object_get(r, "guests"), i, g)
        {
                if (strcmp(json_string_value(json_object_get(g, "name")), "web1") == 0)
                        snprintf(buf, len, "%s", json_string_value(json_object_get(g, "state")));
        }
        json_decref(reply);
        return buf;
}

/* Status is kept serialised between changes, and every change shows at once. */
static void test_status_cache(void **state)
{
        struct fixture *f = *state;
        char a[32];
        json_t *reply;
        assert_string_equal(status_state(f, a, sizeof(a)), "idle");
        const char *first = f->d.status_cache.text;
        assert_non_null(first);
        assert_int_equal(f->d.status_cache.built_ns, fake_wall_ns);
        /* Nothing changed and it is not yet too old: the same text answers. */
        fake_wall_ns += NF_REPORT_STATUS_MAX_AGE - 1;
        assert_string_equal(status_state(f, a, sizeof(a)), "idle");
        assert_ptr_equal(f->d.status_cache.text, first);
        assert_int_equal(f->d.status_cache.built_ns, fake_wall_ns - NF_REPORT_STATUS_MAX_AGE + 1);
        /* Nothing changed but its times have aged: built again (the old text is freed only
         * after the new one is made, so a new pointer means a new build). */
        fake_wall_ns += 1;
        assert_string_equal(status_state(f, a, sizeof(a)), "idle");
        assert_ptr_not_equal(f->d.status_cache.text, first);
        assert_int_equal(f->d.status_cache.built_ns, fake_wall_ns);
        call_ok(f, "{\"id\":2,\"cmd\":\"pause\",\"name\":\"web1\"}", true, &reply);
        json_decref(reply);
        assert_string_equal(status_state(f, a, sizeof(a)), "paused");
        call_ok(f, "{\"id\":3,\"cmd\":\"resume\",\"name\":\"web1\"}", true, &reply);
        json_decref(reply);
        assert_string_equal(status_state(f, a, sizeof(a)), "idle");
        call_ok(f, "{\"id\":8,\"cmd\":\"advance\",\"by\":\"1m\"}", true, &reply); /* drift */
        json_decref(reply);
        call_ok(f, "{\"id\":4,\"cmd\":\"migrate\",\"name\":\"web1\"}", true, &reply);
        json_decref(reply);
        assert_string_equal(status_state(f, a, sizeof(a)), "migrating");
        /* Virtual time moved by advance shows too. */
        json_t *r = call_ok(f, "{\"id\":5,\"cmd\":\"status\"}", false, &reply);
        json_int_t t0 = json_integer_value(json_object_get(json_object_get(r, "daemon"), "now_ns"));
        json_decref(reply);
        call_ok(f, "{\"id\":6,\"cmd\":\"advance\",\"by\":\"1ms\"}", true, &reply);
        json_decref(reply);
        r = call_ok(f, "{\"id\":7,\"cmd\":\"status\"}", false, &reply);
        json_int_t t1 = json_integer_value(json_object_get(json_object_get(r, "daemon"), "now_ns"));
        assert_int_equal(json_integer_value(json_object_get(reply, "id")), 7);
        json_decref(reply);
        assert_true(t1 >= t0 + 1000000);
}

static void test_read_only_commands(void **state)
{
        struct fixture *f = *state;
        json_t *r, *res;

        res = call_ok(f, "{\"id\":\"v1\",\"cmd\":\"version\"}", false, &r);
        assert_string_equal(json_string_value(json_object_get(r, "id")), "v1");
        assert_string_equal(json_string_value(json_object_get(res, "version")), NF_VERSION);
        assert_int_equal(json_integer_value(json_object_get(res, "protocol")), NF_PROTO_VERSION);
        assert_string_equal(json_string_value(json_object_get(res, "backend")), "sim");
        json_decref(r);

        res = call_ok(f, "{\"id\":2,\"cmd\":\"status\"}", false, &r);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
        json_t *daemon = json_object_get(res, "daemon");
        assert_string_equal(json_string_value(json_object_get(daemon, "clock")), "virtual");
        assert_string_equal(json_string_value(json_object_get(daemon, "config")), f->path);
        assert_int_equal(json_integer_value(json_object_get(daemon, "now_ns")), 0);
        assert_int_equal(json_array_size(json_object_get(res, "nodes")), 2);
        json_t *guests = json_object_get(res, "guests");
        assert_int_equal(json_array_size(guests), 4);
        static const char *const names[] = {"Domain-0", "web1", "watcher", "pv"};
        static const char *const states[] = {"control", "idle", "monitor", "unmigratable"};
        for (size_t i = 0; i < 4; i++) {
                json_t *g = json_array_get(guests, i);
                assert_string_equal(json_string_value(json_object_get(g, "name")), names[i]);
                assert_string_equal(json_string_value(json_object_get(g, "state")), states[i]);
        }
        json_decref(r);

        res = call_ok(f, "{\"cmd\":\"vm\",\"name\":\"web1\"}", false, &r);
        assert_true(json_is_null(json_object_get(r, "id")));
        assert_string_equal(json_string_value(json_object_get(res, "name")), "web1");
        assert_int_equal(json_array_size(json_object_get(res, "pages_per_node")), 2);
        assert_int_equal(json_integer_value(json_object_get(res, "total_pages")), 65536);
        assert_int_equal(json_integer_value(json_object_get(res, "remote_pages")), 0);
        json_t *mode = json_object_get(json_object_get(res, "policy"), "mode");
        assert_string_equal(json_string_value(json_object_get(mode, "value")), "periodic");
        char want[128];
        snprintf(want, sizeof(want), "%s:7 [defaults]", f->path);
        assert_string_equal(json_string_value(json_object_get(mode, "source")), want);
        json_t *target = json_object_get(json_object_get(res, "policy"), "target");
        assert_string_equal(json_string_value(json_object_get(target, "source")), "built-in");
        json_decref(r);

        res = call_ok(f, "{\"cmd\":\"vm\",\"name\":\"watcher\"}", false, &r);
        mode = json_object_get(json_object_get(res, "policy"), "mode");
        assert_string_equal(json_string_value(json_object_get(mode, "value")), "monitor");
        snprintf(want, sizeof(want), "%s:12 [vm watcher]", f->path);
        assert_string_equal(json_string_value(json_object_get(mode, "source")), want);
        json_decref(r);

        res = call_ok(f, "{\"cmd\":\"pool\"}", false, &r);
        assert_string_equal(json_string_value(json_object_get(res, "mode")), "off");
        assert_int_equal(json_array_size(json_object_get(res, "nodes")), 2);
        json_decref(r);
}

static void test_request_errors(void **state)
{
        struct fixture *f = *state;
        call_err(f, "{\"id\":1,\"cmd\":\"frobnicate\"}", true, "1", NF_E_UNKNOWN_CMD,
                 "unknown command 'frobnicate'");
        call_err(f, "{\"id\":1,\"cmd\":\"\"}", true, "1", NF_E_UNKNOWN_CMD, "unknown command ''");
        call_err(f, "not json", true, "null", NF_E_PARSE,
                 "invalid JSON at column 3: '[' or '{' expected near 'not'");
        call_err(f, "{\"id\":\"q\"}", true, "\"q\"", NF_E_REQUEST, "missing 'cmd'");
        call_err(f, "{\"id\":4,\"cmd\":{}}", true, "4", NF_E_REQUEST,
                 "'cmd' must be a string, not an object");
        call_err(f, "{\"id\":5,\"cmd\":\"vm\"}", false, "5", NF_E_ARG,
                 "'vm' needs argument 'name'");
        call_err(f, "{\"id\":6,\"cmd\":\"vm\",\"name\":7}", false, "6", NF_E_ARG,
                 "argument 'name' must be a string, not a number");
        call_err(f, "{\"id\":7,\"cmd\":\"vm\",\"name\":\"nope\"}", false, "7", NF_E_NOT_FOUND,
                 "no guest named 'nope'");
        call_err(f, "{\"cmd\":\"pause\",\"name\":\"nope\"}", true, "null", NF_E_NOT_FOUND,
                 "no guest named 'nope'");
        call_err(f, "{\"cmd\":\"migrate\",\"name\":null}", true, "null", NF_E_ARG,
                 "argument 'name' must be a string, not null");

        /* A name cut at 64 bytes inside an 'é' still gets its error back. */
        char line[256] = "{\"id\":8,\"cmd\":\"vm\",\"name\":\"x";
        for (int i = 0; i < 40; i++)
                strcat(line, "\xc3\xa9");
        strcat(line, "\"}");
        char msg[128] = "no guest named 'x";
        for (int i = 0; i < 31; i++)
                strcat(msg, "\xc3\xa9");
        strcat(msg, "?'");
        call_err(f, line, false, "8", NF_E_NOT_FOUND, msg);
}

static void test_permissions(void **state)
{
        struct fixture *f = *state;
        static const char *const mutating[] = {"migrate", "pause", "resume", "reload", "advance"};
        for (size_t i = 0; i < sizeof(mutating) / sizeof(mutating[0]); i++) {
                char line[128], msg[128];
                snprintf(line, sizeof(line), "{\"id\":%zu,\"cmd\":\"%s\",\"name\":\"web1\"}", i,
                         mutating[i]);
                snprintf(msg, sizeof(msg),
                         "'%s' changes the daemon: root or the socket's group only", mutating[i]);
                char id[8];
                snprintf(id, sizeof(id), "%zu", i);
                call_err(f, line, false, id, NF_E_PERM, msg);
        }
        /* Refused before anything ran: web1 is neither paused nor migrating, no reload. */
        json_t *r, *res = call_ok(f, "{\"cmd\":\"vm\",\"name\":\"web1\"}", false, &r);
        assert_false(json_is_true(json_object_get(json_object_get(res, "phase"), "paused")));
        assert_false(json_is_true(json_object_get(json_object_get(res, "migration"), "active")));
        json_decref(r);
        assert_int_equal(f->d.reloads, 0);
        assert_int_equal(nf_daemon_now(&f->d), 0);
}

static void test_advance(void **state)
{
        struct fixture *f = *state;
        json_t *r, *res;
        call_err(f, "{\"cmd\":\"advance\"}", true, "null", NF_E_ARG,
                 "'advance' needs argument 'by'");
        call_err(f, "{\"cmd\":\"advance\",\"by\":10}", true, "null", NF_E_ARG,
                 "argument 'by' must be a string, not a number");
        call_err(f, "{\"cmd\":\"advance\",\"by\":\"soon\"}", true, "null", NF_E_ARG,
                 "invalid duration 'soon': expected a number");
        call_err(f, "{\"cmd\":\"advance\",\"by\":\"-1s\"}", true, "null", NF_E_ARG,
                 "invalid duration '-1s': negative values are not allowed");
        assert_int_equal(nf_daemon_now(&f->d), 0);

        res = call_ok(f, "{\"cmd\":\"advance\",\"by\":\"1m30s\"}", true, &r);
        assert_int_equal(json_integer_value(json_object_get(res, "now_ns")), 90 * SEC);
        json_decref(r);
        assert_int_equal(nf_daemon_now(&f->d), 90 * SEC);
        /* The poll ran every second on the way: web1's memory drifted. */
        assert_true(f->d.polls >= 90);
        res = call_ok(f, "{\"cmd\":\"vm\",\"name\":\"web1\"}", false, &r);
        assert_true(json_integer_value(json_object_get(res, "remote_pages")) > 0);
        json_decref(r);
}

/* advance only makes sense in virtual time. */
static void test_advance_real_time(void **state)
{
        (void)state;
        struct fixture f = {0};
        struct nf_config *cfg = NULL;
        char err[512] = "";
        const char *text = "[daemon]\nbackend = sim\nlog_level = err\n[sim]\nclock = real\n"
                           "speed = 10\n[sim.vm web1]\nmemory = 64MiB\n";
        assert_int_equal(nf_config_load_string(text, "real.conf", &cfg, err, sizeof(err)), 0);
        f.base = event_base_new();
        assert_int_equal(nf_daemon_init(&f.d, f.base, cfg, "real.conf", err, sizeof(err)), 0);
        call_err(&f, "{\"cmd\":\"advance\",\"by\":\"1s\"}", true, "null", NF_E_UNSUPPORTED,
                 "advance needs the sim backend with clock = virtual; this daemon runs in real "
                 "time");
        json_t *r, *res = call_ok(&f, "{\"cmd\":\"status\"}", false, &r);
        json_t *daemon = json_object_get(res, "daemon");
        assert_string_equal(json_string_value(json_object_get(daemon, "clock")), "real");
        assert_true(json_real_value(json_object_get(daemon, "speed")) == 10.0);
        json_decref(r);
        nf_daemon_fini(&f.d);
        event_base_free(f.base);
}

/* metrics: the text format, one HELP and TYPE per metric, label values escaped. */
static void test_metrics_text(void **state)
{
        (void)state;
        struct fixture f = {0};
        struct nf_config *cfg = NULL;
        char err[512] = "";
        const char *text = "[daemon]\nbackend = sim\nlog_level = err\n[sim]\nclock = virtual\n"
                           "[sim.vm a\"b\\c]\nmemory = 64MiB\n";
        assert_int_equal(nf_config_load_string(text, "m.conf", &cfg, err, sizeof(err)), 0);
        f.base = event_base_new();
        assert_int_equal(nf_daemon_init(&f.d, f.base, cfg, "m.conf", err, sizeof(err)), 0);
        json_t *r, *res = call_ok(&f, "{\"cmd\":\"metrics\"}", false, &r);
        const char *t = json_string_value(json_object_get(res, "text"));
        assert_non_null(t);
        assert_string_equal(json_string_value(json_object_get(res, "format")),
                            "text/plain; version=0.0.4");
        /* A quote and a backslash in a guest's name, escaped as the format wants. */
        assert_non_null(strstr(t, "numaflip_guest_pages{guest=\"a\\\"b\\\\c\",uuid=\""));
        assert_non_null(
            strstr(t, "\nnumaflip_info{version=\"" NF_VERSION "\",backend=\"sim\"} 1\n"));
        assert_non_null(strstr(t, "# TYPE numaflip_guest_migrated_pages_total counter\n"));
        /* Each metric's TYPE once: HELP lines and TYPE lines pair up. */
        size_t helps = 0, types = 0;
        for (const char *p = t; (p = strstr(p, "# HELP ")); p++)
                helps++;
        for (const char *p = t; (p = strstr(p, "# TYPE ")); p++)
                types++;
        assert_int_equal(helps, types);
        assert_true(types >= 19); /* with the sim's pools */
        json_decref(r);
        /* history of that guest: one point per poll so far, pages per node in each. */
        res = call_ok(&f, "{\"cmd\":\"history\",\"name\":\"a\\\"b\\\\c\"}", false, &r);
        json_t *pts = json_object_get(res, "points");
        assert_int_equal(json_array_size(pts), 1);
        assert_int_equal(json_array_size(json_object_get(json_array_get(pts, 0), "pages_per_node")),
                         2);
        json_decref(r);
        call_err(&f, "{\"cmd\":\"history\",\"name\":\"nosuch\"}", false, "null", NF_E_NOT_FOUND,
                 "no guest named 'nosuch'");
        nf_daemon_fini(&f.d);
        event_base_free(f.base);
}

static const char *state_of(struct fixture *f, const char *name)
{
        struct nf_guest *g = nf_daemon_guest(&f->d, name);
        assert_non_null(g);
        return nf_guest_state(&f->d, g);
}

static void test_migrate_pause_resume(void **state)
{
        struct fixture *f = *state;
        json_t *r, *res;

        /* Nothing remote yet. */
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"web1\"}", true, "null", NF_E_ARG,
                 "web1 has no remote memory to migrate");
        /* Never migratable, whatever the memory does. */
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"pv\"}", true, "null", NF_E_UNSUPPORTED,
                 "pv cannot be migrated: PV guest: frames are visible to the guest kernel");
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"watcher\"}", true, "null", NF_E_UNSUPPORTED,
                 "watcher cannot be migrated: mode monitor: observe only");
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"Domain-0\"}", true, "null", NF_E_UNSUPPORTED,
                 "Domain-0 cannot be migrated: control domain: observed only");

        res = call_ok(f, "{\"cmd\":\"advance\",\"by\":\"30s\"}", true, &r);
        json_decref(r);
        struct nf_guest *g = nf_daemon_guest(&f->d, "web1");
        assert_true(g->sample.remote_pages > 64); /* more than one batch */
        assert_string_equal(state_of(f, "web1"), "idle");

        res = call_ok(f, "{\"id\":1,\"cmd\":\"migrate\",\"name\":\"web1\"}", true, &r);
        assert_string_equal(json_string_value(json_object_get(res, "name")), "web1");
        assert_int_equal(json_integer_value(json_object_get(res, "goal_pages")),
                         (json_int_t)g->plan.goal);
        assert_true(json_integer_value(json_object_get(res, "goal_pages")) > 64);
        assert_int_equal(json_integer_value(json_object_get(res, "target_node")), 1);
        assert_false(json_is_true(json_object_get(res, "dry_run")));
        json_decref(r);
        assert_string_equal(state_of(f, "web1"), "migrating");
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"web1\"}", true, "null", NF_E_BUSY,
                 "web1 is already migrating");

        /* Pause keeps the plan; pausing twice is harmless. */
        for (int i = 0; i < 2; i++) {
                res = call_ok(f, "{\"cmd\":\"pause\",\"name\":\"web1\"}", true, &r);
                assert_string_equal(json_string_value(json_object_get(res, "name")), "web1");
                assert_true(json_is_true(json_object_get(res, "paused")));
                assert_string_equal(json_string_value(json_object_get(res, "state")), "paused");
                json_decref(r);
        }
        call_err(f, "{\"cmd\":\"migrate\",\"name\":\"web1\"}", true, "null", NF_E_BUSY,
                 "web1 cannot be migrated: paused by operator");
        uint64_t moved = g->plan.moved;
        res = call_ok(f, "{\"cmd\":\"advance\",\"by\":\"5s\"}", true, &r);
        json_decref(r);
        assert_true(g->plan.active);
        assert_int_equal(g->plan.moved, moved); /* nothing moves while paused */

        res = call_ok(f, "{\"cmd\":\"resume\",\"name\":\"web1\"}", true, &r);
        assert_false(json_is_true(json_object_get(res, "paused")));
        assert_string_equal(json_string_value(json_object_get(res, "state")), "migrating");
        json_decref(r);
        res = call_ok(f, "{\"cmd\":\"advance\",\"by\":\"5s\"}", true, &r);
        json_decref(r);
        assert_true(g->n.pages_moved > moved);

        /* Resuming a guest that is not paused is harmless too. */
        res = call_ok(f, "{\"cmd\":\"resume\",\"name\":\"watcher\"}", true, &r);
        assert_string_equal(json_string_value(json_object_get(res, "state")), "monitor");
        json_decref(r);
}

/* A dry run decides and reports, moves nothing, and names the node it would move to. */
static void test_migrate_dry_run(void **state)
{
        struct fixture *f = *state;
        json_t *r, *res;
        FILE *fp = fopen(f->path, "a");
        assert_non_null(fp);
        fputs("[vm web1]\ndry_run = yes\n", fp);
        fclose(fp);
        res = call_ok(f, "{\"cmd\":\"reload\"}", true, &r);
        json_decref(r);
        res = call_ok(f, "{\"cmd\":\"advance\",\"by\":\"30s\"}", true, &r);
        json_decref(r);

        struct nf_guest *g = nf_daemon_guest(&f->d, "web1");
        res = call_ok(f, "{\"cmd\":\"migrate\",\"name\":\"web1\"}", true, &r);
        assert_true(json_is_true(json_object_get(res, "dry_run")));
        assert_int_equal(json_integer_value(json_object_get(res, "goal_pages")),
                         (json_int_t)g->sample.remote_pages);
        assert_int_equal(json_integer_value(json_object_get(res, "target_node")), 1);
        json_decref(r);
        assert_false(g->plan.active);
        assert_int_equal(g->n.dry_runs, 1);
        assert_int_equal(g->n.pages_moved, 0);
}

static void test_reload(void **state)
{
        struct fixture *f = *state;
        json_t *r, *res;
        char msg[256];

        res = call_ok(f, "{\"cmd\":\"reload\"}", true, &r);
        assert_string_equal(json_string_value(json_object_get(res, "config")), f->path);
        assert_int_equal(json_integer_value(json_object_get(res, "reloads")), 1);
        json_decref(r);

        /* A broken file is refused with its file:line, and the running config stays. */
        FILE *fp = fopen(f->path, "a");
        assert_non_null(fp);
        fputs("[vm web1]\nthreshold = 5x%\n", fp);
        fclose(fp);
        const struct nf_config *before = f->d.cfg;
        snprintf(msg, sizeof(msg),
                 "%s:34: [vm web1] threshold: invalid share '5x%%': unknown unit 'x%%'", f->path);
        call_err(f, "{\"id\":3,\"cmd\":\"reload\"}", true, "3", NF_E_CONFIG, msg);
        assert_ptr_equal(f->d.cfg, before);
        assert_int_equal(f->d.reloads, 1);
        assert_int_equal(f->d.reload_failures, 1);

        unlink(f->path);
        snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", f->path);
        call_err(f, "{\"cmd\":\"reload\"}", true, "null", NF_E_CONFIG, msg);
        assert_int_equal(f->d.reload_failures, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_may_mutate),
            cmocka_unit_test(test_admission_victim),
            cmocka_unit_test_setup_teardown(test_status_cache, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_only_commands, setup, teardown),
            cmocka_unit_test_setup_teardown(test_request_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
            cmocka_unit_test_setup_teardown(test_advance, setup, teardown),
            cmocka_unit_test(test_advance_real_time),
            cmocka_unit_test(test_metrics_text),
            cmocka_unit_test_setup_teardown(test_migrate_pause_resume, setup, teardown),
            cmocka_unit_test_setup_teardown(test_migrate_dry_run, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
