/* nf_err: fill a caller's error buffer and return the error code, in one step. */
#include "nf_err.h"

#include <stdarg.h>
#include <stdio.h>

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
