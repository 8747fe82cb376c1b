/* Unit tests for flip-pool sizing: Algorithm 2, bounds, static and off. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nf_poolsize.h"

#define SEC 1000000000ull

static struct nf_pool_params dyn(void)
{
        struct nf_pool_params p;

        nf_poolsize_defaults(&p);
        return p;
}

static void test_defaults(void **state)
{
        struct nf_pool_params p;
        struct nf_check_error e;

        (void)state;
        memset(&p, 0xff, sizeof(p));
        nf_poolsize_defaults(&p);
        assert_int_equal(p.mode, NF_POOL_DYNAMIC);
        assert_int_equal(p.size, 256);
        assert_int_equal(p.min, 64);
        assert_int_equal(p.max, 262144);
        assert_true(p.grow_above == 0.9);
        assert_true(p.shrink_below == 0.2);
        assert_true(p.step == 0.1);
        assert_int_equal(p.interval_ns, 10 * SEC);
        assert_int_equal(nf_poolsize_validate(&p, &e), 0);
}

/* The check names the key at fault and the one it contradicts: "key: message". */
static void check_invalid(const struct nf_pool_params *p, const char *msg, const char *other)
{
        struct nf_check_error e;
        char err[320];

        assert_int_equal(nf_poolsize_validate(p, &e), -EINVAL);
        snprintf(err, sizeof(err), "%s: %s", e.key ? e.key : "?", e.msg);
        if (strcmp(err, msg) != 0)
                fail_msg("message \"%s\", want \"%s\"", err, msg);
        if (other)
                assert_string_equal(e.other_key, other);
        else
                assert_null(e.other_key);
        assert_int_equal(nf_poolsize_validate(p, NULL), -EINVAL);
}

static void test_validate(void **state)
{
        struct nf_pool_params p;

        (void)state;
        p = dyn();
        p.mode = (enum nf_pool_mode)9;
        check_invalid(&p, "mode: unknown pool mode 9", NULL);
        p = dyn();
        p.max = 0;
        p.min = 0;
        p.size = 0;
        check_invalid(&p, "max: must be at least one page", NULL);
        p = dyn();
        p.min = 300000;
        check_invalid(&p, "min: 300000 pages is above max (262144 pages)", "max");
        p = dyn();
        p.size = 10;
        check_invalid(&p, "size: 10 pages is outside min..max (64..262144 pages)", "min");
        p.size = 262145;
        check_invalid(&p, "size: 262145 pages is outside min..max (64..262144 pages)", "max");
        p = dyn();
        p.grow_above = 1.5;
        check_invalid(&p, "grow_above: 150% is outside 0%..100%", NULL);
        p = dyn();
        p.shrink_below = -0.1;
        check_invalid(&p, "shrink_below: -10% is outside 0%..100%", NULL);
        p = dyn();
        p.shrink_below = 0.9;
        check_invalid(&p, "shrink_below: 90% must be below grow_above (90%)", "grow_above");
        p.shrink_below = 0.95;
        check_invalid(&p, "shrink_below: 95% must be below grow_above (90%)", "grow_above");
        p = dyn();
        p.step = 0;
        check_invalid(&p, "step: 0% is outside 0%..100% (exclusive of 0)", NULL);
        p.step = 1.5;
        check_invalid(&p, "step: 150% is outside 0%..100% (exclusive of 0)", NULL);
        p.step = NAN;
        check_invalid(&p, "step: nan% is outside 0%..100% (exclusive of 0)", NULL);
        p = dyn();
        p.interval_ns = 0;
        check_invalid(&p, "interval: must be above 0", NULL);

        /* Contradictions are errors in every mode: min above max is wrong in a file
         * whether or not the pool is dynamic today. */
        p = dyn();
        p.mode = NF_POOL_STATIC;
        p.min = 100;
        p.max = 50;
        check_invalid(&p, "min: 100 pages is above max (50 pages)", "max");
        p.mode = NF_POOL_OFF;
        check_invalid(&p, "min: 100 pages is above max (50 pages)", "max");
        p = dyn();
        p.mode = NF_POOL_STATIC;
        p.shrink_below = 0.95;
        check_invalid(&p, "shrink_below: 95% must be below grow_above (90%)", "grow_above");
        /* A static size stands alone: min and max bound only a dynamic pool. */
        p = dyn();
        p.mode = NF_POOL_STATIC;
        p.size = 5;
        assert_int_equal(nf_poolsize_validate(&p, NULL), 0);
        p.mode = NF_POOL_OFF;
        assert_int_equal(nf_poolsize_validate(&p, NULL), 0);

        /* Edges that are allowed. */
        p = dyn();
        p.min = 0;
        p.size = 0;
        p.step = 1.0;
        p.shrink_below = 0;
        p.grow_above = 1.0;
        assert_int_equal(nf_poolsize_validate(&p, NULL), 0);
}

static void test_initial(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        assert_int_equal(nf_poolsize_initial(&p), 256);
        p.size = 10; /* below min: clamped */
        assert_int_equal(nf_poolsize_initial(&p), 64);
        p.size = 1u << 30;
        assert_int_equal(nf_poolsize_initial(&p), 262144);
        p.mode = NF_POOL_STATIC;
        p.size = 10; /* static: exactly the size, bounds do not apply */
        assert_int_equal(nf_poolsize_initial(&p), 10);
        p.mode = NF_POOL_OFF;
        assert_int_equal(nf_poolsize_initial(&p), 0);
        p.mode = (enum nf_pool_mode)9;
        assert_int_equal(nf_poolsize_initial(&p), 0);
}

static void test_off_and_static(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        p.mode = NF_POOL_OFF;
        assert_int_equal(nf_poolsize_next(&p, 256, 256), 0);
        assert_int_equal(nf_poolsize_next(&p, 0, 1000), 0);
        p.mode = NF_POOL_STATIC;
        p.size = 500;
        assert_int_equal(nf_poolsize_next(&p, 500, 500), 500); /* full: no growth */
        assert_int_equal(nf_poolsize_next(&p, 500, 0), 500);   /* idle: no shrink */
        assert_int_equal(nf_poolsize_next(&p, 123, 0), 500);   /* back to the configured size */
        p.mode = (enum nf_pool_mode)9;
        assert_int_equal(nf_poolsize_next(&p, 500, 500), 0);
}

/* Algorithm 2: above 90% used grow by 10%, below 20% shrink by 10%, else keep. */
static void test_grow_shrink(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        assert_int_equal(nf_poolsize_next(&p, 256, 231), 281); /* 90.2%: +25 */
        assert_int_equal(nf_poolsize_next(&p, 256, 230), 256); /* 89.8% */
        assert_int_equal(nf_poolsize_next(&p, 100, 90), 100);  /* exactly 90%: not above */
        assert_int_equal(nf_poolsize_next(&p, 100, 91), 110);
        assert_int_equal(nf_poolsize_next(&p, 256, 256), 281);
        assert_int_equal(nf_poolsize_next(&p, 256, 51), 231); /* 19.9%: -25 */
        assert_int_equal(nf_poolsize_next(&p, 256, 52), 256); /* 20.3% */
        assert_int_equal(nf_poolsize_next(&p, 100, 20), 100); /* exactly 20%: not below */
        assert_int_equal(nf_poolsize_next(&p, 100, 19), 90);
        assert_int_equal(nf_poolsize_next(&p, 1000, 0), 900);
        assert_int_equal(nf_poolsize_next(&p, 1000, 500), 1000);
        /* Figures are configurable. */
        p.grow_above = 0.5;
        p.shrink_below = 0.1;
        p.step = 0.25;
        assert_int_equal(nf_poolsize_next(&p, 1000, 501), 1250);
        assert_int_equal(nf_poolsize_next(&p, 1000, 500), 1000);
        assert_int_equal(nf_poolsize_next(&p, 1000, 99), 750);
}

/* A step is at least one page, so small pools can still move. */
static void test_small_pools(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        p.min = 1;
        assert_int_equal(nf_poolsize_next(&p, 5, 5), 6);
        assert_int_equal(nf_poolsize_next(&p, 5, 0), 4);
        assert_int_equal(nf_poolsize_next(&p, 1, 1), 2);
        assert_int_equal(nf_poolsize_next(&p, 1, 0), 1); /* min */
        assert_int_equal(nf_poolsize_next(&p, 19, 19), 20);
        assert_int_equal(nf_poolsize_next(&p, 20, 20), 22);
        p.min = 0;
        assert_int_equal(nf_poolsize_next(&p, 1, 0), 0);
}

static void test_bounds(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        assert_int_equal(nf_poolsize_next(&p, 262144, 262144), 262144);
        assert_int_equal(nf_poolsize_next(&p, 250000, 250000), 262144);
        assert_int_equal(nf_poolsize_next(&p, 64, 0), 64);
        assert_int_equal(nf_poolsize_next(&p, 70, 0), 64); /* 63 clamped up */
        /* A size outside the bounds (the bounds changed on reload) is pulled back in. */
        assert_int_equal(nf_poolsize_next(&p, 1000000, 500000), 262144);
        assert_int_equal(nf_poolsize_next(&p, 10, 5), 64);
        /* Growth saturates instead of wrapping. */
        p.max = UINT64_MAX;
        assert_int_equal(nf_poolsize_next(&p, UINT64_MAX - 3, UINT64_MAX), UINT64_MAX);
        /* A full step shrinks to nothing, then the floor applies. */
        p.step = 1.0;
        assert_int_equal(nf_poolsize_next(&p, 1000, 0), 64);
        assert_int_equal(nf_poolsize_next(&p, 1000, 1000), 2000);
}

/* More handed out than the size (frames cycle within an interval) is "more than
 * full": one step of growth, as in Algorithm 2, not a jump to the demand. */
static void test_handed_above_size(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        assert_int_equal(nf_poolsize_next(&p, 256, 10000), 281);
        assert_int_equal(nf_poolsize_next(&p, 256, UINT64_MAX), 281);
}

/* A pool of size 0 has no share to compute: demand grows it, no demand keeps it empty;
 * the bounds then apply. */
static void test_size_zero(void **state)
{
        struct nf_pool_params p = dyn();

        (void)state;
        assert_int_equal(nf_poolsize_next(&p, 0, 0), 64);
        assert_int_equal(nf_poolsize_next(&p, 0, 7), 64);
        p.min = 0;
        assert_int_equal(nf_poolsize_next(&p, 0, 0), 0);
        assert_int_equal(nf_poolsize_next(&p, 0, 7), 1);
        assert_int_equal(nf_poolsize_next(&p, 1, 1), 2);
}

/* Under steady demand the size settles where use is between the two figures; when the
 * demand goes away it decays back to the minimum. */
static void test_converges(void **state)
{
        struct nf_pool_params p = dyn();
        uint64_t size = nf_poolsize_initial(&p), prev;
        int i;

        (void)state;
        for (i = 0; i < 100; i++)
                size = nf_poolsize_next(&p, size, 1000);
        prev = size;
        assert_true(1000.0 / (double)size <= p.grow_above);
        assert_true(1000.0 / (double)size >= p.shrink_below);
        assert_int_equal(nf_poolsize_next(&p, size, 1000), prev); /* settled */
        for (i = 0; i < 100 && size > p.min; i++)
                size = nf_poolsize_next(&p, size, 0);
        assert_int_equal(size, p.min);
        assert_true(i > 10); /* it shrinks in steps, not at once */
}

static void test_names(void **state)
{
        enum nf_pool_mode m;

        (void)state;
        assert_string_equal(nf_pool_mode_name(NF_POOL_OFF), "off");
        assert_string_equal(nf_pool_mode_name(NF_POOL_STATIC), "static");
        assert_string_equal(nf_pool_mode_name(NF_POOL_DYNAMIC), "dynamic");
        assert_string_equal(nf_pool_mode_name((enum nf_pool_mode)5), "unknown");
        assert_int_equal(nf_pool_mode_parse("off", &m), 0);
        assert_int_equal(m, NF_POOL_OFF);
        assert_int_equal(nf_pool_mode_parse("static", &m), 0);
        assert_int_equal(m, NF_POOL_STATIC);
        assert_int_equal(nf_pool_mode_parse("Dynamic", &m), 0);
        assert_int_equal(m, NF_POOL_DYNAMIC);
        m = NF_POOL_STATIC;
        assert_int_equal(nf_pool_mode_parse("dyn", &m), -EINVAL);
        assert_int_equal(nf_pool_mode_parse("dynamics", &m), -EINVAL);
        assert_int_equal(nf_pool_mode_parse("", &m), -EINVAL);
        assert_int_equal(nf_pool_mode_parse(NULL, &m), -EINVAL);
        assert_int_equal(m, NF_POOL_STATIC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),    cmocka_unit_test(test_validate),
            cmocka_unit_test(test_initial),     cmocka_unit_test(test_off_and_static),
            cmocka_unit_test(test_grow_shrink), cmocka_unit_test(test_small_pools),
            cmocka_unit_test(test_bounds),      cmocka_unit_test(test_handed_above_size),
            cmocka_unit_test(test_size_zero),   cmocka_unit_test(test_converges),
            cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
