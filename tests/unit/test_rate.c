/* Unit tests for the migration token bucket and batch sizing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nf_rate.h"
#include "numaflip/backend.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define T0 (77 * SEC)
#define MIB (1024ull * 1024)

/* Available bytes at t without disturbing r. */
static uint64_t avail_at(const struct nf_rate *r, uint64_t t)
{
        struct nf_rate c = *r;

        return nf_rate_available(&c, t);
}

static void test_init_full(void **state)
{
        struct nf_rate r;

        (void)state;
        memset(&r, 0xa5, sizeof(r));
        nf_rate_init(&r, 1000, 2000, T0);
        assert_int_equal(r.rate, 1000);
        assert_int_equal(r.burst, 2000);
        assert_int_equal(r.last_ns, T0);
        assert_int_equal(nf_rate_available(&r, T0), 2000);
        /* A full bucket stays full. */
        assert_int_equal(nf_rate_available(&r, T0 + 100 * SEC), 2000);
        assert_int_equal(nf_rate_delay_ns(&r, 2000, T0), 0);
}

static void test_refill(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 1000, 2000, T0);
        nf_rate_consume(&r, 2000, T0);
        assert_int_equal(nf_rate_available(&r, T0), 0);
        assert_int_equal(nf_rate_available(&r, T0 + 500 * MS), 500);
        assert_int_equal(nf_rate_available(&r, T0 + SEC), 1000);
        assert_int_equal(nf_rate_available(&r, T0 + SEC + 1 * MS), 1001);
        assert_int_equal(nf_rate_available(&r, T0 + 10 * SEC), 2000); /* capped at burst */
        nf_rate_consume(&r, 300, T0 + 10 * SEC);
        assert_int_equal(nf_rate_available(&r, T0 + 10 * SEC), 1700);
        /* Many small refills add up like one big one. */
        nf_rate_consume(&r, 1700, T0 + 10 * SEC);
        for (int i = 1; i <= 1000; i++)
                nf_rate_available(&r, T0 + 10 * SEC + (uint64_t)i * MS);
        assert_int_equal(nf_rate_available(&r, T0 + 11 * SEC), 1000);
}

static void test_overdraw(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 1000, 2000, T0);
        /* A batch that overran is paid back before anything else may be spent. */
        nf_rate_consume(&r, 5000, T0);
        assert_int_equal(nf_rate_available(&r, T0), 0);
        assert_int_equal(nf_rate_available(&r, T0 + 2 * SEC), 0);
        assert_int_equal(nf_rate_available(&r, T0 + 3 * SEC), 0);
        assert_int_equal(nf_rate_available(&r, T0 + 3 * SEC + 10 * MS), 10);
        nf_rate_init(&r, 1000, 2000, T0);
        nf_rate_consume(&r, 5000, T0);
        assert_int_equal(nf_rate_delay_ns(&r, 1, T0), 3001 * MS);
        assert_int_equal(nf_rate_delay_ns(&r, 0, T0), 0); /* nothing to spend, nothing to wait */
        assert_int_equal(nf_rate_delay_ns(&r, 1000, T0 + SEC), 3 * SEC);
}

static void test_delay(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 1000, 2000, T0);
        assert_int_equal(nf_rate_delay_ns(&r, 1500, T0), 0);
        nf_rate_consume(&r, 1500, T0);
        assert_int_equal(nf_rate_delay_ns(&r, 500, T0), 0);
        assert_int_equal(nf_rate_delay_ns(&r, 501, T0), 1 * MS);
        assert_int_equal(nf_rate_delay_ns(&r, 1500, T0), SEC);
        assert_int_equal(nf_rate_delay_ns(&r, 1500, T0 + 400 * MS), 600 * MS);
        assert_int_equal(nf_rate_delay_ns(&r, 0, T0), 0);
        /* More than the bucket can hold: wait for a full bucket, then overdraw. */
        assert_int_equal(nf_rate_delay_ns(&r, 5000, T0), 1500 * MS);
        assert_int_equal(nf_rate_delay_ns(&r, UINT64_MAX, T0), 1500 * MS);
        /* delay is a pure query. */
        assert_int_equal(avail_at(&r, T0), 500);

        /* Slow rates give long, but finite, delays. */
        nf_rate_init(&r, 1, 10, T0);
        nf_rate_consume(&r, 10, T0);
        assert_int_equal(nf_rate_delay_ns(&r, 10, T0), 10 * SEC);
}

/* The delay is enough, and (within a nanosecond of rounding) no more than enough. */
static void test_delay_is_tight(void **state)
{
        static const uint64_t rates[] = {1, 3, 1000, 4096, 1000003, 256 * MIB, 10000 * MIB};
        uint64_t x = 12345;

        (void)state;
        for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
                struct nf_rate r;
                uint64_t now = T0;

                nf_rate_init(&r, rates[i], rates[i] / 2 + 1, now);
                for (int k = 0; k < 300; k++) {
                        uint64_t want, d, need;

                        x = x * 6364136223846793005ull + 1442695040888963407ull;
                        want = 1 + (x >> 33) % (rates[i] + 2);
                        nf_rate_consume(&r, (x >> 20) % (rates[i] / 3 + 1), now);
                        d = nf_rate_delay_ns(&r, want, now);
                        need = want < r.burst ? want : r.burst;
                        assert_true(avail_at(&r, now + d) >= need);
                        if (d >= 2 && avail_at(&r, now + d - 2) >= need)
                                fail_msg("rate %llu want %llu tokens %.3f: delay %llu not tight",
                                         (unsigned long long)rates[i], (unsigned long long)want,
                                         r.tokens, (unsigned long long)d);
                        now += (x >> 40) % (SEC / 10);
                }
        }
}

/* Pacing batches by delay spends the rate plus one burst, never more. */
static void test_pacing_over_a_minute(void **state)
{
        const uint64_t rate = 256 * MIB, batch = 16 * MIB, burst = 32 * MIB;
        uint64_t now = T0, spent = 0;
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, rate, burst, now);
        while (now < T0 + 60 * SEC) {
                now += nf_rate_delay_ns(&r, batch, now);
                assert_true(nf_rate_available(&r, now) >= batch);
                nf_rate_consume(&r, batch, now);
                spent += batch;
        }
        assert_true(spent >= 60 * rate);
        assert_true(spent <= 60 * rate + burst + batch);
}

static void test_unlimited(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 0, 0, T0);
        assert_int_equal(nf_rate_available(&r, T0), UINT64_MAX);
        nf_rate_consume(&r, UINT64_MAX, T0);
        assert_int_equal(nf_rate_available(&r, T0), UINT64_MAX);
        assert_int_equal(nf_rate_delay_ns(&r, UINT64_MAX, T0), 0);
        /* Leaving unlimited starts with a full bucket. */
        nf_rate_set(&r, 1000, 3000, T0 + SEC);
        assert_int_equal(nf_rate_available(&r, T0 + SEC), 3000);
        nf_rate_consume(&r, 3000, T0 + SEC);
        assert_int_equal(nf_rate_available(&r, T0 + 2 * SEC), 1000);
        /* And going unlimited forgets any debt. */
        nf_rate_consume(&r, 100000, T0 + 2 * SEC);
        nf_rate_set(&r, 0, 0, T0 + 2 * SEC);
        assert_int_equal(nf_rate_available(&r, T0 + 2 * SEC), UINT64_MAX);
        assert_int_equal(nf_rate_delay_ns(&r, 1, T0 + 2 * SEC), 0);
}

static void test_set_keeps_tokens(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 1000, 2000, T0);
        nf_rate_consume(&r, 2000, T0);
        /* Tokens earned at the old rate are kept... */
        nf_rate_set(&r, 4000, 10000, T0 + SEC);
        assert_int_equal(nf_rate_available(&r, T0 + SEC), 1000);
        /* ...and the new rate applies from then on. */
        assert_int_equal(nf_rate_available(&r, T0 + 2 * SEC), 5000);
        /* A smaller burst clamps what is held. */
        nf_rate_set(&r, 4000, 1500, T0 + 2 * SEC);
        assert_int_equal(nf_rate_available(&r, T0 + 2 * SEC), 1500);
        assert_int_equal(r.burst, 1500);
        assert_int_equal(r.rate, 4000);
        /* Debt survives a reload too. */
        nf_rate_consume(&r, 5500, T0 + 2 * SEC);
        nf_rate_set(&r, 1000, 1500, T0 + 2 * SEC);
        assert_int_equal(nf_rate_available(&r, T0 + 6 * SEC), 0);
        assert_int_equal(nf_rate_available(&r, T0 + 7 * SEC), 1000);
}

static void test_zero_burst_is_one_second(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 5000, 0, T0);
        assert_int_equal(nf_rate_available(&r, T0), 5000);
        nf_rate_consume(&r, 5000, T0);
        assert_int_equal(nf_rate_available(&r, T0 + 10 * SEC), 5000);
        assert_int_equal(nf_rate_delay_ns(&r, 8000, T0 + 10 * SEC), 0);
}

static void test_time_backwards(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, 1000, 2000, T0);
        nf_rate_consume(&r, 2000, T0);
        assert_int_equal(nf_rate_available(&r, T0 - 5 * SEC), 0);
        assert_int_equal(r.last_ns, T0);
        /* Refill continues from the latest time seen, not the earlier one. */
        assert_int_equal(nf_rate_available(&r, T0 + SEC), 1000);
        assert_int_equal(nf_rate_delay_ns(&r, 1500, T0), 500 * MS + SEC);
        nf_rate_consume(&r, 1000, T0 - SEC);
        assert_int_equal(nf_rate_available(&r, T0 + SEC), 0);
}

static void test_huge_values(void **state)
{
        struct nf_rate r;

        (void)state;
        nf_rate_init(&r, UINT64_MAX, UINT64_MAX, T0);
        assert_int_equal(nf_rate_available(&r, T0), UINT64_MAX);
        nf_rate_init(&r, 1, UINT64_MAX, T0);
        nf_rate_consume(&r, UINT64_MAX, T0);
        assert_int_equal(nf_rate_delay_ns(&r, UINT64_MAX, T0), UINT64_MAX);
        assert_int_equal(nf_rate_available(&r, T0 + 10 * SEC), 10);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_init_full),
            cmocka_unit_test(test_refill),
            cmocka_unit_test(test_overdraw),
            cmocka_unit_test(test_delay),
            cmocka_unit_test(test_delay_is_tight),
            cmocka_unit_test(test_pacing_over_a_minute),
            cmocka_unit_test(test_unlimited),
            cmocka_unit_test(test_set_keeps_tokens),
            cmocka_unit_test(test_zero_burst_is_one_second),
            cmocka_unit_test(test_time_backwards),
            cmocka_unit_test(test_huge_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
