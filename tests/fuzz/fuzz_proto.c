/* libFuzzer harness: the control protocol's request and reply parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nf_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nf_request req;
        struct nf_proto_error e;
        json_t *id = NULL;
        if (nf_request_parse((const char *)data, size, &req, &e, &id) == 0) {
                const char *s;
                nf_request_string(&req, "name", 1, &s, &e);
                json_t *r = nf_reply_ok(req.id, json_object());
                size_t len;
                free(nf_proto_dump_line(r, &len));
                json_decref(r);
                nf_request_free(&req);
        } else {
                json_t *r = nf_reply_error(id, e.code, e.message);
                /* Every failure must still produce a sendable reply. */
                if (!r)
                        abort();
                json_decref(r);
                json_decref(id);
        }
        json_t *reply = NULL, *result = NULL;
        nf_reply_parse((const char *)data, size, &reply, &result, &e);
        json_decref(reply);
        return 0;
}
