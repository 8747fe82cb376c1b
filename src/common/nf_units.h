/* Parsing and printing of the units people write in configs and commands. */
#ifndef NF_UNITS_H
#define NF_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_NS_PER_SEC 1000000000ull
#define NF_NS_PER_MS 1000000ull

/*
 * All parsers accept surrounding white space, reject trailing garbage, negative
 * values and overflow, and return 0 or -EINVAL/-ERANGE. On error they write a
 * one-line message naming the offending value to err (when err is not NULL),
 * e.g. "invalid size '12XB': unknown unit 'XB'".
 */

/* Sizes in bytes: "4096", "16MiB", "2G", "1.5GiB", "512k", "4096 pages" (pages of
 * NF_PAGE_SIZE). K/M/G/T and KB/MB/GB/TB are powers of 1024 like KiB/MiB/GiB/TiB,
 * the way memory is sized. Units are case-insensitive; fractions round to the
 * nearest byte. */
int nf_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen);

/* Like nf_parse_size but the result is in pages; byte values must be a multiple
 * of the page size. */
int nf_parse_pages(const char *s, uint64_t *pages, char *err, size_t errlen);

/* Durations: "500ms", "30s", "5m", "2h", "1d", "250us", "10ns"; a bare number is seconds.
 * Compound forms such as "1m30s" (as printed by nf_format_duration) are accepted. */
int nf_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen);

/* Shares in [0, 1]: "5%", "0.05", "100%". Values above 1 (or 100%) are rejected. */
int nf_parse_share(const char *s, double *share, char *err, size_t errlen);

/* Whether a share lies in [0, 1] (false for NaN too). */
static inline bool nf_share_valid(double v)
{
        return v >= 0.0 && v <= 1.0;
}

/* Byte rates: "256MiB/s", "1G/s", "1000000" (bytes per second); "0" or "unlimited" is 0. */
int nf_parse_rate(const char *s, uint64_t *bytes_per_sec, char *err, size_t errlen);

/* Event rates: "300", "300/s", "1.5k/s", "18000/m"; the result is per second. */
int nf_parse_per_sec(const char *s, double *per_sec, char *err, size_t errlen);

/* Booleans: yes/no, true/false, on/off, 1/0. */
int nf_parse_bool(const char *s, int *out, char *err, size_t errlen);

/* Unsigned integers with the same strictness; max bounds the value. */
int nf_parse_u64(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* Printers: shortest exact-ish human form, always NUL terminated; return buf. */
char *nf_format_size(uint64_t bytes, char *buf, size_t len);         /* "1.5 GiB", "512 B" */
char *nf_format_duration(uint64_t ns, char *buf, size_t len);        /* "1m30s", "500ms" */
char *nf_format_share(double share, char *buf, size_t len);          /* "12.34%" */
char *nf_format_rate(uint64_t bytes_per_sec, char *buf, size_t len); /* "256 MiB/s", "unlimited" */

#endif
