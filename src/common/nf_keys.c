/* Config keys described once: name, kind, where the value lives and its bounds. */
#include "nf_keys.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numaflip/backend.h"
#include "nf_err.h"
#include "nf_placement.h"
#include "nf_units.h"

const struct nf_key *nf_key_find(const struct nf_key *table, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

static char lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int nf_key_enum_index(const char *const *names, const char *s)
{
        for (int i = 0; names && names[i]; i++) {
                const char *a = s, *b = names[i];

                while (*a && *b && lower(*a) == *b) {
                        a++;
                        b++;
                }
                if (!*a && !*b)
                        return i;
        }
        return -1;
}

char *nf_key_enum_list(const char *const *names, char *buf, size_t len)
{
        size_t used = 0, n = 0;

        while (names[n])
                n++;
        buf[0] = '\0';
        for (size_t i = 0; i < n && used < len; i++) {
                const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
                int w = snprintf(buf + used, len - used, "%s%s", sep, names[i]);

                if (w < 0)
                        break;
                used += (size_t)w;
        }
        return buf;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* The value without surrounding blanks, into buf (cut to its size). */
static const char *trimmed(const char *value, char *buf, size_t len)
{
        const char *b = value, *e = value + strlen(value);

        while (b < e && is_blank(*b))
                b++;
        while (e > b && is_blank(e[-1]))
                e--;
        snprintf(buf, len, "%.*s", (int)(e - b), b);
        return buf;
}

/* An integer kind's value as people write it, for bound messages. */
static char *format_u(const struct nf_key *k, uint64_t u, char *buf, size_t len)
{
        union nf_key_value v = {.u = u};

        return nf_key_format(k, &v, buf, len);
}

static int check_u(const struct nf_key *k, const char *value, uint64_t u, char *err, size_t errlen)
{
        char a[64], t[64];

        if (u < k->min)
                return nf_err(-ERANGE, err, errlen, "'%s' is below the minimum %s",
                              trimmed(value, t, sizeof(t)), format_u(k, k->min, a, sizeof(a)));
        if (k->max && u > k->max)
                return nf_err(-ERANGE, err, errlen, "'%s' is above the maximum %s",
                              trimmed(value, t, sizeof(t)), format_u(k, k->max, a, sizeof(a)));
        return 0;
}

static int check_d(const struct nf_key *k, const char *value, double d, char *err, size_t errlen)
{
        char t[64];
        bool low = k->fmin_open ? !(d > k->fmin) : !(d >= k->fmin);

        if (low || !isfinite(d))
                return nf_err(-ERANGE, err, errlen, "'%s' is %s %g", trimmed(value, t, sizeof(t)),
                              k->fmin_open ? "not above" : "below the minimum", k->fmin);
        if (k->fmax > k->fmin && d > k->fmax)
                return nf_err(-ERANGE, err, errlen, "'%s' is above the maximum %g",
                              trimmed(value, t, sizeof(t)), k->fmax);
        return 0;
}

static int parse_real(const char *value, double *d, char *err, size_t errlen)
{
        char t[64], *end;
        const char *s = trimmed(value, t, sizeof(t));

        errno = 0;
        *d = strtod(s, &end);
        if (!*s || errno || *end)
                return nf_err(-EINVAL, err, errlen, "invalid number '%s'", s);
        return 0;
}

static int parse_octal(const char *value, uint64_t *u, char *err, size_t errlen)
{
        char t[64], *end;
        const char *s = trimmed(value, t, sizeof(t));

        errno = 0;
        *u = strtoull(s, &end, 8);
        if (!*s || *s == '-' || errno || *end)
                return nf_err(-EINVAL, err, errlen, "invalid octal number '%s'", s);
        return 0;
}

int nf_key_parse(const struct nf_key *k, void *base, const char *value, char *err, size_t errlen)
{
        char *field = (char *)base + k->offset;
        uint64_t u = 0;
        double d = 0;
        int b = 0, rc = 0;
        nf_nodemask_t m = 0;

        if (k->parse)
                return k->parse(value, field, err, errlen);
        switch (k->kind) {
        case NF_KEY_BOOL:
                if ((rc = nf_parse_bool(value, &b, err, errlen)) == 0)
                        *(bool *)field = b;
                return rc;
        case NF_KEY_U64:
        case NF_KEY_UINT:
                rc = nf_parse_u64(value, UINT64_MAX, &u, err, errlen);
                break;
        case NF_KEY_PAGES:
                rc = nf_parse_pages(value, &u, err, errlen);
                break;
        case NF_KEY_DURATION:
                rc = nf_parse_duration(value, &u, err, errlen);
                break;
        case NF_KEY_RATE:
                rc = nf_parse_rate(value, &u, err, errlen);
                break;
        case NF_KEY_OCTAL:
                rc = parse_octal(value, &u, err, errlen);
                break;
        case NF_KEY_SHARE:
                rc = nf_parse_share(value, &d, err, errlen);
                break;
        case NF_KEY_PER_SEC:
                rc = nf_parse_per_sec(value, &d, err, errlen);
                break;
        case NF_KEY_REAL:
                rc = parse_real(value, &d, err, errlen);
                break;
        case NF_KEY_ENUM: {
                char t[64], list[128];
                int i = nf_key_enum_index(k->names, trimmed(value, t, sizeof(t)));

                if (i < 0)
                        return nf_err(-EINVAL, err, errlen, "invalid %s '%s' (expected %s)",
                                      k->name, t, nf_key_enum_list(k->names, list, sizeof(list)));
                *(int *)field = i;
                return 0;
        }
        case NF_KEY_NODES:
                if ((rc = nf_nodemask_parse(value, NF_MAX_NODES, &m, err, errlen)) == 0)
                        *(nf_nodemask_t *)field = m;
                return rc;
        case NF_KEY_PATH:
                if (value[0] != '/')
                        return nf_err(-EINVAL, err, errlen, "'%s' is not an absolute path", value);
                /* fall through */
        case NF_KEY_STRING:
                if (strlen(value) >= k->size)
                        return nf_err(-ERANGE, err, errlen, "longer than %zu characters",
                                      k->size - 1);
                memcpy(field, value, strlen(value) + 1);
                return 0;
        }
        if (rc)
                return rc;
        switch (k->kind) {
        case NF_KEY_SHARE:
        case NF_KEY_PER_SEC:
        case NF_KEY_REAL:
                if ((rc = check_d(k, value, d, err, errlen)) == 0)
                        *(double *)field = d;
                return rc;
        default:
                break;
        }
        if ((rc = check_u(k, value, u, err, errlen)) < 0)
                return rc;
        if (k->size == sizeof(unsigned))
                *(unsigned *)field = (unsigned)u;
        else
                *(uint64_t *)field = u;
        return 0;
}

void nf_key_get(const struct nf_key *k, const void *base, union nf_key_value *v)
{
        const char *field = (const char *)base + k->offset;

        memset(v, 0, sizeof(*v));
        switch (k->kind) {
        case NF_KEY_BOOL:
                v->b = *(const bool *)field;
                break;
        case NF_KEY_SHARE:
        case NF_KEY_PER_SEC:
        case NF_KEY_REAL:
                v->d = *(const double *)field;
                break;
        case NF_KEY_ENUM:
                v->e = *(const int *)field;
                break;
        case NF_KEY_NODES:
                v->m = *(const nf_nodemask_t *)field;
                break;
        case NF_KEY_STRING:
        case NF_KEY_PATH:
                v->s = field;
                break;
        default:
                v->u = k->size == sizeof(unsigned) ? *(const unsigned *)field
                                                   : *(const uint64_t *)field;
                break;
        }
}

char *nf_key_format(const struct nf_key *k, const union nf_key_value *v, char *buf, size_t len)
{
        int n = 0;

        switch (k->kind) {
        case NF_KEY_BOOL:
                snprintf(buf, len, "%s", v->b ? "yes" : "no");
                break;
        case NF_KEY_U64:
        case NF_KEY_UINT:
                snprintf(buf, len, "%llu", (unsigned long long)v->u);
                break;
        case NF_KEY_OCTAL:
                snprintf(buf, len, "0%llo", (unsigned long long)v->u);
                break;
        case NF_KEY_PAGES:
                snprintf(buf, len, "%llu page%s", (unsigned long long)v->u, v->u == 1 ? "" : "s");
                break;
        case NF_KEY_DURATION:
                nf_format_duration(v->u, buf, len);
                break;
        case NF_KEY_RATE:
                nf_format_rate(v->u, buf, len);
                break;
        case NF_KEY_SHARE:
                nf_format_share(v->d, buf, len);
                break;
        case NF_KEY_PER_SEC:
                snprintf(buf, len, "%g/s", v->d);
                break;
        case NF_KEY_REAL:
                snprintf(buf, len, "%g", v->d);
                break;
        case NF_KEY_ENUM:
                while (k->names[n] && n < v->e)
                        n++;
                snprintf(buf, len, "%s", v->e >= 0 && k->names[n] ? k->names[n] : "?");
                break;
        case NF_KEY_NODES:
                nf_nodemask_format(v->m, buf, len);
                break;
        case NF_KEY_STRING:
        case NF_KEY_PATH:
                snprintf(buf, len, "%s", v->s ? v->s : "");
                break;
        }
        return buf;
}
