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

/*
 * What a check of values read from a config says when they do not fit together: the
 * key at fault, the key it contradicts (NULL when it stands alone), each in its
 * section (empty: the section the checker was given), and why. The config names the
 * file and the lines from this, so checkers need not know them.
 */
struct nf_check_error {
        char section[80];
        const char *key;
        char other_section[80];
        const char *other_key;
        char msg[256];
};

/* Fills e (key and other in the checker's own section) and returns rc:
 *     return nf_check_fail(e, -EINVAL, "min", "max", "%llu pages is above max", ...); */
int nf_check_fail(struct nf_check_error *e, int rc, const char *key, const char *other,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
