/* The control protocol: newline-delimited JSON requests and replies (jansson). */
#ifndef NF_PROTO_H
#define NF_PROTO_H

#include <stddef.h>

#include <jansson.h>

#include "nf_err.h"
#include "nf_keys.h"

#define NF_PROTO_VERSION 1
#define NF_PROTO_MAX_LINE 65536 /* longest request or reply line, newline included */
#define NF_DEFAULT_SOCKET "/run/numaflipd/numaflipd.sock"

/* Error codes carried in error.code. */
#define NF_E_PARSE "parse_error"       /* not JSON */
#define NF_E_REQUEST "invalid_request" /* JSON, but not a request object */
#define NF_E_TOO_LONG "line_too_long"  /* over NF_PROTO_MAX_LINE */
#define NF_E_UNKNOWN_CMD "unknown_command"
#define NF_E_ARG "invalid_argument" /* missing or mistyped argument */
#define NF_E_NOT_FOUND "not_found"  /* no such guest */
#define NF_E_PERM "permission_denied"
#define NF_E_BUSY "busy"
#define NF_E_UNSUPPORTED "unsupported"
#define NF_E_CONFIG "config_error"
#define NF_E_BACKEND "backend_error"
#define NF_E_INTERNAL "internal_error"
#define NF_E_TIMEOUT "request_timeout" /* a request left half-sent too long */

/* A parsed request: the object, its id (borrowed; NULL when absent) and cmd. */
struct nf_request {
        json_t *obj;
        json_t *id;
        const char *cmd;
};

/* An error to send back. */
struct nf_proto_error {
        const char *code;
        char message[NF_ERR_MAX];
};

/*
 * Parses one request line (without its newline). On success fills req (free with
 * nf_request_free) and returns 0. On failure fills e, returns -EINVAL and, when the
 * line was an object with an id, leaves that id in *id_out (a new reference, or NULL)
 * so the error reply can echo it.
 */
int nf_request_parse(const char *line, size_t len, struct nf_request *req, struct nf_proto_error *e,
                     json_t **id_out);
void nf_request_free(struct nf_request *req);

/* Argument helpers: 0, or -EINVAL with e filled ("argument 'name' must be a string"). */
int nf_request_string(const struct nf_request *req, const char *key, int required, const char **out,
                      struct nf_proto_error *e);

/* Replies (new references). id may be NULL (sent as null). ok steals result. */
json_t *nf_reply_ok(json_t *id, json_t *result);
json_t *nf_reply_error(json_t *id, const char *code, const char *message);

/* A config key's value as JSON: a number for integer and real kinds, true/false, the
 * name for an enum, a string for node lists and strings. NULL on out of memory. */
json_t *nf_proto_key_json(const struct nf_key *k, const union nf_key_value *v);

/* The value back from such JSON (strings borrowed from j): 0, or -EINVAL when j is not
 * of k's kind. */
int nf_proto_key_value(const struct nf_key *k, const json_t *j, union nf_key_value *v);

/* How every message is serialised: compact, ASCII, reals to ten significant digits (more
 * than any share or rate here needs). */
#define NF_PROTO_DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10))

/* A success reply around a result serialised before (with NF_PROTO_DUMP_FLAGS), so a
 * result kept between requests is not serialised again: the line, malloc'd, or NULL. */
char *nf_reply_ok_serialised(json_t *id, const char *result, size_t result_len, size_t *len);

/* Serialises compactly with a trailing newline; malloc'd, NULL on failure. */
char *nf_proto_dump_line(const json_t *msg, size_t *len);

/* Client side: a request object for cmd (id is set by the caller). */
json_t *nf_request_new(long long id, const char *cmd);

/* Client side: checks a reply line. 0 with *result borrowed from *reply when ok;
 * -EPROTO when malformed; -EREMOTEIO when the daemon returned an error (code and
 * message in e). The caller frees *reply. */
int nf_reply_parse(const char *line, size_t len, json_t **reply, json_t **result,
                   struct nf_proto_error *e);

#endif
