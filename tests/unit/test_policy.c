/* Unit tests for the migration policy: modes, hysteresis, cooldown, periods, dry-run. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nf_policy.h"

#define SEC 1000000000ull
#define T0 (1000 * SEC) /* an arbitrary start, away from 0 */

static struct nf_policy_params params(enum nf_mode mode)
{
        struct nf_policy_params p;

        nf_policy_defaults(&p);
        p.mode = mode;
        return p;
}

/* A guest of 1000 pages with `remote` of them away from home. */
static struct nf_sample smp(uint64_t remote)
{
        struct nf_sample s = {1000, remote, (double)remote / 1000.0};

        return s;
}

/* One decision, checked for a reason and for leaving the sample alone. */
static struct nf_decision decide(const struct nf_policy_params *p, struct nf_policy_state *st,
                                 uint64_t remote, uint64_t now)
{
        struct nf_sample s = smp(remote);
        struct nf_decision d;

        memset(&d, 0xa5, sizeof(d));
        nf_policy_decide(p, st, &s, now, st, &d);
        assert_non_null(d.reason);
        assert_true(d.reason[0] != '\0');
        if (d.action != NF_ACTION_START)
                assert_false(d.dry_run);
        return d;
}

static void expect(const struct nf_decision *d, enum nf_action a, enum nf_trigger t, uint64_t pages)
{
        if (d->action != a || d->trigger != t || d->pages != pages)
                fail_msg("decision %d/%d/%llu (%s), want %d/%d/%llu", d->action, d->trigger,
                         (unsigned long long)d->pages, d->reason, a, t, (unsigned long long)pages);
}

static void test_defaults(void **state)
{
        struct nf_policy_params p;
        struct nf_check_error e;

        (void)state;
        memset(&p, 0xff, sizeof(p));
        nf_policy_defaults(&p);
        assert_int_equal(p.mode, NF_MODE_THRESHOLD);
        assert_true(p.threshold == 0.05);
        assert_true(p.target == 0.02);
        assert_int_equal(p.period_ns, 300 * SEC);
        assert_int_equal(p.cooldown_ns, 30 * SEC);
        assert_int_equal(p.rate_limit, 256ull << 20);
        assert_int_equal(p.batch_pages, 4096);
        assert_false(p.dry_run);
        assert_int_equal(nf_policy_validate(&p, &e), 0);
}

static void test_init(void **state)
{
        struct nf_policy_state st;

        (void)state;
        memset(&st, 0xff, sizeof(st));
        nf_policy_init(&st);
        assert_int_equal(st.phase, NF_PHASE_IDLE);
        assert_int_equal(st.trigger, NF_TRIGGER_NONE);
        assert_int_equal(st.since_ns, 0);
        assert_int_equal(st.next_period_ns, 0);
        for (int i = 0; i < NF_TRIGGER_COUNT; i++)
                assert_int_equal(st.triggered[i], 0);
}

/* The check names the key at fault (and the one it contradicts): "key: message". */
static void check_invalid(const struct nf_policy_params *p, const char *msg, const char *other)
{
        struct nf_check_error e;
        char err[320];

        assert_int_equal(nf_policy_validate(p, &e), -EINVAL);
        snprintf(err, sizeof(err), "%s: %s", e.key ? e.key : "?", e.msg);
        if (strcmp(err, msg) != 0)
                fail_msg("message \"%s\", want \"%s\"", err, msg);
        if (other)
                assert_string_equal(e.other_key, other);
        else
                assert_null(e.other_key);
        assert_int_equal(nf_policy_validate(p, NULL), -EINVAL);
}

static void test_validate(void **state)
{
        struct nf_policy_params p;

        (void)state;
        p = params(NF_MODE_THRESHOLD);
        p.mode = (enum nf_mode)7;
        check_invalid(&p, "mode: unknown mode 7", NULL);

        p = params(NF_MODE_PERIODIC);
        p.period_ns = 0;
        check_invalid(&p, "period: must be above 0", NULL);
        /* Every mode: a period of 0 means nothing, and the key table refuses it too. */
        p.mode = NF_MODE_THRESHOLD;
        check_invalid(&p, "period: must be above 0", NULL);

        p = params(NF_MODE_THRESHOLD);
        p.threshold = 1.5;
        check_invalid(&p, "threshold: 150% is outside 0%..100%", NULL);
        p.threshold = -0.1;
        check_invalid(&p, "threshold: -10% is outside 0%..100%", NULL);
        p.threshold = NAN;
        check_invalid(&p, "threshold: nan% is outside 0%..100%", NULL);

        p = params(NF_MODE_PERIODIC);
        p.target = 2.0;
        check_invalid(&p, "target: 200% is outside 0%..100%", NULL);
        p.target = -0.01;
        check_invalid(&p, "target: -1% is outside 0%..100%", NULL);

        /* Hysteresis: the stop point may not be above the trigger point. */
        p = params(NF_MODE_THRESHOLD);
        p.target = 0.1;
        check_invalid(&p, "target: 10% is above the threshold 5%", "threshold");
        /* Periodic mode never looks at the threshold. */
        p.mode = NF_MODE_PERIODIC;
        assert_int_equal(nf_policy_validate(&p, NULL), 0);
        p.mode = NF_MODE_MONITOR;
        assert_int_equal(nf_policy_validate(&p, NULL), 0);

        p = params(NF_MODE_THRESHOLD);
        p.batch_pages = 0;
        check_invalid(&p, "batch: must be at least one page", NULL);

        /* Boundaries are valid. */
        p = params(NF_MODE_THRESHOLD);
        p.threshold = 1.0;
        p.target = 1.0;
        assert_int_equal(nf_policy_validate(&p, NULL), 0);
        p.threshold = 0.0;
        p.target = 0.0;
        p.cooldown_ns = 0;
        p.rate_limit = 0;
        p.batch_pages = 1;
        assert_int_equal(nf_policy_validate(&p, NULL), 0);
        p.threshold = 0.05;
        p.target = 0.05;
        assert_int_equal(nf_policy_validate(&p, NULL), 0);
}

static void test_names(void **state)
{
        static const struct {
                const char *name;
                enum nf_mode mode;
        } modes[] = {{"off", NF_MODE_OFF},
                     {"monitor", NF_MODE_MONITOR},
                     {"periodic", NF_MODE_PERIODIC},
                     {"threshold", NF_MODE_THRESHOLD}};
        enum nf_mode m;

        (void)state;
        for (size_t i = 0; i < 4; i++) {
                assert_string_equal(nf_mode_name(modes[i].mode), modes[i].name);
                m = (enum nf_mode)99;
                assert_int_equal(nf_mode_parse(modes[i].name, &m), 0);
                assert_int_equal(m, modes[i].mode);
        }
        assert_int_equal(nf_mode_parse("Periodic", &m), 0);
        assert_int_equal(m, NF_MODE_PERIODIC);
        assert_int_equal(nf_mode_parse("THRESHOLD", &m), 0);
        assert_int_equal(m, NF_MODE_THRESHOLD);
        m = NF_MODE_OFF;
        assert_int_equal(nf_mode_parse("thresh", &m), -EINVAL);
        assert_int_equal(nf_mode_parse("thresholds", &m), -EINVAL);
        assert_int_equal(nf_mode_parse("", &m), -EINVAL);
        assert_int_equal(nf_mode_parse(NULL, &m), -EINVAL);
        assert_int_equal(m, NF_MODE_OFF);
        assert_string_equal(nf_mode_name((enum nf_mode)42), "unknown");

        assert_string_equal(nf_phase_name(NF_PHASE_IDLE), "idle");
        assert_string_equal(nf_phase_name(NF_PHASE_ACTIVE), "active");
        assert_string_equal(nf_phase_name(NF_PHASE_COOLDOWN), "cooldown");
        assert_string_equal(nf_phase_name((enum nf_phase)9), "unknown");
        assert_string_equal(nf_trigger_name(NF_TRIGGER_NONE), "none");
        assert_string_equal(nf_trigger_name(NF_TRIGGER_THRESHOLD), "threshold");
        assert_string_equal(nf_trigger_name(NF_TRIGGER_PERIODIC), "periodic");
        assert_string_equal(nf_trigger_name(NF_TRIGGER_MANUAL), "manual");
        assert_string_equal(nf_trigger_name(NF_TRIGGER_COUNT), "unknown");
}

/* Trigger above threshold, keep going below it, stop at target, then cool down. */
static void test_threshold_cycle(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        d = decide(&p, &st, 30, T0); /* 3% */
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_IDLE);
        d = decide(&p, &st, 50, T0 + SEC); /* exactly 5%: not above */
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);

        d = decide(&p, &st, 100, T0 + 2 * SEC); /* 10%: move 80 to reach 2% */
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 80);
        assert_false(d.dry_run);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        assert_int_equal(st.trigger, NF_TRIGGER_THRESHOLD);
        assert_int_equal(st.since_ns, T0 + 2 * SEC);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 1);

        d = decide(&p, &st, 60, T0 + 3 * SEC);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_THRESHOLD, 40);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        assert_int_equal(st.since_ns, T0 + 2 * SEC);
        /* Below threshold but above target: hysteresis keeps it going. */
        d = decide(&p, &st, 30, T0 + 4 * SEC);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_THRESHOLD, 10);
        /* Flipping went on meanwhile: the remaining work is recomputed upwards too. */
        d = decide(&p, &st, 70, T0 + 5 * SEC);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_THRESHOLD, 50);
        d = decide(&p, &st, 20, T0 + 6 * SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        assert_int_equal(st.since_ns, T0 + 6 * SEC);
        assert_int_equal(st.trigger, NF_TRIGGER_THRESHOLD);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 1);

        /* Cooldown (30 s): no new trigger, even far above threshold. */
        d = decide(&p, &st, 500, T0 + 7 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        d = decide(&p, &st, 500, T0 + 36 * SEC - 1);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        d = decide(&p, &st, 500, T0 + 36 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 480);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 2);
}

/* After a migration the share may sit between target and threshold without a trigger. */
static void test_threshold_hysteresis_band(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 60, T0);
        d = decide(&p, &st, 10, T0 + SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);
        /* Cooldown over; drift back to 4% stays quiet, 5.1% triggers. */
        d = decide(&p, &st, 40, T0 + 100 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_IDLE);
        /* The idle phase began when the cooldown ended, not when it was noticed. */
        assert_int_equal(st.since_ns, T0 + 31 * SEC);
        d = decide(&p, &st, 50, T0 + 101 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        d = decide(&p, &st, 51, T0 + 102 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 31);
}

static void test_threshold_zero_cooldown_and_edges(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        struct nf_sample empty = {0, 0, 0.0};
        struct nf_decision d;

        (void)state;
        p.cooldown_ns = 0;
        nf_policy_init(&st);
        decide(&p, &st, 100, T0);
        d = decide(&p, &st, 0, T0 + SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);
        /* No cooldown: the very next sample may trigger again. */
        d = decide(&p, &st, 100, T0 + SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 80);

        /* Threshold and target at 0: any remote page triggers and all of them move. */
        p.threshold = 0;
        p.target = 0;
        nf_policy_init(&st);
        d = decide(&p, &st, 1, T0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 1);
        d = decide(&p, &st, 0, T0 + SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);

        /* A guest with no pages never triggers. */
        nf_policy_init(&st);
        nf_policy_decide(&p, &st, &empty, T0, &st, &d);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_IDLE);
}

/* A clock that steps back must not end a cooldown early. */
static void test_cooldown_time_backwards(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 100, T0);
        decide(&p, &st, 0, T0 + 10 * SEC);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        d = decide(&p, &st, 500, T0);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
}

static void test_finished(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st, before, out;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 100, T0);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        memset(&out, 0xa5, sizeof(out));
        before = st;
        nf_policy_finished(&st, T0 + 5 * SEC, &out);
        assert_memory_equal(&st, &before, sizeof(st)); /* prev is left alone */
        assert_int_equal(out.phase, NF_PHASE_COOLDOWN);
        assert_int_equal(out.since_ns, T0 + 5 * SEC);
        assert_int_equal(out.trigger, NF_TRIGGER_THRESHOLD);
        assert_int_equal(out.triggered[NF_TRIGGER_THRESHOLD], 1);
        st = out;
        /* The cooldown runs from the finish. */
        d = decide(&p, &st, 500, T0 + 34 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        d = decide(&p, &st, 500, T0 + 35 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 480);

        /* Finishing when nothing is active (e.g. after a STOP) changes nothing. */
        decide(&p, &st, 0, T0 + 36 * SEC);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        before = st;
        nf_policy_finished(&st, T0 + 40 * SEC, &st);
        assert_memory_equal(&st, &before, sizeof(st));
        nf_policy_init(&st);
        before = st;
        nf_policy_finished(&st, T0, &st);
        assert_memory_equal(&st, &before, sizeof(st));
}

static void test_monitor_and_off_never_start(void **state)
{
        static const enum nf_mode modes[] = {NF_MODE_MONITOR, NF_MODE_OFF};

        (void)state;
        for (size_t i = 0; i < 2; i++) {
                struct nf_policy_params p = params(modes[i]);
                struct nf_policy_state st;

                p.cooldown_ns = 0;
                nf_policy_init(&st);
                for (uint64_t t = 0; t < 50; t++) {
                        struct nf_decision d = decide(&p, &st, 1000, T0 + t * 60 * SEC);

                        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
                        assert_int_equal(st.phase, NF_PHASE_IDLE);
                        assert_int_equal(st.next_period_ns, 0);
                }
                for (int k = 0; k < NF_TRIGGER_COUNT; k++)
                        assert_int_equal(st.triggered[k], 0);
        }
}

/* Switching to monitor or off in the middle of a migration stops it. */
static void test_mode_change_stops(void **state)
{
        static const enum nf_mode modes[] = {NF_MODE_MONITOR, NF_MODE_OFF};

        (void)state;
        for (size_t i = 0; i < 2; i++) {
                struct nf_policy_params p = params(NF_MODE_THRESHOLD);
                struct nf_policy_state st;
                struct nf_decision d;

                nf_policy_init(&st);
                decide(&p, &st, 100, T0);
                assert_int_equal(st.phase, NF_PHASE_ACTIVE);
                p.mode = modes[i];
                d = decide(&p, &st, 100, T0 + SEC);
                expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);
                assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
                d = decide(&p, &st, 100, T0 + 2 * SEC);
                expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
                /* Cooldown still expires for status, but nothing starts. */
                d = decide(&p, &st, 100, T0 + 100 * SEC);
                expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
                assert_int_equal(st.phase, NF_PHASE_IDLE);
        }
}

static void test_dry_run_threshold(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        p.dry_run = true;
        nf_policy_init(&st);
        d = decide(&p, &st, 100, T0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 80);
        assert_true(d.dry_run);
        /* Nothing will move: straight to cooldown, but it counts as triggered. */
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        assert_int_equal(st.since_ns, T0);
        assert_int_equal(st.trigger, NF_TRIGGER_THRESHOLD);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 1);
        d = decide(&p, &st, 100, T0 + 29 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        d = decide(&p, &st, 100, T0 + 30 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 80);
        assert_true(d.dry_run);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 2);

        /* Turning dry-run on in the middle of a real migration stops it. */
        p.dry_run = false;
        nf_policy_init(&st);
        decide(&p, &st, 100, T0);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        p.dry_run = true;
        d = decide(&p, &st, 100, T0 + SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_THRESHOLD, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
}

static void test_periodic_anchor_and_epochs(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        const uint64_t P = p.period_ns;
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        /* The first call only anchors the schedule, whatever the share. */
        d = decide(&p, &st, 500, T0);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.next_period_ns, T0 + P);
        assert_int_equal(st.phase, NF_PHASE_IDLE);
        d = decide(&p, &st, 500, T0 + P - 1);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.next_period_ns, T0 + P);

        /* At the boundary: migrate down to target. The threshold plays no part: 3% is
         * below it but above the target. */
        d = decide(&p, &st, 30, T0 + P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 10);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        assert_int_equal(st.next_period_ns, T0 + 2 * P);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 1);
        d = decide(&p, &st, 25, T0 + P + SEC);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_PERIODIC, 5);
        d = decide(&p, &st, 20, T0 + P + 2 * SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_PERIODIC, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);

        /* Nothing between boundaries, even far above threshold. */
        d = decide(&p, &st, 900, T0 + P + 200 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);

        /* A boundary with the share at target: no migration, schedule still advances. */
        d = decide(&p, &st, 20, T0 + 2 * P);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.next_period_ns, T0 + 3 * P);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 1);
        d = decide(&p, &st, 900, T0 + 2 * P + SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
}

/* Missed boundaries fire once, and the schedule keeps its original alignment. */
static void test_periodic_missed_epochs(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        const uint64_t P = p.period_ns;
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 0, T0);
        d = decide(&p, &st, 100, T0 + 5 * P + P / 2);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_int_equal(st.next_period_ns, T0 + 6 * P);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 1);
        nf_policy_finished(&st, T0 + 5 * P + P / 2 + SEC, &st);
        d = decide(&p, &st, 100, T0 + 5 * P + 3 * P / 4);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        d = decide(&p, &st, 100, T0 + 6 * P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_int_equal(st.next_period_ns, T0 + 7 * P);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 2);
        /* Exactly on a later boundary after missing some. */
        nf_policy_finished(&st, T0 + 6 * P + SEC, &st);
        d = decide(&p, &st, 100, T0 + 9 * P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_int_equal(st.next_period_ns, T0 + 10 * P);
}

/* Periodic mode ignores cooldown, and a boundary during a migration starts nothing new. */
static void test_periodic_cooldown_and_active(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        const uint64_t P = p.period_ns;
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        p.cooldown_ns = 10 * P;
        nf_policy_init(&st);
        decide(&p, &st, 0, T0);
        decide(&p, &st, 100, T0 + P);
        nf_policy_finished(&st, T0 + P + SEC, &st);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        d = decide(&p, &st, 100, T0 + 2 * P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 2);

        /* Still active at the next boundary: it just continues. */
        d = decide(&p, &st, 90, T0 + 3 * P);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_PERIODIC, 70);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 2);
        assert_int_equal(st.next_period_ns, T0 + 4 * P);
        assert_int_equal(st.since_ns, T0 + 2 * P);
}

static void test_periodic_mode_switch_and_period_change(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        const uint64_t P = p.period_ns;
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 0, T0);
        assert_int_equal(st.next_period_ns, T0 + P);
        /* Leaving periodic mode drops the schedule; coming back anchors afresh. */
        p.mode = NF_MODE_THRESHOLD;
        decide(&p, &st, 0, T0 + SEC);
        assert_int_equal(st.next_period_ns, 0);
        p.mode = NF_MODE_PERIODIC;
        d = decide(&p, &st, 100, T0 + P + 7 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.next_period_ns, T0 + 2 * P + 7 * SEC);

        /* A shorter period (reload) does not wait out the old, longer one. */
        p.period_ns = 10 * SEC;
        d = decide(&p, &st, 100, T0 + P + 8 * SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        assert_int_equal(st.next_period_ns, T0 + P + 18 * SEC);
        d = decide(&p, &st, 100, T0 + P + 18 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        /* A longer one keeps the boundary already scheduled, then spaces by the new one. */
        nf_policy_finished(&st, T0 + P + 19 * SEC, &st);
        p.period_ns = 60 * SEC;
        d = decide(&p, &st, 100, T0 + P + 28 * SEC);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_int_equal(st.next_period_ns, T0 + P + 88 * SEC);
}

static void test_periodic_dry_run(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        const uint64_t P = p.period_ns;
        struct nf_policy_state st;
        struct nf_decision d;

        (void)state;
        p.dry_run = true;
        p.cooldown_ns = 2 * P;
        nf_policy_init(&st);
        decide(&p, &st, 100, T0);
        d = decide(&p, &st, 100, T0 + P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_true(d.dry_run);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        d = decide(&p, &st, 100, T0 + P + SEC);
        expect(&d, NF_ACTION_NONE, NF_TRIGGER_NONE, 0);
        d = decide(&p, &st, 100, T0 + 2 * P);
        expect(&d, NF_ACTION_START, NF_TRIGGER_PERIODIC, 80);
        assert_true(d.dry_run);
        assert_int_equal(st.triggered[NF_TRIGGER_PERIODIC], 2);
}

static void test_manual(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st, out, sentinel;
        struct nf_sample s = smp(30), none = smp(0);
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        memset(&sentinel, 0x5a, sizeof(sentinel));

        /* Refusals leave next untouched. */
        p.mode = NF_MODE_OFF;
        out = sentinel;
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0, &out, &d), -EPERM);
        assert_memory_equal(&out, &sentinel, sizeof(out));
        assert_int_equal(d.action, NF_ACTION_NONE);
        p.mode = NF_MODE_MONITOR;
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0, &out, &d), -EPERM);
        assert_memory_equal(&out, &sentinel, sizeof(out));
        p.mode = NF_MODE_THRESHOLD;
        assert_int_equal(nf_policy_manual(&p, &st, &none, T0, &out, &d), -ENODATA);
        assert_memory_equal(&out, &sentinel, sizeof(out));
        assert_int_equal(d.action, NF_ACTION_NONE);

        /* 3% is below threshold: a manual request goes ahead and aims at no remote page. */
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0, &st, &d), 0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_MANUAL, 30);
        assert_false(d.dry_run);
        assert_int_equal(st.phase, NF_PHASE_ACTIVE);
        assert_int_equal(st.trigger, NF_TRIGGER_MANUAL);
        assert_int_equal(st.triggered[NF_TRIGGER_MANUAL], 1);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], 0);

        out = sentinel;
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0 + SEC, &out, &d), -EBUSY);
        assert_memory_equal(&out, &sentinel, sizeof(out));

        /* Below target it keeps going until nothing is remote. */
        d = decide(&p, &st, 10, T0 + SEC);
        expect(&d, NF_ACTION_CONTINUE, NF_TRIGGER_MANUAL, 10);
        d = decide(&p, &st, 0, T0 + 2 * SEC);
        expect(&d, NF_ACTION_STOP, NF_TRIGGER_MANUAL, 0);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);

        /* Cooldown does not hold back an operator. */
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0 + 3 * SEC, &st, &d), 0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_MANUAL, 30);
        assert_int_equal(st.triggered[NF_TRIGGER_MANUAL], 2);
        assert_int_equal(st.since_ns, T0 + 3 * SEC);
}

static void test_manual_periodic_and_dry_run(void **state)
{
        struct nf_policy_params p = params(NF_MODE_PERIODIC);
        struct nf_policy_state st;
        struct nf_sample s = smp(200);
        struct nf_decision d;

        (void)state;
        nf_policy_init(&st);
        decide(&p, &st, 200, T0);
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0 + SEC, &st, &d), 0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_MANUAL, 200);
        /* The periodic schedule is not disturbed. */
        assert_int_equal(st.next_period_ns, T0 + p.period_ns);

        p.dry_run = true;
        p.mode = NF_MODE_THRESHOLD;
        nf_policy_init(&st);
        assert_int_equal(nf_policy_manual(&p, &st, &s, T0, &st, &d), 0);
        expect(&d, NF_ACTION_START, NF_TRIGGER_MANUAL, 200);
        assert_true(d.dry_run);
        assert_int_equal(st.phase, NF_PHASE_COOLDOWN);
        assert_int_equal(st.triggered[NF_TRIGGER_MANUAL], 1);
}

/* prev and next may be different objects; prev is never written. */
static void test_no_alias(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state prev, next, copy;
        struct nf_sample s = smp(100);
        struct nf_decision d;

        (void)state;
        nf_policy_init(&prev);
        copy = prev;
        memset(&next, 0xa5, sizeof(next));
        nf_policy_decide(&p, &prev, &s, T0, &next, &d);
        assert_memory_equal(&prev, &copy, sizeof(prev));
        expect(&d, NF_ACTION_START, NF_TRIGGER_THRESHOLD, 80);
        assert_int_equal(next.phase, NF_PHASE_ACTIVE);
        assert_int_equal(next.triggered[NF_TRIGGER_THRESHOLD], 1);
        assert_int_equal(next.triggered[NF_TRIGGER_MANUAL], 0);
}

/*
 * A small closed loop: a guest of 100000 pages drifts 50 pages per 1 s poll; the
 * mover moves up to 1000 pages per poll. Under threshold mode the share must never
 * stay above threshold for more than one poll, and each migration must end at or
 * below target.
 */
static void test_threshold_closed_loop(void **state)
{
        struct nf_policy_params p = params(NF_MODE_THRESHOLD);
        struct nf_policy_state st;
        uint64_t remote = 0, todo = 0, starts = 0, continues = 0, above = 0;
        const uint64_t total = 100000;

        (void)state;
        nf_policy_init(&st);
        for (uint64_t t = 0; t < 3600; t++) {
                struct nf_sample s = {total, remote, (double)remote / (double)total};
                struct nf_decision d;

                nf_policy_decide(&p, &st, &s, T0 + t * SEC, &st, &d);
                if (d.action == NF_ACTION_START) {
                        starts++;
                        todo = d.pages;
                } else if (d.action == NF_ACTION_CONTINUE) {
                        continues++;
                        todo = d.pages;
                } else if (d.action == NF_ACTION_STOP) {
                        assert_true(s.remote_share <= p.target);
                        todo = 0;
                }
                above = s.remote_share > p.threshold ? above + 1 : 0;
                assert_true(above <= 1);
                if (st.phase == NF_PHASE_ACTIVE) {
                        uint64_t n = todo < 1000 ? todo : 1000;

                        remote -= n;
                        todo -= n;
                        if (!todo) {
                                assert_true(remote <= total / 50);
                                nf_policy_finished(&st, T0 + t * SEC, &st);
                        }
                }
                remote += 50;
        }
        /* 3000 pages of headroom at 50 a second: one start a minute or so. */
        assert_in_range(starts, 50, 70);
        assert_true(continues >= 2 * starts);
        assert_int_equal(st.triggered[NF_TRIGGER_THRESHOLD], starts);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_init),
            cmocka_unit_test(test_validate),
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_threshold_cycle),
            cmocka_unit_test(test_threshold_hysteresis_band),
            cmocka_unit_test(test_threshold_zero_cooldown_and_edges),
            cmocka_unit_test(test_cooldown_time_backwards),
            cmocka_unit_test(test_finished),
            cmocka_unit_test(test_monitor_and_off_never_start),
            cmocka_unit_test(test_mode_change_stops),
            cmocka_unit_test(test_dry_run_threshold),
            cmocka_unit_test(test_periodic_anchor_and_epochs),
            cmocka_unit_test(test_periodic_missed_epochs),
            cmocka_unit_test(test_periodic_cooldown_and_active),
            cmocka_unit_test(test_periodic_mode_switch_and_period_change),
            cmocka_unit_test(test_periodic_dry_run),
            cmocka_unit_test(test_manual),
            cmocka_unit_test(test_manual_periodic_and_dry_run),
            cmocka_unit_test(test_no_alias),
            cmocka_unit_test(test_threshold_closed_loop),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
