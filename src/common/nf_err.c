/* nf_err: fill a caller's error buffer and return the error code, in one step. */
#include "nf_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nf_err(int rc, char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (!err || errlen == 0)
                return rc;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return rc;
}

int nf_check_fail(struct nf_check_error *e, int rc, const char *key, const char *other,
                  const char *fmt, ...)
{
        va_list ap;

        if (!e)
                return rc;
        memset(e, 0, sizeof(*e));
        e->key = key;
        e->other_key = other;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return rc;
}
