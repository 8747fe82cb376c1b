/* The control protocol: newline-delimited JSON requests and replies (jansson). */
#include "nf_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf_placement.h"

static void set_error(struct nf_proto_error *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct nf_proto_error *e, const char *code, const char *fmt, ...)
{
        va_list ap;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
}

static const char *json_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "unknown";
}

int nf_request_parse(const char *line, size_t len, struct nf_request *req, struct nf_proto_error *e,
                     json_t **id_out)
{
        json_error_t jerr;
        *id_out = NULL;
        memset(req, 0, sizeof(*req));
        if (len >= NF_PROTO_MAX_LINE) {
                set_error(e, NF_E_TOO_LONG, "request longer than %d bytes", NF_PROTO_MAX_LINE);
                return -EINVAL;
        }
        /* JSON_REJECT_DUPLICATES: an ambiguous request is refused rather than guessed. */
        json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj) {
                set_error(e, NF_E_PARSE, "invalid JSON at column %d: %s", jerr.column, jerr.text);
                return -EINVAL;
        }
        if (!json_is_object(obj)) {
                set_error(e, NF_E_REQUEST, "request must be a JSON object, not %s",
                          json_type_name(obj));
                json_decref(obj);
                return -EINVAL;
        }
        json_t *id = json_object_get(obj, "id");
        if (id && !(json_is_integer(id) || json_is_string(id) || json_is_null(id))) {
                set_error(e, NF_E_REQUEST, "'id' must be an integer or a string, not %s",
                          json_type_name(id));
                json_decref(obj);
                return -EINVAL;
        }
        json_t *cmd = json_object_get(obj, "cmd");
        if (!cmd || !json_is_string(cmd)) {
                set_error(e, NF_E_REQUEST,
                          cmd ? "'cmd' must be a string, not %s" : "missing 'cmd'%s",
                          cmd ? json_type_name(cmd) : "");
                *id_out = json_incref(id);
                json_decref(obj);
                return -EINVAL;
        }
        req->obj = obj;
        req->id = id;
        req->cmd = json_string_value(cmd);
        return 0;
}

void nf_request_free(struct nf_request *req)
{
        json_decref(req->obj);
        memset(req, 0, sizeof(*req));
}

int nf_request_string(const struct nf_request *req, const char *key, int required, const char **out,
                      struct nf_proto_error *e)
{
        json_t *v = json_object_get(req->obj, key);
        *out = NULL;
        if (!v) {
                if (!required)
                        return 0;
                set_error(e, NF_E_ARG, "'%s' needs argument '%s'", req->cmd, key);
                return -EINVAL;
        }
        if (!json_is_string(v)) {
                set_error(e, NF_E_ARG, "argument '%s' must be a string, not %s", key,
                          json_type_name(v));
                return -EINVAL;
        }
        *out = json_string_value(v);
        return 0;
}

json_t *nf_reply_ok(json_t *id, json_t *result)
{
        return json_pack("{s:O?,s:b,s:o}", "id", id, "ok", 1, "result",
                         result ? result : json_object());
}

/* Length of the UTF-8 sequence at s, or 0 when it is not a valid one. */
static size_t utf8_len(const unsigned char *s)
{
        size_t n;
        unsigned min;
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, min = 0x80;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, min = 0x800;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, min = 0x10000;
        else
                return 0;
        unsigned cp = s[0] & (0x3f >> (n - 1));
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

json_t *nf_reply_error(json_t *id, const char *code, const char *message)
{
        /* Messages quote what clients sent, cut to a length that may split a character;
         * jansson refuses invalid UTF-8, and a client must still get its error. */
        char clean[NF_ERR_MAX];
        size_t o = 0;
        for (const unsigned char *s = (const unsigned char *)message;
             *s && o < sizeof(clean) - 1;) {
                size_t n = utf8_len(s);
                if (n == 0 || o + n > sizeof(clean) - 1) {
                        clean[o++] = '?';
                        s++;
                        continue;
                }
                memcpy(clean + o, s, n);
                o += n;
                s += n;
        }
        clean[o] = '\0';
        return json_pack("{s:O?,s:b,s:{s:s,s:s}}", "id", id, "ok", 0, "error", "code", code,
                         "message", clean);
}

char *nf_proto_dump_line(const json_t *msg, size_t *len)
{
        char *s = json_dumps(msg, NF_PROTO_DUMP_FLAGS);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        char *line = realloc(s, n + 2);
        if (!line) {
                free(s);
                return NULL;
        }
        line[n] = '\n';
        line[n + 1] = '\0';
        if (len)
                *len = n + 1;
        return line;
}

json_t *nf_request_new(long long id, const char *cmd)
{
        return json_pack("{s:I,s:s}", "id", (json_int_t)id, "cmd", cmd);
}

int nf_reply_parse(const char *line, size_t len, json_t **reply, json_t **result,
                   struct nf_proto_error *e)
{
        json_error_t jerr;
        *result = NULL;
        *reply = json_loadb(line, len, 0, &jerr);
        if (!*reply || !json_is_object(*reply)) {
                set_error(e, NF_E_PARSE, "malformed reply from daemon");
                return -EPROTO;
        }
        json_t *ok = json_object_get(*reply, "ok");
        if (!json_is_boolean(ok)) {
                set_error(e, NF_E_PARSE, "reply without 'ok'");
                return -EPROTO;
        }
        if (json_is_true(ok)) {
                *result = json_object_get(*reply, "result");
                return 0;
        }
        const char *code = NULL, *message = NULL;
        if (json_unpack(json_object_get(*reply, "error"), "{s:s,s:s}", "code", &code, "message",
                        &message) != 0) {
                set_error(e, NF_E_PARSE, "error reply without code and message");
                return -EPROTO;
        }
        /* code points into *reply, which the caller keeps until it is done with e. */
        e->code = code;
        snprintf(e->message, sizeof(e->message), "%s", message);
        return -EREMOTEIO;
}

json_t *nf_proto_key_json(const struct nf_key *k, const union nf_key_value *v)
{
        char buf[128];

        switch (k->kind) {
        case NF_KEY_BOOL:
                return json_boolean(v->b);
        case NF_KEY_SHARE:
        case NF_KEY_PER_SEC:
        case NF_KEY_REAL:
                return json_real(v->d);
        case NF_KEY_ENUM:
        case NF_KEY_NODES:
                return json_string(nf_key_format(k, v, buf, sizeof(buf)));
        case NF_KEY_STRING:
        case NF_KEY_PATH:
                return json_string(v->s ? v->s : "");
        default:
                return json_integer((json_int_t)v->u);
        }
}

int nf_proto_key_value(const struct nf_key *k, const json_t *j, union nf_key_value *v)
{
        memset(v, 0, sizeof(*v));
        switch (k->kind) {
        case NF_KEY_BOOL:
                if (!json_is_boolean(j))
                        return -EINVAL;
                v->b = json_is_true(j);
                return 0;
        case NF_KEY_SHARE:
        case NF_KEY_PER_SEC:
        case NF_KEY_REAL:
                if (!json_is_number(j))
                        return -EINVAL;
                v->d = json_number_value(j);
                return 0;
        case NF_KEY_ENUM:
                if (!json_is_string(j) ||
                    (v->e = nf_key_enum_index(k->names, json_string_value(j))) < 0)
                        return -EINVAL;
                return 0;
        case NF_KEY_NODES:
                return json_is_string(j)
                           ? nf_nodemask_parse(json_string_value(j), 0, &v->m, NULL, 0)
                           : -EINVAL;
        case NF_KEY_STRING:
        case NF_KEY_PATH:
                if (!json_is_string(j))
                        return -EINVAL;
                v->s = json_string_value(j);
                return 0;
        default:
                if (!json_is_integer(j) || json_integer_value(j) < 0)
                        return -EINVAL;
                v->u = (uint64_t)json_integer_value(j);
                return 0;
        }
}

char *nf_reply_ok_serialised(json_t *id, const char *result, size_t result_len, size_t *len)
{
        /* jansson writes both pieces; only the frame that joins them is spelled here. */
        char *ids = json_dumps(id ? id : json_null(), NF_PROTO_DUMP_FLAGS | JSON_ENCODE_ANY);
        static const char mid[] = ",\"ok\":true,\"result\":";
        if (!ids)
                return NULL;
        size_t il = strlen(ids), n = 6 + il + sizeof(mid) - 1 + result_len + 2;
        char *line = malloc(n + 1);
        if (line) {
                char *p = line;
                memcpy(p, "{\"id\":", 6);
                p += 6;
                memcpy(p, ids, il);
                p += il;
                memcpy(p, mid, sizeof(mid) - 1);
                p += sizeof(mid) - 1;
                memcpy(p, result, result_len);
                p += result_len;
                memcpy(p, "}\n", 3);
                if (len)
                        *len = n;
        }
        free(ids);
        return line;
}
