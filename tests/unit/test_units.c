/* Unit tests for the parsers and printers of sizes, durations, shares and rates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nf_units.h"
#include "numaflip/backend.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)
#define SEC NF_NS_PER_SEC
#define MS NF_NS_PER_MS

struct ok_u64 {
        const char *in;
        uint64_t want;
};

struct bad {
        const char *in;
        int rc;
        const char *msg; /* the whole expected message */
};

typedef int (*u64_parser)(const char *, uint64_t *, char *, size_t);

static void check_ok_u64(u64_parser parse, const struct ok_u64 *t, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char err[256] = "untouched";
                uint64_t v = 12345;
                int rc = parse(t[i].in, &v, err, sizeof(err));

                if (rc != 0 || v != t[i].want)
                        fail_msg("'%s': rc %d value %llu, want %llu (%s)", t[i].in, rc,
                                 (unsigned long long)v, (unsigned long long)t[i].want, err);
                assert_string_equal(err, "");
        }
}

/* Each bad input fails with its code and exactly its message, leaving the output alone. */
static void check_bad_u64(u64_parser parse, const struct bad *t, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char err[256] = "";
                uint64_t v = 12345;
                int rc = parse(t[i].in, &v, err, sizeof(err));

                if (rc != t[i].rc || strcmp(err, t[i].msg) != 0)
                        fail_msg("'%s': rc %d message \"%s\", want %d \"%s\"",
                                 t[i].in ? t[i].in : "(null)", rc, err, t[i].rc, t[i].msg);
                assert_int_equal(v, 12345);
                /* A NULL err buffer is allowed and still fails the same way. */
                assert_int_equal(parse(t[i].in, &v, NULL, 0), t[i].rc);
        }
}

static void test_size_valid(void **state)
{
        static const struct ok_u64 t[] = {
            {"0", 0},
            {"4096", 4096},
            {"16MiB", 16 * MIB},
            {"2G", 2 * GIB},
            {"1.5GiB", 3 * GIB / 2},
            {"512k", 512 * KIB},
            {"4096 pages", 4096ull * NF_PAGE_SIZE},
            {"1 page", NF_PAGE_SIZE},
            {"1.5 pages", 6144},
            {"  16 MiB\t", 16 * MIB},
            {"\n8M\n", 8 * MIB},
            {"1KB", KIB},
            {"1kib", KIB},
            {"1K", KIB},
            {"2mb", 2 * MIB},
            {"1GB", GIB},
            {"3T", 3 * TIB},
            {"1TiB", TIB},
            {"1P", 1024 * TIB},
            {"7b", 7},
            {"10 bytes", 10},
            {"1 byte", 1},
            {"0.5KiB", 512},
            {"1.3MiB", 1363149}, /* 1363148.8 rounds to the nearest byte */
            {"0.25k", 256},
            {"007", 7},
            {"18446744073709551615", UINT64_MAX},
            {"16383P", 16383ull << 50},
        };

        (void)state;
        check_ok_u64(nf_parse_size, t, sizeof(t) / sizeof(t[0]));
}

static void test_size_invalid(void **state)
{
        static const struct bad t[] = {
            {NULL, -EINVAL, "invalid size '': empty value"},
            {"", -EINVAL, "invalid size '': empty value"},
            {"   ", -EINVAL, "invalid size '': empty value"},
            {"12XB", -EINVAL, "invalid size '12XB': unknown unit 'XB'"},
            {"-5", -EINVAL, "invalid size '-5': negative values are not allowed"},
            {" -5MiB", -EINVAL, "invalid size '-5MiB': negative values are not allowed"},
            {"abc", -EINVAL, "invalid size 'abc': expected a number"},
            {"+5", -EINVAL, "invalid size '+5': expected a number"},
            {"MiB", -EINVAL, "invalid size 'MiB': expected a number"},
            {".5G", -EINVAL, "invalid size '.5G': expected a number"},
            {"1.G", -EINVAL, "invalid size '1.G': expected a number"},
            {"16MiB junk", -EINVAL, "invalid size '16MiB junk': unknown unit 'MiB junk'"},
            {"16 MiB 2", -EINVAL, "invalid size '16 MiB 2': unknown unit 'MiB 2'"},
            {"1e3", -EINVAL, "invalid size '1e3': unknown unit 'e3'"},
            {"0x10", -EINVAL, "invalid size '0x10': unknown unit 'x10'"},
            {"1,5G", -EINVAL, "invalid size '1,5G': unknown unit ',5G'"},
            {"5 MiB/s", -EINVAL, "invalid size '5 MiB/s': unknown unit 'MiB/s'"},
            {"18446744073709551616", -ERANGE, "invalid size '18446744073709551616': out of range"},
            {"16384P", -ERANGE, "invalid size '16384P': out of range"},
            {"17179869184 GiB", -ERANGE, "invalid size '17179869184 GiB': out of range"},
            {"4503599627370496 pages", -ERANGE,
             "invalid size '4503599627370496 pages': out of range"},
        };

        (void)state;
        check_bad_u64(nf_parse_size, t, sizeof(t) / sizeof(t[0]));
}

static void test_size_message_bounds(void **state)
{
        char longval[200], err[256], tiny[16];
        uint64_t v;

        (void)state;
        /* A very long value is cut in the message, which says so. */
        memset(longval, 'x', sizeof(longval) - 1);
        longval[0] = '1';
        longval[sizeof(longval) - 1] = '\0';
        assert_int_equal(nf_parse_size(longval, &v, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "...': unknown unit '"));
        assert_true(strlen(err) < 200);
        assert_int_equal(strncmp(err, "invalid size '1xxx", 18), 0);

        /* A small buffer gets a truncated, terminated message. */
        memset(tiny, 'Z', sizeof(tiny));
        assert_int_equal(nf_parse_size("12XB", &v, tiny, sizeof(tiny)), -EINVAL);
        assert_string_equal(tiny, "invalid size '1");
}

static void test_pages_valid(void **state)
{
        static const struct ok_u64 t[] = {
            {"0", 0},
            {"4096", 1},
            {"8192", 2},
            {"16MiB", 4096},
            {"4096 pages", 4096},
            {"1 page", 1},
            {" 3 pages ", 3},
            {"1G", 262144},
            {"4503599627370496 pages", 4503599627370496ull}, /* too many bytes, fine as pages */
            {"18446744073709551615 pages", UINT64_MAX},
        };

        (void)state;
        check_ok_u64(nf_parse_pages, t, sizeof(t) / sizeof(t[0]));
}

static void test_pages_invalid(void **state)
{
        static const struct bad t[] = {
            {"", -EINVAL, "invalid size '': empty value"},
            {"4095", -EINVAL, "invalid size '4095': not a multiple of the page size (4096 bytes)"},
            {"1.5KiB", -EINVAL,
             "invalid size '1.5KiB': not a multiple of the page size (4096 bytes)"},
            {"1.5 pages", -EINVAL, "invalid size '1.5 pages': not a whole number of pages"},
            {"-1 pages", -EINVAL, "invalid size '-1 pages': negative values are not allowed"},
            {"4 pagez", -EINVAL, "invalid size '4 pagez': unknown unit 'pagez'"},
            {"18446744073709551616 pages", -ERANGE,
             "invalid size '18446744073709551616 pages': out of range"},
            {"16384P", -ERANGE, "invalid size '16384P': out of range"},
        };

        (void)state;
        check_bad_u64(nf_parse_pages, t, sizeof(t) / sizeof(t[0]));
}

static void test_duration_valid(void **state)
{
        static const struct ok_u64 t[] = {
            {"500ms", 500 * MS},
            {"30s", 30 * SEC},
            {"5m", 300 * SEC},
            {"2h", 7200 * SEC},
            {"1d", 86400 * SEC},
            {"250us", 250000},
            {"250\xc2\xb5s", 250000},
            {"10ns", 10},
            {"30", 30 * SEC},
            {"1.5", 1500 * MS},
            {"0", 0},
            {"0s", 0},
            {"1.5s", 1500 * MS},
            {"0.5ms", 500000},
            {"1m30s", 90 * SEC},
            {"1h 30m", 5400 * SEC},
            {"1d2h3m4s", (86400 + 7200 + 180 + 4) * SEC},
            {"1m30.25s", 90250 * MS},
            {" 5 min ", 300 * SEC},
            {"10 seconds", 10 * SEC},
            {"1 sec", SEC},
            {"2 hours", 7200 * SEC},
            {"3 days", 3 * 86400 * SEC},
            {"1w", 7 * 86400 * SEC},
            {"100 msec", 100 * MS},
            {"5S", 5 * SEC},
            {"5MS", 5 * MS},
            {"0.1s", 100 * MS},
            {"18446744073709551615ns", UINT64_MAX},
        };

        (void)state;
        check_ok_u64(nf_parse_duration, t, sizeof(t) / sizeof(t[0]));
}

static void test_duration_invalid(void **state)
{
        static const struct bad t[] = {
            {"5x", -EINVAL, "invalid duration '5x': unknown unit 'x'"},
            {"", -EINVAL, "invalid duration '': empty value"},
            {NULL, -EINVAL, "invalid duration '': empty value"},
            {"-1s", -EINVAL, "invalid duration '-1s': negative values are not allowed"},
            {"s", -EINVAL, "invalid duration 's': expected a number"},
            {"1m30", -EINVAL, "invalid duration '1m30': missing unit"},
            {"1 2", -EINVAL, "invalid duration '1 2': missing unit"},
            {"30s!", -EINVAL, "invalid duration '30s!': unknown unit 's!'"},
            {"1m-30s", -EINVAL, "invalid duration '1m-30s': unknown unit 'm-'"},
            {"1m -30s", -EINVAL, "invalid duration '1m -30s': negative values are not allowed"},
            {"1m .5s", -EINVAL, "invalid duration '1m .5s': unexpected '.5s'"},
            {"5 minutes ago", -EINVAL, "invalid duration '5 minutes ago': unexpected 'ago'"},
            {"1e3s", -EINVAL, "invalid duration '1e3s': unknown unit 'e'"},
            {"1000000000d", -ERANGE, "invalid duration '1000000000d': out of range"},
            {"18446744073709551615ns 1ns", -ERANGE,
             "invalid duration '18446744073709551615ns 1ns': out of range"},
            {"99999999999999999999s", -ERANGE,
             "invalid duration '99999999999999999999s': out of range"},
        };

        (void)state;
        check_bad_u64(nf_parse_duration, t, sizeof(t) / sizeof(t[0]));
}

static void test_share_valid(void **state)
{
        static const struct {
                const char *in;
                double want;
        } t[] = {
            {"5%", 0.05}, {"0.05", 0.05},     {"100%", 1.0},   {"1", 1.0},    {"0", 0.0},
            {"0%", 0.0},  {"12.5%", 0.125},   {" 5 % ", 0.05}, {"0.5", 0.5},  {"2%", 0.02},
            {"1.0", 1.0}, {"99.99%", 0.9999}, {"100.0%", 1.0}, {"33%", 0.33},
        };
        double a, b;

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                char err[128] = "x";
                double v = -1;

                if (nf_parse_share(t[i].in, &v, err, sizeof(err)) != 0 || v != t[i].want)
                        fail_msg("'%s' gave %.17g (%s), want %.17g", t[i].in, v, err, t[i].want);
                assert_string_equal(err, "");
        }
        /* A percentage and the same fraction are the very same double. */
        assert_int_equal(nf_parse_share("7%", &a, NULL, 0), 0);
        assert_int_equal(nf_parse_share("0.07", &b, NULL, 0), 0);
        assert_true(a == b);
}

static void test_share_invalid(void **state)
{
        static const struct bad t[] = {
            {"150%", -ERANGE, "invalid share '150%': above 100%"},
            {"100.01%", -ERANGE, "invalid share '100.01%': above 100%"},
            {"1.5", -ERANGE,
             "invalid share '1.5': above 1 (write a percentage with '%', e.g. '5%')"},
            {"5", -ERANGE, "invalid share '5': above 1 (write a percentage with '%', e.g. '5%')"},
            {"-5%", -EINVAL, "invalid share '-5%': negative values are not allowed"},
            {"5%%", -EINVAL, "invalid share '5%%': unknown unit '%%'"},
            {"5 percent", -EINVAL, "invalid share '5 percent': unknown unit 'percent'"},
            {"abc", -EINVAL, "invalid share 'abc': expected a number"},
            {"", -EINVAL, "invalid share '': empty value"},
            {"%", -EINVAL, "invalid share '%': expected a number"},
            {"99999999999999999999%", -ERANGE, "invalid share '99999999999999999999%': above 100%"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                char err[160] = "";
                double v = 42.0;
                int rc = nf_parse_share(t[i].in, &v, err, sizeof(err));

                if (rc != t[i].rc || strcmp(err, t[i].msg) != 0)
                        fail_msg("'%s': rc %d \"%s\", want %d \"%s\"", t[i].in, rc, err, t[i].rc,
                                 t[i].msg);
                assert_true(v == 42.0);
        }
}

static void test_rate_valid(void **state)
{
        static const struct ok_u64 t[] = {
            {"256MiB/s", 256 * MIB},
            {"1G/s", GIB},
            {"1000000", 1000000},
            {"0", 0},
            {"0/s", 0},
            {"unlimited", 0},
            {" Unlimited ", 0},
            {"1 KiB / s", KIB},
            {"60MiB/m", MIB},
            {"60MiB/min", MIB},
            {"3600/h", 1},
            {"1/m", 1},  /* a real limit never rounds down to "unlimited" */
            {"90/m", 2}, /* 1.5 bytes per second rounds to nearest */
            {"100 pages/s", 100ull * NF_PAGE_SIZE},
            {"5 MB/sec", 5 * MIB},
        };

        (void)state;
        check_ok_u64(nf_parse_rate, t, sizeof(t) / sizeof(t[0]));
}

static void test_rate_invalid(void **state)
{
        static const struct bad t[] = {
            {"256MiB/x", -EINVAL, "invalid rate '256MiB/x': unknown time unit '/x'"},
            {"256MiB/", -EINVAL, "invalid rate '256MiB/': unknown time unit '/'"},
            {"256XB/s", -EINVAL, "invalid rate '256XB/s': unknown unit 'XB'"},
            {"-1/s", -EINVAL, "invalid rate '-1/s': negative values are not allowed"},
            {"", -EINVAL, "invalid rate '': empty value"},
            {"/s", -EINVAL, "invalid rate '/s': expected a number"},
            {"fast", -EINVAL, "invalid rate 'fast': expected a number"},
            {"1/s/s", -EINVAL, "invalid rate '1/s/s': unknown time unit '/s/s'"},
            {"99999999999999999999/s", -ERANGE,
             "invalid rate '99999999999999999999/s': out of range"},
        };

        (void)state;
        check_bad_u64(nf_parse_rate, t, sizeof(t) / sizeof(t[0]));
}

static void test_per_sec(void **state)
{
        static const struct {
                const char *in;
                double want;
        } ok[] = {
            {"300", 300},  {"300/s", 300},     {"1.5k/s", 1500}, {"18000/m", 300},
            {"7200/h", 2}, {"0", 0},           {"0.5", 0.5},     {"2M/s", 2e6},
            {"1G", 1e9},   {" 12 / sec ", 12}, {"3K /min", 50},
        };
        static const struct bad bad[] = {
            {"-1", -EINVAL, "invalid event rate '-1': negative values are not allowed"},
            {"5x", -EINVAL, "invalid event rate '5x': unknown unit 'x'"},
            {"300/y", -EINVAL, "invalid event rate '300/y': unknown time unit '/y'"},
            {"", -EINVAL, "invalid event rate '': empty value"},
            {"1.5m/s", -EINVAL, "invalid event rate '1.5m/s': unknown unit 'm/s'"},
            {"1e999", -EINVAL, "invalid event rate '1e999': unknown unit 'e999'"},
            {"fast", -EINVAL, "invalid event rate 'fast': expected a number"},
            {"99999999999999999999", -ERANGE,
             "invalid event rate '99999999999999999999': out of range"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                char err[128] = "x";
                double v = -1;

                if (nf_parse_per_sec(ok[i].in, &v, err, sizeof(err)) != 0 || v != ok[i].want)
                        fail_msg("'%s' gave %g (%s), want %g", ok[i].in, v, err, ok[i].want);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char err[160] = "";
                double v = 42.0;
                int rc = nf_parse_per_sec(bad[i].in, &v, err, sizeof(err));

                if (rc != bad[i].rc || strcmp(err, bad[i].msg) != 0)
                        fail_msg("'%s': rc %d \"%s\", want %d \"%s\"", bad[i].in, rc, err,
                                 bad[i].rc, bad[i].msg);
                assert_true(v == 42.0);
        }
}

static void test_bool(void **state)
{
        static const char *const yes[] = {"yes", "true", "on", "1", "YES", " True ", "On"};
        static const char *const no[] = {"no", "false", "off", "0", "NO", "\tFalse", "OFF"};
        static const char *const bad[] = {"maybe", "2", "yess", "y", "", "onoff", "-1"};
        char err[128];
        int v;

        (void)state;
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                v = -1;
                assert_int_equal(nf_parse_bool(yes[i], &v, err, sizeof(err)), 0);
                assert_int_equal(v, 1);
                v = -1;
                assert_int_equal(nf_parse_bool(no[i], &v, err, sizeof(err)), 0);
                assert_int_equal(v, 0);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char want[128];

                v = -1;
                assert_int_equal(nf_parse_bool(bad[i], &v, err, sizeof(err)), -EINVAL);
                assert_int_equal(v, -1);
                if (*bad[i])
                        snprintf(want, sizeof(want),
                                 "invalid boolean '%s': expected yes/no, true/false, on/off or "
                                 "1/0",
                                 bad[i]);
                else
                        snprintf(want, sizeof(want), "invalid boolean '': empty value");
                assert_string_equal(err, want);
        }
}

static int parse_u64_max42(const char *s, uint64_t *out, char *err, size_t errlen)
{
        return nf_parse_u64(s, 42, out, err, errlen);
}

static int parse_u64_any(const char *s, uint64_t *out, char *err, size_t errlen)
{
        return nf_parse_u64(s, UINT64_MAX, out, err, errlen);
}

static void test_u64(void **state)
{
        static const struct ok_u64 ok42[] = {{"0", 0}, {"42", 42}, {" 7 ", 7}, {"042", 42}};
        static const struct ok_u64 okany[] = {{"18446744073709551615", UINT64_MAX}};
        static const struct bad bad42[] = {
            {"43", -ERANGE, "invalid number '43': above the maximum 42"},
            {"-1", -EINVAL, "invalid number '-1': negative values are not allowed"},
            {"12a", -EINVAL, "invalid number '12a': unexpected 'a' after the number"},
            {"1.5", -EINVAL, "invalid number '1.5': unexpected '.5' after the number"},
            {"1 2", -EINVAL, "invalid number '1 2': unexpected ' 2' after the number"},
            {"", -EINVAL, "invalid number '': empty value"},
            {"x", -EINVAL, "invalid number 'x': expected a number"},
        };
        static const struct bad badany[] = {
            {"18446744073709551616", -ERANGE,
             "invalid number '18446744073709551616': out of range"},
            {"99999999999999999999999", -ERANGE,
             "invalid number '99999999999999999999999': out of range"},
        };

        (void)state;
        check_ok_u64(parse_u64_max42, ok42, sizeof(ok42) / sizeof(ok42[0]));
        check_ok_u64(parse_u64_any, okany, 1);
        check_bad_u64(parse_u64_max42, bad42, sizeof(bad42) / sizeof(bad42[0]));
        check_bad_u64(parse_u64_any, badany, sizeof(badany) / sizeof(badany[0]));
}

static void test_format_size(void **state)
{
        static const struct {
                uint64_t in;
                const char *want;
        } t[] = {
            {0, "0 B"},
            {512, "512 B"},
            {1000, "1000 B"},
            {1023, "1023 B"},
            {1024, "1 KiB"},
            {1536, "1.5 KiB"},
            {4096, "4 KiB"},
            {256 * MIB, "256 MiB"},
            {3 * GIB / 2, "1.5 GiB"},
            {GIB + 1, "1 GiB"},
            {1048575, "1 MiB"}, /* rounds up into the next unit, not "1024 KiB" */
            {1048570, "1023.99 KiB"},
            {5 * TIB, "5 TiB"},
            {UINT64_MAX, "16 EiB"},
            {1288490189, "1.2 GiB"},
        };
        char buf[32];

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                assert_string_equal(nf_format_size(t[i].in, buf, sizeof(buf)), t[i].want);
}

static void test_format_duration(void **state)
{
        static const struct {
                uint64_t in;
                const char *want;
        } t[] = {
            {0, "0s"},
            {10, "10ns"},
            {250000, "250us"},
            {1500, "1.5us"},
            {500 * MS, "500ms"},
            {1500000, "1.5ms"},
            {SEC, "1s"},
            {1500 * MS, "1.5s"},
            {90 * SEC, "1m30s"},
            {3600 * SEC, "1h"},
            {(86400 + 7200 + 180 + 4) * SEC, "1d2h3m4s"},
            {60 * SEC + 1, "1m"},
            {90250 * MS, "1m30.25s"},
            {86400 * SEC + 500 * MS, "1d0.5s"},
        };
        char buf[48];

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                assert_string_equal(nf_format_duration(t[i].in, buf, sizeof(buf)), t[i].want);
}

static void test_format_share_rate(void **state)
{
        char buf[32];

        (void)state;
        assert_string_equal(nf_format_share(0.1234, buf, sizeof(buf)), "12.34%");
        assert_string_equal(nf_format_share(0.05, buf, sizeof(buf)), "5%");
        assert_string_equal(nf_format_share(1.0, buf, sizeof(buf)), "100%");
        assert_string_equal(nf_format_share(0.0, buf, sizeof(buf)), "0%");
        assert_string_equal(nf_format_share(0.005, buf, sizeof(buf)), "0.5%");
        assert_string_equal(nf_format_share(0.22, buf, sizeof(buf)), "22%");
        assert_string_equal(nf_format_rate(0, buf, sizeof(buf)), "unlimited");
        assert_string_equal(nf_format_rate(256 * MIB, buf, sizeof(buf)), "256 MiB/s");
        assert_string_equal(nf_format_rate(100, buf, sizeof(buf)), "100 B/s");
}

/* Printed values read back as the same value, so status output can be pasted in configs. */
static void test_round_trip(void **state)
{
        static const uint64_t sizes[] = {0,    1,        512,         1024,   1536,
                                         4096, 16 * MIB, 3 * GIB / 2, 7 * TIB};
        static const uint64_t durs[] = {0,          10,          250000,    1500000,
                                        500 * MS,   SEC,         1500 * MS, 90 * SEC,
                                        3600 * SEC, 93784 * SEC, 90250 * MS};
        static const double shares[] = {0, 0.05, 0.125, 0.1234, 1.0};
        char buf[48];

        (void)state;
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                uint64_t v = 0, r = 0;

                assert_int_equal(
                    nf_parse_size(nf_format_size(sizes[i], buf, sizeof(buf)), &v, NULL, 0), 0);
                assert_int_equal(v, sizes[i]);
                assert_int_equal(
                    nf_parse_rate(nf_format_rate(sizes[i], buf, sizeof(buf)), &r, NULL, 0), 0);
                assert_int_equal(r, sizes[i]);
        }
        for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
                uint64_t v = 1;

                assert_int_equal(
                    nf_parse_duration(nf_format_duration(durs[i], buf, sizeof(buf)), &v, NULL, 0),
                    0);
                assert_int_equal(v, durs[i]);
        }
        for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++) {
                double v = -1;

                assert_int_equal(
                    nf_parse_share(nf_format_share(shares[i], buf, sizeof(buf)), &v, NULL, 0), 0);
                assert_true(v == shares[i]);
        }
}

static void test_format_small_buffers(void **state)
{
        char buf[8];

        (void)state;
        memset(buf, 'Z', sizeof(buf));
        assert_ptr_equal(nf_format_size(3 * GIB / 2, buf, 4), buf);
        assert_string_equal(buf, "1.5");
        memset(buf, 'Z', sizeof(buf));
        nf_format_duration(90 * SEC, buf, 3);
        assert_string_equal(buf, "1m");
        memset(buf, 'Z', sizeof(buf));
        nf_format_share(0.1234, buf, 2);
        assert_string_equal(buf, "1");
        memset(buf, 'Z', sizeof(buf));
        nf_format_rate(0, buf, 5);
        assert_string_equal(buf, "unli");
        /* len 0 writes nothing at all. */
        memset(buf, 'Z', sizeof(buf));
        assert_ptr_equal(nf_format_size(1, buf, 0), buf);
        assert_ptr_equal(nf_format_duration(1, buf, 0), buf);
        assert_ptr_equal(nf_format_share(1, buf, 0), buf);
        assert_ptr_equal(nf_format_rate(1, buf, 0), buf);
        assert_int_equal(buf[0], 'Z');
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_size_valid),
            cmocka_unit_test(test_size_invalid),
            cmocka_unit_test(test_size_message_bounds),
            cmocka_unit_test(test_pages_valid),
            cmocka_unit_test(test_pages_invalid),
            cmocka_unit_test(test_duration_valid),
            cmocka_unit_test(test_duration_invalid),
            cmocka_unit_test(test_share_valid),
            cmocka_unit_test(test_share_invalid),
            cmocka_unit_test(test_rate_valid),
            cmocka_unit_test(test_rate_invalid),
            cmocka_unit_test(test_per_sec),
            cmocka_unit_test(test_bool),
            cmocka_unit_test(test_u64),
            cmocka_unit_test(test_format_size),
            cmocka_unit_test(test_format_duration),
            cmocka_unit_test(test_format_share_rate),
            cmocka_unit_test(test_round_trip),
            cmocka_unit_test(test_format_small_buffers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
