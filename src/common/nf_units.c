/* Parsing and printing of sizes, durations, shares, rates, booleans and integers. */
#include "nf_units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "numaflip/backend.h"

/* Values longer than this are shortened in messages so one line stays one line. */
#define VALUE_SHOWN_MAX 64

/* What is being parsed, for messages: the kind and the whole (trimmed) value. */
struct ctx {
        const char *what;
        const char *b, *e;
        char *err;
        size_t errlen;
};

/* A decimal number as written: integer part and up to 18 fraction digits. */
struct num {
        uint64_t ip;
        uint64_t fnum; /* fraction digits as an integer */
        uint64_t fden; /* 10^(digits kept); 1 without a fraction */
        bool ip_overflow;
};

/* A unit word and what it multiplies by. */
struct unit {
        const char *name;
        uint64_t mult;
};

/* ASCII only: config files are not locale-dependent. */
static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
        return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of [b, e) with a NUL-terminated word. */
static bool word_eq(const char *b, const char *e, const char *w)
{
        size_t n = (size_t)(e - b);

        if (strlen(w) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (to_lower(b[i]) != to_lower(w[i]))
                        return false;
        return true;
}

static void trim(const char **b, const char **e)
{
        while (*b < *e && is_space(**b))
                (*b)++;
        while (*e > *b && is_space((*e)[-1]))
                (*e)--;
}

static void skip_space(const char **p, const char *e)
{
        while (*p < e && is_space(**p))
                (*p)++;
}

static void ctx_init(struct ctx *c, const char *what, const char *s, char *err, size_t errlen)
{
        c->what = what;
        c->b = s ? s : "";
        c->e = c->b + strlen(c->b);
        c->err = err;
        c->errlen = errlen;
        trim(&c->b, &c->e);
        if (err && errlen)
                err[0] = '\0';
}

/* Writes "invalid WHAT 'VALUE': DETAIL" and returns rc. */
__attribute__((format(printf, 3, 4))) static int fail(const struct ctx *c, int rc, const char *fmt,
                                                      ...)
{
        char detail[160];
        int n = (int)(c->e - c->b);
        const char *more = "";
        va_list ap;

        if (!c->err || !c->errlen)
                return rc;
        if (n > VALUE_SHOWN_MAX) {
                n = VALUE_SHOWN_MAX;
                more = "...";
        }
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "invalid %s '%.*s%s': %s", c->what, n, c->b, more, detail);
        return rc;
}

/* Reports [b, e) as a unit that is not known, shortened like the value. */
static int fail_unit(const struct ctx *c, const char *b, const char *e)
{
        int n = (int)(e - b);

        if (n > VALUE_SHOWN_MAX)
                n = VALUE_SHOWN_MAX;
        return fail(c, -EINVAL, "unknown unit '%.*s'", n, b);
}

/* Common prefix checks: empty, negative, or not starting with a digit. */
static int check_start(const struct ctx *c)
{
        if (c->b == c->e)
                return fail(c, -EINVAL, "empty value");
        if (*c->b == '-')
                return fail(c, -EINVAL, "negative values are not allowed");
        if (!is_digit(*c->b))
                return fail(c, -EINVAL, "expected a number");
        return 0;
}

/* Reads digits ['.' digits] at *p. Only 18 fraction digits are kept: beyond them
 * nothing of any unit here changes. False when *p holds no number. */
static bool lex_number(const char **p, const char *e, struct num *n)
{
        const char *q = *p;

        memset(n, 0, sizeof(*n));
        n->fden = 1;
        if (q == e || !is_digit(*q))
                return false;
        for (; q < e && is_digit(*q); q++) {
                unsigned d = (unsigned)(*q - '0');

                if (n->ip > (UINT64_MAX - d) / 10)
                        n->ip_overflow = true;
                else
                        n->ip = n->ip * 10 + d;
        }
        if (q < e && *q == '.') {
                if (q + 1 == e || !is_digit(q[1]))
                        return false;
                for (q++; q < e && is_digit(*q); q++) {
                        if (n->fden < 1000000000000000000ull) {
                                n->fnum = n->fnum * 10 + (uint64_t)(*q - '0');
                                n->fden *= 10;
                        }
                }
        }
        *p = q;
        return true;
}

static double num_frac(const struct num *n)
{
        return (double)n->fnum / (double)n->fden;
}

/* The number as a double, correctly rounded when the digits fit in 53 bits so that
 * "5%" and "0.05" give the same value. */
static double num_double(const struct num *n, double divisor)
{
        if (!n->ip_overflow && n->ip < (1ull << 53) / n->fden) {
                uint64_t m = n->ip * n->fden + n->fnum;

                if (m < (1ull << 53))
                        return (double)m / ((double)n->fden * divisor);
        }
        return ((double)n->ip + num_frac(n)) / divisor;
}

/* n * mult, the fraction rounded to the nearest unit; -ERANGE on overflow. */
static int num_scale(const struct num *n, uint64_t mult, uint64_t *out)
{
        uint64_t whole, part;

        if (n->ip_overflow)
                return -ERANGE;
        if (mult && n->ip > UINT64_MAX / mult)
                return -ERANGE;
        whole = n->ip * mult;
        part = (uint64_t)llround(num_frac(n) * (double)mult);
        if (part > UINT64_MAX - whole)
                return -ERANGE;
        *out = whole + part;
        return 0;
}

static const struct unit *find_unit(const struct unit *t, const char *b, const char *e)
{
        for (; t->name; t++)
                if (word_eq(b, e, t->name))
                        return t;
        return NULL;
}

#define KIB 1024ull
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define PIB (TIB * 1024)

/* mult 0 marks pages: the value counts pages, not bytes. */
static const struct unit size_units[] = {
    {"", 1},      {"b", 1},    {"byte", 1},  {"bytes", 1}, {"k", KIB}, {"kb", KIB},
    {"kib", KIB}, {"m", MIB},  {"mb", MIB},  {"mib", MIB}, {"g", GIB}, {"gb", GIB},
    {"gib", GIB}, {"t", TIB},  {"tb", TIB},  {"tib", TIB}, {"p", PIB}, {"pb", PIB},
    {"pib", PIB}, {"page", 0}, {"pages", 0}, {NULL, 0},
};

#define NS_PER_US 1000ull
#define NS_PER_MIN (60 * NF_NS_PER_SEC)
#define NS_PER_HOUR (60 * NS_PER_MIN)
#define NS_PER_DAY (24 * NS_PER_HOUR)

static const struct unit duration_units[] = {
    {"ns", 1},
    {"nsec", 1},
    {"us", NS_PER_US},
    {"usec", NS_PER_US},
    {"\xc2\xb5s", NS_PER_US}, /* µs */
    {"ms", NF_NS_PER_MS},
    {"msec", NF_NS_PER_MS},
    {"s", NF_NS_PER_SEC},
    {"sec", NF_NS_PER_SEC},
    {"secs", NF_NS_PER_SEC},
    {"second", NF_NS_PER_SEC},
    {"seconds", NF_NS_PER_SEC},
    {"m", NS_PER_MIN},
    {"min", NS_PER_MIN},
    {"mins", NS_PER_MIN},
    {"minute", NS_PER_MIN},
    {"minutes", NS_PER_MIN},
    {"h", NS_PER_HOUR},
    {"hr", NS_PER_HOUR},
    {"hour", NS_PER_HOUR},
    {"hours", NS_PER_HOUR},
    {"d", NS_PER_DAY},
    {"day", NS_PER_DAY},
    {"days", NS_PER_DAY},
    {"w", 7 * NS_PER_DAY},
    {"week", 7 * NS_PER_DAY},
    {"weeks", 7 * NS_PER_DAY},
    {NULL, 0},
};

/* The time unit after '/' in a rate, in seconds. */
static const struct unit per_units[] = {
    {"s", 1},       {"sec", 1},  {"second", 1}, {"m", 60},      {"min", 60},
    {"minute", 60}, {"h", 3600}, {"hr", 3600},  {"hour", 3600}, {NULL, 0},
};

/* Parses a size in [b, e) (already trimmed) into bytes or, with want_pages, pages. */
static int parse_size_span(const struct ctx *c, const char *b, const char *e, bool want_pages,
                           uint64_t *out)
{
        const struct unit *u;
        const char *p = b;
        struct num n;
        uint64_t v;

        if (!lex_number(&p, e, &n))
                return fail(c, -EINVAL, "expected a number");
        skip_space(&p, e);
        u = find_unit(size_units, p, e);
        if (!u)
                return fail_unit(c, p, e);
        if (u->mult == 0) {
                if (want_pages) {
                        if (n.fnum)
                                return fail(c, -EINVAL, "not a whole number of pages");
                        if (n.ip_overflow)
                                return fail(c, -ERANGE, "out of range");
                        *out = n.ip;
                        return 0;
                }
                if (num_scale(&n, NF_PAGE_SIZE, &v))
                        return fail(c, -ERANGE, "out of range");
                *out = v;
                return 0;
        }
        if (num_scale(&n, u->mult, &v))
                return fail(c, -ERANGE, "out of range");
        if (want_pages) {
                if (v % NF_PAGE_SIZE)
                        return fail(c, -EINVAL, "not a multiple of the page size (%u bytes)",
                                    NF_PAGE_SIZE);
                v /= NF_PAGE_SIZE;
        }
        *out = v;
        return 0;
}

static int parse_size(const char *s, bool in_pages, uint64_t *out, char *err, size_t errlen)
{
        struct ctx c;
        int rc;

        ctx_init(&c, "size", s, err, errlen);
        if ((rc = check_start(&c)))
                return rc;
        return parse_size_span(&c, c.b, c.e, in_pages, out);
}

int nf_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
        return parse_size(s, false, bytes, err, errlen);
}

int nf_parse_pages(const char *s, uint64_t *pages, char *err, size_t errlen)
{
        return parse_size(s, true, pages, err, errlen);
}

/* Durations may be compound ("1m30s", "1h 30m"), which is also how they print. */
int nf_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen)
{
        static const struct unit seconds = {"s", NF_NS_PER_SEC};
        uint64_t total = 0;
        bool first = true;
        const char *p;
        struct ctx c;
        int rc;

        ctx_init(&c, "duration", s, err, errlen);
        if ((rc = check_start(&c)))
                return rc;
        p = c.b;
        while (p < c.e) {
                const struct unit *u;
                const char *ub, *ue;
                struct num n;
                uint64_t v;

                if (!lex_number(&p, c.e, &n)) {
                        if (*p == '-')
                                return fail(&c, -EINVAL, "negative values are not allowed");
                        return fail(&c, -EINVAL, "unexpected '%.*s'",
                                    (int)(c.e - p > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : c.e - p),
                                    p);
                }
                skip_space(&p, c.e);
                ub = p;
                while (p < c.e && !is_digit(*p) && !is_space(*p))
                        p++;
                ue = p;
                if (ub == ue) {
                        /* A bare number means seconds, but only on its own. */
                        if (!first || p != c.e)
                                return fail(&c, -EINVAL, "missing unit");
                        u = &seconds;
                } else if (!(u = find_unit(duration_units, ub, ue))) {
                        return fail_unit(&c, ub, ue);
                }
                if (num_scale(&n, u->mult, &v) || v > UINT64_MAX - total)
                        return fail(&c, -ERANGE, "out of range");
                total += v;
                first = false;
                skip_space(&p, c.e);
        }
        *ns = total;
        return 0;
}

int nf_parse_share(const char *s, double *share, char *err, size_t errlen)
{
        bool percent = false;
        const char *p;
        struct ctx c;
        struct num n;
        double v;
        int rc;

        ctx_init(&c, "share", s, err, errlen);
        if ((rc = check_start(&c)))
                return rc;
        p = c.b;
        if (!lex_number(&p, c.e, &n))
                return fail(&c, -EINVAL, "expected a number");
        skip_space(&p, c.e);
        if (p < c.e) {
                if (!word_eq(p, c.e, "%"))
                        return fail_unit(&c, p, c.e);
                percent = true;
        }
        v = num_double(&n, percent ? 100.0 : 1.0);
        if (n.ip_overflow || v > 1.0) {
                if (percent)
                        return fail(&c, -ERANGE, "above 100%%");
                return fail(&c, -ERANGE, "above 1 (write a percentage with '%%', e.g. '5%%')");
        }
        *share = v;
        return 0;
}

int nf_parse_rate(const char *s, uint64_t *bytes_per_sec, char *err, size_t errlen)
{
        const char *slash, *sb, *se;
        uint64_t per = 1, bytes;
        struct ctx c;
        int rc;

        ctx_init(&c, "rate", s, err, errlen);
        if (c.b != c.e && word_eq(c.b, c.e, "unlimited")) {
                *bytes_per_sec = 0;
                return 0;
        }
        if ((rc = check_start(&c)))
                return rc;
        slash = memchr(c.b, '/', (size_t)(c.e - c.b));
        sb = c.b;
        se = slash ? slash : c.e;
        trim(&sb, &se);
        if (slash) {
                const char *ub = slash + 1, *ue = c.e;
                const struct unit *u;

                trim(&ub, &ue);
                if (!(u = find_unit(per_units, ub, ue)))
                        return fail(&c, -EINVAL, "unknown time unit '/%.*s'",
                                    (int)(ue - ub > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : ue - ub),
                                    ub);
                per = u->mult;
        }
        if ((rc = parse_size_span(&c, sb, se, false, &bytes)))
                return rc;
        /* Round to the nearest byte, but never turn a real limit into "unlimited". */
        if (per > 1) {
                uint64_t r = bytes > UINT64_MAX - per / 2 ? bytes / per : (bytes + per / 2) / per;

                bytes = (r == 0 && bytes) ? 1 : r;
        }
        *bytes_per_sec = bytes;
        return 0;
}

int nf_parse_per_sec(const char *s, double *per_sec, char *err, size_t errlen)
{
        double mult = 1.0, per = 1.0, v;
        const char *p;
        struct ctx c;
        struct num n;
        int rc;

        ctx_init(&c, "event rate", s, err, errlen);
        if ((rc = check_start(&c)))
                return rc;
        p = c.b;
        if (!lex_number(&p, c.e, &n))
                return fail(&c, -EINVAL, "expected a number");
        skip_space(&p, c.e);
        /* Events count in thousands, not in 1024s. */
        if (p < c.e && (*p == 'k' || *p == 'K' || *p == 'M' || *p == 'G')) {
                mult = *p == 'G' ? 1e9 : *p == 'M' ? 1e6 : 1e3;
                p++;
                skip_space(&p, c.e);
        }
        if (p < c.e) {
                const char *ub = p + 1, *ue = c.e;
                const struct unit *u;

                if (*p != '/')
                        return fail_unit(&c, p, c.e);
                trim(&ub, &ue);
                if (!(u = find_unit(per_units, ub, ue)))
                        return fail(&c, -EINVAL, "unknown time unit '/%.*s'",
                                    (int)(ue - ub > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : ue - ub),
                                    ub);
                per = (double)u->mult;
        }
        v = num_double(&n, 1.0) * mult / per;
        if (n.ip_overflow || !isfinite(v))
                return fail(&c, -ERANGE, "out of range");
        *per_sec = v;
        return 0;
}

int nf_parse_bool(const char *s, int *out, char *err, size_t errlen)
{
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};
        struct ctx c;

        ctx_init(&c, "boolean", s, err, errlen);
        if (c.b == c.e)
                return fail(&c, -EINVAL, "empty value");
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (word_eq(c.b, c.e, yes[i])) {
                        *out = 1;
                        return 0;
                }
                if (word_eq(c.b, c.e, no[i])) {
                        *out = 0;
                        return 0;
                }
        }
        return fail(&c, -EINVAL, "expected yes/no, true/false, on/off or 1/0");
}

int nf_parse_u64(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
        uint64_t v = 0;
        const char *p;
        struct ctx c;
        int rc;

        ctx_init(&c, "number", s, err, errlen);
        if ((rc = check_start(&c)))
                return rc;
        for (p = c.b; p < c.e && is_digit(*p); p++) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return fail(&c, -ERANGE, "out of range");
                v = v * 10 + d;
        }
        if (p < c.e)
                return fail(&c, -EINVAL, "unexpected '%.*s' after the number",
                            (int)(c.e - p > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : c.e - p), p);
        if (v > max)
                return fail(&c, -ERANGE, "above the maximum %llu", (unsigned long long)max);
        *out = v;
        return 0;
}

/* Drops trailing zeros (and a bare point) from a "%.Nf" rendering in place. */
static void trim_zeros(char *s)
{
        char *dot = strchr(s, '.'), *end;

        if (!dot)
                return;
        end = dot + strlen(dot);
        while (end > dot + 1 && end[-1] == '0')
                end--;
        if (end == dot + 1)
                end = dot;
        *end = '\0';
}

char *nf_format_size(uint64_t bytes, char *buf, size_t len)
{
        static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        char num[32];
        unsigned i = 0;

        if (!len)
                return buf;
        while (i < 6 && bytes >> (10 * (i + 1)))
                i++;
        if (i == 0) {
                snprintf(buf, len, "%llu B", (unsigned long long)bytes);
                return buf;
        }
        /* Two decimals; a value that rounds up to 1024 moves to the next unit. */
        for (;;) {
                uint64_t q = bytes >> (10 * i);
                double frac =
                    (double)(bytes & ((1ull << (10 * i)) - 1)) / (double)(1ull << (10 * i));
                uint64_t hundredths = q * 100 + (uint64_t)llround(frac * 100.0);

                if (hundredths >= 1024 * 100 && i < 6) {
                        i++;
                        continue;
                }
                snprintf(num, sizeof(num), "%llu.%02u", (unsigned long long)(hundredths / 100),
                         (unsigned)(hundredths % 100));
                break;
        }
        trim_zeros(num);
        snprintf(buf, len, "%s %s", num, names[i]);
        return buf;
}

char *nf_format_duration(uint64_t ns, char *buf, size_t len)
{
        static const struct unit parts[] = {
            {"d", NS_PER_DAY}, {"h", NS_PER_HOUR}, {"m", NS_PER_MIN}, {NULL, 0}};
        char out[96], num[40];
        size_t used = 0;
        uint64_t sub;

        if (!len)
                return buf;
        if (ns < NF_NS_PER_SEC) {
                /* Below a second: the largest unit that shows it, three decimals at most. */
                uint64_t unit = ns >= NF_NS_PER_MS ? NF_NS_PER_MS : ns >= NS_PER_US ? NS_PER_US : 1;
                const char *name = unit == NF_NS_PER_MS ? "ms" : unit == NS_PER_US ? "us" : "ns";

                if (ns == 0) {
                        snprintf(buf, len, "0s");
                        return buf;
                }
                snprintf(num, sizeof(num), "%llu.%03llu", (unsigned long long)(ns / unit),
                         (unsigned long long)((ns % unit) * 1000 / unit));
                trim_zeros(num);
                snprintf(buf, len, "%s%s", num, name);
                return buf;
        }
        out[0] = '\0';
        for (const struct unit *u = parts; u->name; u++) {
                if (ns >= u->mult) {
                        used += (size_t)snprintf(out + used, sizeof(out) - used, "%llu%s",
                                                 (unsigned long long)(ns / u->mult), u->name);
                        ns %= u->mult;
                }
        }
        if (ns) {
                /* Seconds keep millisecond precision, truncated. */
                sub = (ns % NF_NS_PER_SEC) / NF_NS_PER_MS;
                snprintf(num, sizeof(num), "%llu.%03llu", (unsigned long long)(ns / NF_NS_PER_SEC),
                         (unsigned long long)sub);
                trim_zeros(num);
                if (strcmp(num, "0") != 0)
                        snprintf(out + used, sizeof(out) - used, "%ss", num);
        }
        snprintf(buf, len, "%s", out);
        return buf;
}

char *nf_format_share(double share, char *buf, size_t len)
{
        char num[48];

        if (!len)
                return buf;
        snprintf(num, sizeof(num), "%.2f", share * 100.0);
        trim_zeros(num);
        /* "-0" would only confuse. */
        snprintf(buf, len, "%s%%", strcmp(num, "-0") == 0 ? "0" : num);
        return buf;
}

char *nf_format_rate(uint64_t bytes_per_sec, char *buf, size_t len)
{
        char size[32];

        if (!len)
                return buf;
        if (!bytes_per_sec) {
                snprintf(buf, len, "unlimited");
                return buf;
        }
        nf_format_size(bytes_per_sec, size, sizeof(size));
        snprintf(buf, len, "%s/s", size);
        return buf;
}
