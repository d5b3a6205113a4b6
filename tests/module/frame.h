// A hand-written C encoder and decoder for the jitd wire frames, used by the
// fake servers.  It is deliberately independent of common/wire.cc: it follows
// common/include/jit/protocol.h on its own, so the module tests check the
// module against the written contract rather than against our own codec.  It
// can also build frames the real codec refuses to produce (lies in the
// header, unknown tags, wrong kinds) to feed the module's decoder.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// ---- protocol.h, restated ----
enum {
    FRAME_MAGIC = 0x3154494a,  // "JIT1" little-endian
    FRAME_VERSION = 1,
    FRAME_HEADER_SIZE = 16,
    FIELD_HEADER_SIZE = 8,
    FRAME_MAX_BODY = 64 * 1024 - 16,
    FRAME_MAX_STRING = 4096,
    FRAME_MAX_ID_TOKEN = 16 * 1024,  // IdToken, the one longer string
};

enum field_kind { KIND_U64 = 1, KIND_I64 = 2, KIND_STRING = 3, KIND_BOOL = 4, KIND_RECORD = 5 };

enum field_tag {
    TAG_USER = 1,
    TAG_SERVICE = 2,
    TAG_RHOST = 3,
    TAG_TTY = 4,
    TAG_RUSER = 5,
    TAG_DECISION = 6,
    TAG_REASON = 7,
    TAG_GRANT_ID = 8,
    TAG_NOT_AFTER = 10,
    TAG_RULE = 13,
    TAG_NOW = 20,
    TAG_ERROR_CODE = 22,
    TAG_MESSAGE = 23,
    TAG_SESSION_ID = 60,
    TAG_SESSION_PID = 61,
    TAG_LAST_KNOWN = 32,  // SchemaVersion, the highest tag protocol.h defines
    // command-scoped sudo (jit_sudo.so's COMMAND_CHECK_REQUEST)
    TAG_COMMAND = 130,
    TAG_ARG = 131,
    TAG_RUNAS_USER = 132,
    TAG_RUNAS_GROUP = 133,
    TAG_CWD = 134,
    TAG_ENV_SET = 135,
    TAG_PRESERVE_ENV = 136,
    TAG_SHELL_MODE = 137,
    TAG_SUDOEDIT = 138,
    // jit_sudo.so's audit half (COMMAND_EXIT_REQUEST)
    TAG_EXIT_STATUS = 200,
    TAG_EXIT_SIGNAL = 201,
    TAG_CORE_DUMPED = 202,
    TAG_EXEC_ERROR = 203,
    // workload identity (pam_jit's auth phase, IDENTITY_LOGIN)
    TAG_REQUEST_ID = 80,
    TAG_ID_TOKEN = 150,
};

enum msg_type {
    MSG_CHECK_REQUEST = 1,
    MSG_CHECK_REPLY = 2,
    MSG_SESSION_OPEN_REQUEST = 30,
    MSG_SESSION_OPEN_REPLY = 31,
    MSG_SESSION_CLOSE_REQUEST = 32,
    MSG_SESSION_CLOSE_REPLY = 33,
    MSG_COMMAND_CHECK_REQUEST = 50,
    MSG_IDENTITY_LOGIN_REQUEST = 51,
    MSG_IDENTITY_LOGIN_REPLY = 52,
    MSG_COMMAND_EXIT_REQUEST = 53,
    MSG_COMMAND_EXIT_REPLY = 54,
    MSG_LIST_REPLY = 8,
    MSG_ERROR_REPLY = 127,
};

enum decision { DECISION_DENY = 1, DECISION_ALLOW = 2 };

// ---- little-endian helpers ----
static inline void le_put16(uint8_t* p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le_get16(const uint8_t* p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le_get32(const uint8_t* p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// ---- encoder ----
// Big enough for a whole maximal frame, so tests can build any legal frame.
struct frame {
    uint8_t bytes[FRAME_HEADER_SIZE + FRAME_MAX_BODY];
    size_t len;
    int overflow;  // set when a field did not fit; frame_finish then returns 0
};

static inline void frame_begin(struct frame* f, uint16_t type, uint32_t request_id) {
    le_put32(f->bytes, FRAME_MAGIC);
    le_put16(f->bytes + 4, FRAME_VERSION);
    le_put16(f->bytes + 6, type);
    le_put32(f->bytes + 8, request_id);
    le_put32(f->bytes + 12, 0);
    f->len = FRAME_HEADER_SIZE;
    f->overflow = 0;
}

// Appends one field exactly as given: any tag, kind or flags, so tests can
// also build fields the protocol forbids.
static inline void frame_raw_field(struct frame* f, uint16_t tag, uint8_t kind, uint8_t flags,
                                   const void* value, uint32_t len) {
    if (f->overflow || sizeof f->bytes - f->len < FIELD_HEADER_SIZE + (size_t)len) {
        f->overflow = 1;
        return;
    }
    uint8_t* p = f->bytes + f->len;
    le_put16(p, tag);
    p[2] = kind;
    p[3] = flags;
    le_put32(p + 4, len);
    if (len) memcpy(p + FIELD_HEADER_SIZE, value, len);
    f->len += FIELD_HEADER_SIZE + len;
}

static inline void frame_string(struct frame* f, uint16_t tag, const char* s) {
    frame_raw_field(f, tag, KIND_STRING, 0, s, (uint32_t)strlen(s));
}

static inline void frame_u64(struct frame* f, uint16_t tag, uint64_t v) {
    uint8_t b[8];
    le_put64(b, v);
    frame_raw_field(f, tag, KIND_U64, 0, b, 8);
}

static inline void frame_i64(struct frame* f, uint16_t tag, int64_t v) {
    uint8_t b[8];
    le_put64(b, (uint64_t)v);
    frame_raw_field(f, tag, KIND_I64, 0, b, 8);
}

// Writes the true body length into the header; returns the frame length, or 0
// if a field overflowed.
static inline size_t frame_finish(struct frame* f) {
    if (f->overflow) return 0;
    le_put32(f->bytes + 12, (uint32_t)(f->len - FRAME_HEADER_SIZE));
    return f->len;
}

// Overwrites the announced body length (to lie about it).
static inline void frame_set_body_len(struct frame* f, uint32_t body_len) {
    le_put32(f->bytes + 12, body_len);
}

// ---- decoder for what the module sends (a CHECK_REQUEST and the others) ----
enum { SEEN_TEXT = 256, SEEN_LIST = 8 };

struct seen_string {
    int count;  // occurrences of the tag in the body
    char text[SEEN_TEXT];
};

struct seen_request {
    int complete;       // a whole frame arrived and decoded without error
    const char* error;  // static text when not complete
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t request_id;
    uint32_t body_len;
    struct seen_string user, service, rhost, tty, ruser;
    struct seen_string session_id;  // SESSION_CLOSE_REQUEST
    // COMMAND_CHECK_REQUEST: single strings, the first SEEN_LIST list
    // elements (counts go on), and the booleans (-1: absent).
    struct seen_string command, runas_user, runas_group, cwd;
    int nargs, nenv;
    char args[SEEN_LIST][SEEN_TEXT], env[SEEN_LIST][SEEN_TEXT];
    int preserve_env, shell_mode, sudoedit;
    // COMMAND_EXIT_REQUEST: the grant, and how the command ended (-1: absent;
    // core_dumped is a bool like the flags above).
    struct seen_string grant_id;
    long long exit_status, exit_signal, exec_error;
    int core_dumped;
    // IDENTITY_LOGIN_REQUEST: the token's count and length, and its first
    // SEEN_TEXT - 1 bytes.
    int id_token_count;
    uint32_t id_token_len;
    char id_token[SEEN_TEXT];
    int other_fields;  // fields with any other tag
    int bad_fields;    // wrong kind, flags set, NUL inside a string or over-long value
};

static inline struct seen_string* seen_slot(struct seen_request* r, uint16_t tag) {
    switch (tag) {
        case TAG_USER:
            return &r->user;
        case TAG_SERVICE:
            return &r->service;
        case TAG_RHOST:
            return &r->rhost;
        case TAG_TTY:
            return &r->tty;
        case TAG_RUSER:
            return &r->ruser;
        case TAG_COMMAND:
            return &r->command;
        case TAG_RUNAS_USER:
            return &r->runas_user;
        case TAG_RUNAS_GROUP:
            return &r->runas_group;
        case TAG_CWD:
            return &r->cwd;
        case TAG_GRANT_ID:
            return &r->grant_id;
        case TAG_SESSION_ID:
            return &r->session_id;
        default:
            return NULL;
    }
}

// Records one field of the request body; returns 0 if its header is malformed.
static inline int seen_field(struct seen_request* r, const uint8_t* p, const uint8_t* end,
                             size_t* consumed) {
    if ((size_t)(end - p) < FIELD_HEADER_SIZE) return 0;
    uint16_t tag = le_get16(p);
    uint8_t kind = p[2], flags = p[3];
    uint32_t len = le_get32(p + 4);
    if (len > (size_t)(end - p) - FIELD_HEADER_SIZE) return 0;
    const uint8_t* value = p + FIELD_HEADER_SIZE;
    *consumed = FIELD_HEADER_SIZE + len;
    int* flag = tag == TAG_PRESERVE_ENV  ? &r->preserve_env
                : tag == TAG_SHELL_MODE  ? &r->shell_mode
                : tag == TAG_SUDOEDIT    ? &r->sudoedit
                : tag == TAG_CORE_DUMPED ? &r->core_dumped
                                         : NULL;
    if (flag) {
        if (kind != KIND_BOOL || flags != 0 || len != 1 || value[0] > 1 || *flag != -1)
            r->bad_fields++;
        else
            *flag = value[0];
        return 1;
    }
    long long* number = tag == TAG_EXIT_STATUS   ? &r->exit_status
                        : tag == TAG_EXIT_SIGNAL ? &r->exit_signal
                        : tag == TAG_EXEC_ERROR  ? &r->exec_error
                                                 : NULL;
    if (number) {
        uint64_t v = 0;
        for (int i = 7; len == 8 && i >= 0; --i) v = v << 8 | value[i];
        if (kind != KIND_U64 || flags != 0 || len != 8 || v > INT64_MAX || *number != -1)
            r->bad_fields++;
        else
            *number = (long long)v;
        return 1;
    }
    if (tag == TAG_ID_TOKEN) {
        if (kind != KIND_STRING || flags != 0 || len > FRAME_MAX_ID_TOKEN ||
            memchr(value, 0, len)) {
            r->bad_fields++;
            return 1;
        }
        r->id_token_count++;
        r->id_token_len = len;
        size_t keep = len < SEEN_TEXT - 1 ? len : SEEN_TEXT - 1;
        memcpy(r->id_token, value, keep);
        r->id_token[keep] = '\0';
        return 1;
    }
    if (tag == TAG_ARG || tag == TAG_ENV_SET) {
        int* n = tag == TAG_ARG ? &r->nargs : &r->nenv;
        char(*list)[SEEN_TEXT] = tag == TAG_ARG ? r->args : r->env;
        if (kind != KIND_STRING || flags != 0 || len >= SEEN_TEXT || memchr(value, 0, len)) {
            r->bad_fields++;
            return 1;
        }
        if (*n < SEEN_LIST) {
            memcpy(list[*n], value, len);
            list[*n][len] = '\0';
        }
        ++*n;
        return 1;
    }
    struct seen_string* slot = seen_slot(r, tag);
    if (!slot) {
        r->other_fields++;
        return 1;
    }
    if (kind != KIND_STRING || flags != 0 || len >= SEEN_TEXT || memchr(value, 0, len)) {
        r->bad_fields++;
        return 1;
    }
    slot->count++;
    memcpy(slot->text, value, len);
    slot->text[len] = '\0';
    return 1;
}

// Decodes a complete frame of exactly len bytes into *r.
static inline void seen_decode(struct seen_request* r, const uint8_t* bytes, size_t len) {
    memset(r, 0, sizeof *r);
    r->preserve_env = r->shell_mode = r->sudoedit = r->core_dumped = -1;
    r->exit_status = r->exit_signal = r->exec_error = -1;
    if (len < FRAME_HEADER_SIZE) {
        r->error = "short frame";
        return;
    }
    r->magic = le_get32(bytes);
    r->version = le_get16(bytes + 4);
    r->type = le_get16(bytes + 6);
    r->request_id = le_get32(bytes + 8);
    r->body_len = le_get32(bytes + 12);
    if (r->body_len != len - FRAME_HEADER_SIZE) {
        r->error = "body length does not match the bytes received";
        return;
    }
    const uint8_t* p = bytes + FRAME_HEADER_SIZE;
    const uint8_t* end = bytes + len;
    while (p < end) {
        size_t consumed = 0;
        if (!seen_field(r, p, end, &consumed)) {
            r->error = "malformed field header";
            return;
        }
        p += consumed;
    }
    r->complete = 1;
}
