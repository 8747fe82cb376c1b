/* nf_err: fill a caller's error buffer and return the error code, in one step. */
#ifndef NF_ERR_H
#define NF_ERR_H

#include <stddef.h>

/* Room for one error message, the config errors that name a file and line included. */
#define NF_ERR_MAX 1024

/*
 * Formats a message into err (when err is not NULL and errlen is not 0) and returns
 * rc, so a check can say why it failed and fail in one statement:
 *     return nf_err(-EINVAL, err, errlen, "step: must be positive");
 */
int nf_err(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
