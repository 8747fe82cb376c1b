/* Unit tests for the control protocol: request parsing, argument helpers, replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nf_proto.h"

static int parse(const char *line, struct nf_request *req, struct nf_proto_error *e, json_t **id)
{
        return nf_request_parse(line, strlen(line), req, e, id);
}

static void test_parse_valid(void **state)
{
        (void)state;
        struct nf_request req;
        struct nf_proto_error e = {0};
        json_t *id = (json_t *)&id;

        assert_int_equal(parse("{\"id\":7,\"cmd\":\"vm\",\"name\":\"web1\"}", &req, &e, &id), 0);
        assert_null(id); /* only set for errors */
        assert_string_equal(req.cmd, "vm");
        assert_true(json_is_integer(req.id));
        assert_int_equal(json_integer_value(req.id), 7);
        assert_true(json_is_object(req.obj));
        assert_null(e.code);
        nf_request_free(&req);
        assert_null(req.obj);
        assert_null(req.cmd);

        /* A string id, surrounding blanks, key order. */
        assert_int_equal(parse("  {\"cmd\":\"status\", \"id\":\"abc\"}\t", &req, &e, &id), 0);
        assert_string_equal(req.cmd, "status");
        assert_string_equal(json_string_value(req.id), "abc");
        nf_request_free(&req);

        /* No id, and a null id, are both fine. */
        assert_int_equal(parse("{\"cmd\":\"version\"}", &req, &e, &id), 0);
        assert_null(req.id);
        nf_request_free(&req);
        assert_int_equal(parse("{\"cmd\":\"version\",\"id\":null}", &req, &e, &id), 0);
        assert_true(json_is_null(req.id));
        nf_request_free(&req);

        /* Only len bytes are read: what follows does not count. */
        const char *two = "{\"cmd\":\"pool\"}{\"cmd\":\"x\"}";
        assert_int_equal(nf_request_parse(two, 14, &req, &e, &id), 0);
        assert_string_equal(req.cmd, "pool");
        nf_request_free(&req);
}

struct bad_req {
        const char *line;
        const char *code;
        const char *message;
        const char *id; /* the id echoed, as JSON; NULL for none */
};

static void test_parse_errors(void **state)
{
        (void)state;
        static const struct bad_req t[] = {
            {"", NF_E_PARSE, "invalid JSON at column 0: '[' or '{' expected near end of file",
             NULL},
            {"{\"cmd\":", NF_E_PARSE, "invalid JSON at column 7: unexpected token near end of file",
             NULL},
            {"hello", NF_E_PARSE, "invalid JSON at column 5: '[' or '{' expected near 'hello'",
             NULL},
            {"{\"cmd\":\"status\"} trailing", NF_E_PARSE,
             "invalid JSON at column 25: end of file expected near 'trailing'", NULL},
            {"[1,2]", NF_E_REQUEST, "request must be a JSON object, not an array", NULL},
            {"{\"id\":1,\"cmd\":\"status\",\"cmd\":\"vm\"}", NF_E_PARSE,
             "invalid JSON at column 28: duplicate object key near '\"cmd\"'", NULL},
            {"{\"id\":3}", NF_E_REQUEST, "missing 'cmd'", "3"},
            {"{\"id\":\"x\",\"cmd\":5}", NF_E_REQUEST, "'cmd' must be a string, not a number",
             "\"x\""},
            {"{\"cmd\":[\"vm\"]}", NF_E_REQUEST, "'cmd' must be a string, not an array", NULL},
            {"{\"id\":null,\"cmd\":null}", NF_E_REQUEST, "'cmd' must be a string, not null",
             "null"},
            {"{\"id\":[1],\"cmd\":\"status\"}", NF_E_REQUEST,
             "'id' must be an integer or a string, not an array", NULL},
            {"{\"id\":1.5,\"cmd\":\"status\"}", NF_E_REQUEST,
             "'id' must be an integer or a string, not a number", NULL},
            {"{\"id\":true,\"cmd\":\"status\"}", NF_E_REQUEST,
             "'id' must be an integer or a string, not a boolean", NULL},
            {"{\"id\":{},\"cmd\":\"status\"}", NF_E_REQUEST,
             "'id' must be an integer or a string, not an object", NULL},
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct nf_request req;
                struct nf_proto_error e = {0};
                json_t *id = (json_t *)&id;
                int rc = parse(t[i].line, &req, &e, &id);
                if (rc != -EINVAL || !e.code || strcmp(e.code, t[i].code) ||
                    strcmp(e.message, t[i].message))
                        fail_msg("'%s': rc %d, %s: \"%s\"", t[i].line, rc, e.code ? e.code : "-",
                                 e.message);
                assert_null(req.obj);
                if (!t[i].id) {
                        assert_null(id);
                        continue;
                }
                assert_non_null(id);
                char *s = json_dumps(id, JSON_ENCODE_ANY);
                assert_string_equal(s, t[i].id);
                free(s);
                json_decref(id);
        }
}

static void test_parse_too_long(void **state)
{
        (void)state;
        /* A valid request padded with blanks to the limit: one byte short is fine. */
        size_t n = NF_PROTO_MAX_LINE;
        char *line = malloc(n + 1);
        assert_non_null(line);
        memset(line, ' ', n);
        memcpy(line, "{\"id\":9,\"cmd\":\"status\"}", 23);
        line[n] = '\0';
        struct nf_request req;
        struct nf_proto_error e = {0};
        json_t *id;
        assert_int_equal(nf_request_parse(line, n - 1, &req, &e, &id), 0);
        nf_request_free(&req);
        assert_int_equal(nf_request_parse(line, n, &req, &e, &id), -EINVAL);
        assert_string_equal(e.code, NF_E_TOO_LONG);
        assert_string_equal(e.message, "request longer than 65536 bytes");
        assert_null(id);
        assert_null(req.obj);
        free(line);
}

static void test_request_string(void **state)
{
        (void)state;
        struct nf_request req;
        struct nf_proto_error e = {0};
        json_t *id;
        const char *v = "untouched";

        assert_int_equal(parse("{\"cmd\":\"vm\",\"name\":\"web1\",\"n\":3,\"z\":null,\"e\":\"\"}",
                               &req, &e, &id),
                         0);
        assert_int_equal(nf_request_string(&req, "name", 1, &v, &e), 0);
        assert_string_equal(v, "web1");
        assert_int_equal(nf_request_string(&req, "e", 1, &v, &e), 0);
        assert_string_equal(v, "");
        /* Absent and optional: 0 with NULL. */
        assert_int_equal(nf_request_string(&req, "by", 0, &v, &e), 0);
        assert_null(v);
        assert_null(e.code);

        v = "untouched";
        assert_int_equal(nf_request_string(&req, "by", 1, &v, &e), -EINVAL);
        assert_null(v);
        assert_string_equal(e.code, NF_E_ARG);
        assert_string_equal(e.message, "'vm' needs argument 'by'");
        assert_int_equal(nf_request_string(&req, "n", 0, &v, &e), -EINVAL);
        assert_string_equal(e.message, "argument 'n' must be a string, not a number");
        assert_int_equal(nf_request_string(&req, "z", 1, &v, &e), -EINVAL);
        assert_string_equal(e.message, "argument 'z' must be a string, not null");
        assert_null(v);
        nf_request_free(&req);
}

/* Dumps msg as a line and checks it is exactly want plus one newline. */
static void expect_line(const json_t *msg, const char *want)
{
        size_t len = 12345;
        char *line = nf_proto_dump_line(msg, &len);
        assert_non_null(line);
        assert_int_equal(len, strlen(want) + 1);
        assert_int_equal(strlen(line), len);
        assert_memory_equal(line, want, len - 1);
        assert_int_equal(line[len - 1], '\n');
        free(line);
}

static void test_replies(void **state)
{
        (void)state;
        json_t *id = json_integer(42);
        json_t *r = nf_reply_ok(id, json_pack("{s:s}", "version", "0.1.0"));
        expect_line(r, "{\"id\":42,\"ok\":true,\"result\":{\"version\":\"0.1.0\"}}");
        json_decref(r);
        /* No result: an empty object; no id: null. */
        r = nf_reply_ok(NULL, NULL);
        expect_line(r, "{\"id\":null,\"ok\":true,\"result\":{}}");
        json_decref(r);

        r = nf_reply_error(id, NF_E_NOT_FOUND, "no guest named 'x'");
        expect_line(r, "{\"id\":42,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":"
                       "\"no guest named 'x'\"}}");
        json_decref(r);
        json_decref(id); /* the replies took their own references */

        id = json_string("req-1");
        r = nf_reply_error(id, NF_E_PARSE, "bad");
        json_decref(id);
        expect_line(r, "{\"id\":\"req-1\",\"ok\":false,\"error\":{\"code\":\"parse_error\","
                       "\"message\":\"bad\"}}");
        json_decref(r);

        /* Newlines and other control or non-ASCII characters are escaped: one line. */
        r = nf_reply_ok(NULL, json_pack("{s:s}", "text", "a\nb\r\tc\xc3\xa9\x01"));
        expect_line(
            r, "{\"id\":null,\"ok\":true,\"result\":{\"text\":\"a\\nb\\r\\tc\\u00E9\\u0001\"}}");
        size_t len;
        char *line = nf_proto_dump_line(r, NULL); /* len is optional */
        assert_non_null(line);
        assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
        free(line);
        json_decref(r);
        r = nf_reply_error(NULL, NF_E_INTERNAL, "line one\nline two");
        line = nf_proto_dump_line(r, &len);
        assert_ptr_equal(strchr(line, '\n'), line + len - 1);
        free(line);
        json_decref(r);

        json_t *q = nf_request_new(5, "status");
        expect_line(q, "{\"id\":5,\"cmd\":\"status\"}");
        json_decref(q);
}

/* A message cut inside a multi-byte character must still make a reply. */
static void test_reply_invalid_utf8(void **state)
{
        (void)state;
        json_t *r = nf_reply_error(NULL, NF_E_UNKNOWN_CMD, "unknown command 'caf\xc3'");
        assert_non_null(r);
        expect_line(r, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"unknown_command\","
                       "\"message\":\"unknown command 'caf?'\"}}");
        json_decref(r);
        r = nf_reply_error(NULL, NF_E_PARSE, "\xff\xfe ok \xe2\x82\xac \xe2\x82");
        assert_non_null(r);
        expect_line(r, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"parse_error\","
                       "\"message\":\"?? ok \\u20AC ??\"}}");
        json_decref(r);
}

/* Bytes that are not UTF-8 are a parse error that can still be sent back. */
static void test_parse_error_raw_bytes(void **state)
{
        (void)state;
        struct nf_request req;
        struct nf_proto_error e = {0};
        json_t *id;
        char text[400] = "{\"cmd\":\"";
        assert_int_equal(parse("\xff\xfe", &req, &e, &id), -EINVAL);
        assert_string_equal(e.code, NF_E_PARSE);
        assert_string_equal(e.message, "invalid JSON at column 0: unable to decode byte 0xff");
        json_t *r = nf_reply_error(id, e.code, e.message);
        assert_non_null(r);
        json_decref(r);

        /* Columns count characters, not bytes. */
        for (int i = 0; i < 150; i++)
                strcat(text, "\xc3\xa9");
        strcat(text, "\x01\"}");
        assert_int_equal(parse(text, &req, &e, &id), -EINVAL);
        assert_string_equal(e.message, "invalid JSON at column 158: control character 0x1");
        r = nf_reply_error(id, e.code, e.message);
        char *line = nf_proto_dump_line(r, NULL);
        assert_non_null(line);
        free(line);
        json_decref(r);
}

static void test_reply_parse(void **state)
{
        (void)state;
        json_t *reply = NULL, *result = (json_t *)&result;
        struct nf_proto_error e = {0};
        const char *ok = "{\"id\":1,\"ok\":true,\"result\":{\"n\":3}}";
        assert_int_equal(nf_reply_parse(ok, strlen(ok), &reply, &result, &e), 0);
        assert_non_null(reply);
        assert_int_equal(json_integer_value(json_object_get(result, "n")), 3);
        assert_ptr_equal(result, json_object_get(reply, "result")); /* borrowed */
        json_decref(reply);

        const char *err =
            "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no guest\"}}";
        assert_int_equal(nf_reply_parse(err, strlen(err), &reply, &result, &e), -EREMOTEIO);
        assert_null(result);
        assert_string_equal(e.code, "not_found");
        assert_string_equal(e.message, "no guest");
        json_decref(reply);

        static const struct {
                const char *line;
                const char *message;
        } bad[] = {
            {"", "malformed reply from daemon"},
            {"{\"ok\":tru", "malformed reply from daemon"},
            {"[true]", "malformed reply from daemon"},
            {"{\"id\":1}", "reply without 'ok'"},
            {"{\"ok\":1}", "reply without 'ok'"},
            {"{\"ok\":false}", "error reply without code and message"},
            {"{\"ok\":false,\"error\":{\"code\":\"x\"}}", "error reply without code and message"},
            {"{\"ok\":false,\"error\":{\"code\":1,\"message\":\"m\"}}",
             "error reply without code and message"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                reply = NULL;
                result = (json_t *)&result;
                memset(&e, 0, sizeof(e));
                assert_int_equal(
                    nf_reply_parse(bad[i].line, strlen(bad[i].line), &reply, &result, &e), -EPROTO);
                assert_null(result);
                assert_string_equal(e.code, NF_E_PARSE);
                assert_string_equal(e.message, bad[i].message);
                json_decref(reply); /* the caller frees whatever was parsed */
        }
}

/* A reply around a result serialised before says what nf_reply_ok would, for any id. */
static void test_reply_serialised(void **state)
{
        (void)state;
        json_t *ids[] = {json_integer(42), json_string("a\"b"), json_null(), NULL};
        json_t *result = json_pack("{s:s,s:f,s:[i,i]}", "name", "web1", "share", 0.125, "l", 1, 2);
        char *text = json_dumps(result, NF_PROTO_DUMP_FLAGS);
        assert_non_null(text);
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                size_t len = 0, len2 = 0;
                char *a = nf_reply_ok_serialised(ids[i], text, strlen(text), &len);
                assert_non_null(a);
                assert_int_equal(len, strlen(a));
                assert_int_equal(a[len - 1], '\n');
                json_incref(result);
                json_t *r = nf_reply_ok(ids[i], result);
                char *b = nf_proto_dump_line(r, &len2);
                json_decref(r);
                json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
                assert_non_null(ja);
                assert_true(json_equal(ja, jb));
                json_decref(ja);
                json_decref(jb);
                free(a);
                free(b);
                json_decref(ids[i]);
        }
        free(text);
        json_decref(result);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_valid),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_parse_too_long),
            cmocka_unit_test(test_request_string),
            cmocka_unit_test(test_replies),
            cmocka_unit_test(test_reply_invalid_utf8),
            cmocka_unit_test(test_parse_error_raw_bytes),
            cmocka_unit_test(test_reply_parse),
            cmocka_unit_test(test_reply_serialised),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
