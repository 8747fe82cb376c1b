/* Config keys described once: name, kind, where the value lives and its bounds. */
#ifndef NF_KEYS_H
#define NF_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nf_key_kind {
        NF_KEY_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
        NF_KEY_U64,      /* uint64_t: a plain number */
        NF_KEY_UINT,     /* unsigned: a plain number */
        NF_KEY_PAGES,    /* uint64_t pages: a size ("16MiB") or "N pages" */
        NF_KEY_DURATION, /* uint64_t nanoseconds: "500ms", "30s" */
        NF_KEY_SHARE,    /* double in [0, 1]: "5%", "0.05" */
        NF_KEY_RATE,     /* uint64_t bytes per second: "256MiB/s"; 0 = unlimited */
        NF_KEY_PER_SEC,  /* double events per second: "70/s" */
        NF_KEY_REAL,     /* double: a plain factor */
        NF_KEY_ENUM,     /* an enum (int-sized): one of names, case-insensitive */
        NF_KEY_NODES,    /* nf_nodemask_t: "1", "0,2", "0-3" */
        NF_KEY_STRING,   /* char[size] */
        NF_KEY_PATH,     /* char[size], an absolute path */
        NF_KEY_OCTAL,    /* unsigned: an octal number ("0660") */
};

/*
 * One key. Integer kinds (U64, UINT, PAGES, DURATION, RATE, OCTAL) are bounded by
 * [min, max], real kinds (SHARE, PER_SEC, REAL) by [fmin, fmax]; a max of 0 means no
 * upper bound beyond the type's. fmin_open makes the real lower bound exclusive.
 */
struct nf_key {
        const char *name;
        enum nf_key_kind kind;
        size_t offset; /* of the value in the struct the table describes */
        size_t size;   /* of the value: checked against the kind, the buffer for strings */
        uint64_t min, max;
        double fmin, fmax;
        bool fmin_open;
        const char *const *names; /* ENUM: the names, NULL-terminated, in enum order */
        /* When set, parses in place of the kind's parser and bounds: 0, or -errno with
         * err and the field untouched. */
        int (*parse)(const char *value, void *field, char *err, size_t errlen);
};

/* A value read out of a struct, by kind. */
union nf_key_value {
        bool b;
        uint64_t u; /* U64, UINT, PAGES, DURATION, RATE, OCTAL */
        double d;   /* SHARE, PER_SEC, REAL */
        int e;      /* ENUM */
        uint64_t m; /* NODES */
        const char *s;
};

/* The key called name in table[0..n), or NULL. */
const struct nf_key *nf_key_find(const struct nf_key *table, size_t n, const char *name);

/* Parses value into the field k describes in base: 0, or -EINVAL/-ERANGE with a one-line
 * reason naming the value in err ("'500us' is below the minimum 1ms"). base is untouched
 * on error. */
int nf_key_parse(const struct nf_key *k, void *base, const char *value, char *err, size_t errlen);

/* The field k describes in base. */
void nf_key_get(const struct nf_key *k, const void *base, union nf_key_value *v);

/* Writes v as people write it back ("30s", "5.00%", "256 MiB/s", "yes", "4096 pages",
 * "threshold"); returns buf. */
char *nf_key_format(const struct nf_key *k, const union nf_key_value *v, char *buf, size_t len);

/* Index of s in names (NULL-terminated), ASCII case-insensitive; -1 when absent. */
int nf_key_enum_index(const char *const *names, const char *s);

/* The names as "a, b or c" for messages; returns buf. */
char *nf_key_enum_list(const char *const *names, char *buf, size_t len);

/* Table entries: NF_KEY_ENTRY(struct, field, "name", KIND, extra initialisers...). */
#define NF_KEY_ENTRY(type, field, keyname, keykind, ...)                                           \
        {                                                                                          \
                .name = (keyname), .kind = (keykind), .offset = offsetof(type, field),             \
                .size = sizeof(((type *)0)->field), __VA_ARGS__                                    \
        }

#endif
