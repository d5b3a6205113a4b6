// pam_jit.so's auth phase ("auth required pam_jit.so token"): the token is
// read through the conversation with echo off, sent to jitd as
// IDENTITY_LOGIN, and only a complete allow with a grant still in force
// authenticates.  Every other outcome of a managed account fails; an
// unmanaged account is left alone without a prompt.  The application's
// answer buffer is wiped before it is freed.
#define _GNU_SOURCE
#include "pam_harness.h"

#define TOKEN "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvd2ViIn0.c2lnbmF0dXJlLW1hcmtlcg"
#define REQUEST_ID "r-ab12cd34"
#define WAIT_LINE "socket={sock} server_uid={uid} timeout_ms=2000 managed_users=deploy token"

static const struct service_def services[] = {
    {"auth", STACK_AUTH_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=2000 managed_users=deploy token"},
    {"prompt", STACK_AUTH_PROBE,
     "socket={sock} server_uid={uid} managed_users=deploy token prompt=CI-token:"},
    {"wait5", STACK_AUTH_PROBE, WAIT_LINE " wait=5"},
    {"wait3", STACK_AUTH_PROBE, WAIT_LINE " wait=3"},
    {"notoken", STACK_AUTH_PROBE, "socket={sock} server_uid={uid} managed_users=deploy"},
    {"badwait", STACK_AUTH_PROBE,
     "socket={sock} server_uid={uid} managed_users=deploy token wait=x"},
    {"waitbig", STACK_AUTH_PROBE, WAIT_LINE " wait=601"},
};

// ---- the free() that checks the wipe ----
// The module must wipe the application's answer before freeing it.  This
// executable's free() sees every free() in the process (libpam's and the
// module's included) and records whether the watched buffer was all zero.
extern void __libc_free(void*);
static void* watched;
static size_t watched_len;
static int watched_wiped = -1;  // -1: not freed yet

__attribute__((visibility("default"))) void free(void* p) {
    if (p && p == watched) {
        watched_wiped = 1;
        for (size_t i = 0; i < watched_len; ++i)
            if (((const char*)p)[i] != 0) watched_wiped = 0;
        watched = NULL;
    }
    __libc_free(p);
}

// ---- the conversation ----
enum answer_mode { ANSWER_TEXT, ANSWER_FAIL, ANSWER_NULL };

struct conversation {
    enum answer_mode mode;
    const char* answer;  // ANSWER_TEXT
    int prompts;         // PAM_PROMPT_ECHO_OFF messages seen
    int echo_on;         // PAM_PROMPT_ECHO_ON messages seen
    char prompt[128];    // the last prompt
    char info[512];      // PAM_TEXT_INFO and PAM_ERROR_MSG texts, joined
};

static int converse(int n, const struct pam_message** msg, struct pam_response** resp, void* data) {
    struct conversation* c = (struct conversation*)data;
    struct pam_response* r = calloc((size_t)n, sizeof *r);
    if (!r) return PAM_BUF_ERR;
    for (int i = 0; i < n; ++i) {
        switch (msg[i]->msg_style) {
            case PAM_PROMPT_ECHO_OFF:
                c->prompts++;
                snprintf(c->prompt, sizeof c->prompt, "%s", msg[i]->msg);
                if (c->mode == ANSWER_FAIL) {
                    __libc_free(r);
                    return PAM_CONV_ERR;
                }
                if (c->mode == ANSWER_TEXT) {
                    r[i].resp = strdup(c->answer);
                    watched = r[i].resp;
                    watched_len = strlen(c->answer);
                    watched_wiped = -1;
                }
                break;
            case PAM_PROMPT_ECHO_ON:
                c->echo_on++;
                break;
            default:
                strncat(c->info, msg[i]->msg, sizeof c->info - strlen(c->info) - 2);
                strcat(c->info, "|");
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

struct auth_result {
    int module_rc;
    long long elapsed_ms;
};

// pam_authenticate through a probe stack; conv NULL: no conversation function.
static struct auth_result authenticate(const char* service, const char* user,
                                       struct conversation* c) {
    struct pam_conv conv = {c ? converse : NULL, c};
    pam_handle_t* pamh = NULL;
    if (pam_start(service, user, &conv, &pamh) != PAM_SUCCESS) fail_msg("pam_start");
    set_item(pamh, PAM_RHOST, "203.0.113.9");
    long long t0 = now_ms();
    int rc = pam_authenticate(pamh, 0);
    struct auth_result r = {rc == PAM_MAXTRIES ? PAM_IGNORE : rc, now_ms() - t0};
    pam_end(pamh, rc);
    return r;
}

// ---- fake jitd answers ----
static void send_login_reply(int conn, uint32_t request_id, uint64_t decision, const char* grant_id,
                             const char* pending_id, int64_t not_after, const char* message) {
    static struct frame f;
    frame_begin(&f, MSG_IDENTITY_LOGIN_REPLY, request_id);
    frame_u64(&f, TAG_DECISION, decision);
    if (grant_id) frame_string(&f, TAG_GRANT_ID, grant_id);
    if (pending_id) frame_string(&f, TAG_REQUEST_ID, pending_id);
    if (not_after != NO_NOT_AFTER) frame_i64(&f, TAG_NOT_AFTER, not_after);
    if (message) frame_string(&f, TAG_MESSAGE, message);
    send_frame(conn, &f);
}

static void login_allow(int conn, const struct seen_request* req) {
    send_login_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, NULL, time(NULL) + 600, NULL);
}
static void login_allow_expired(int conn, const struct seen_request* req) {
    send_login_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, NULL, time(NULL) - 1, NULL);
}
static void login_deny(int conn, const struct seen_request* req) {
    send_login_reply(conn, req->request_id, DECISION_DENY, NULL, NULL, NO_NOT_AFTER,
                     "claim ref: refs/heads/dev is not refs/heads/main");
}
static void login_pending(int conn, const struct seen_request* req) {
    send_login_reply(conn, req->request_id, DECISION_DENY, NULL, REQUEST_ID, NO_NOT_AFTER,
                     "waiting for 1 approval from @release");
}
// Pending on the first ask, allowed on every later one (the server process
// serves every connection of one test).
static void login_pending_then_allow(int conn, const struct seen_request* req) {
    static int asked;
    if (asked++ == 0)
        login_pending(conn, req);
    else
        login_allow(conn, req);
}
static void login_check_reply(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, time(NULL) + 600);
}
static void reply_garbage_bytes(int conn, const struct seen_request* req) {
    (void)req;
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    fake_send(conn, text, sizeof text - 1);
}
static void login_error(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_ERROR_REPLY, req->request_id);
    frame_u64(&f, TAG_ERROR_CODE, 1);
    frame_string(&f, TAG_MESSAGE, "only root may log in with a token");
    send_frame(conn, &f);
}

// ---- the way in ----
static void allow_succeeds_and_sends_the_token(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("auth", MANAGED_USER, &c);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    assert_int_equal(c.prompts, 1);
    assert_int_equal(c.echo_on, 0);  // a token is never echoed
    assert_string_equal(c.prompt, "jit identity token: ");
    const struct seen_request* q = &s->log->last;
    assert_true(q->complete);
    assert_int_equal(q->type, MSG_IDENTITY_LOGIN_REQUEST);
    assert_string_equal(q->user.text, MANAGED_USER);
    assert_string_equal(q->service.text, "auth");
    assert_string_equal(q->rhost.text, "203.0.113.9");
    assert_int_equal(q->id_token_count, 1);
    assert_string_equal(q->id_token, TOKEN);
    assert_int_equal(q->other_fields, 0);
    assert_int_equal(q->bad_fields, 0);
    assert_int_equal(watched_wiped, 1);
}

static void blanks_around_the_token_are_trimmed(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.answer = "  " TOKEN "\r\n"};
    assert_pam_rc(PAM_SUCCESS, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_string_equal(s->log->last.id_token, TOKEN);
    assert_int_equal(watched_wiped, 1);
}

static void custom_prompt_is_shown(void** state) {
    serve(state, login_allow);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_SUCCESS, authenticate("prompt", MANAGED_USER, &c).module_rc);
    assert_string_equal(c.prompt, "CI-token:");
}

// The largest token the protocol carries goes whole; one byte more is
// refused before anything is sent.
static char* token_of_size(size_t n) {
    char* t = malloc(n + 1);
    memset(t, 'a', n);
    t[10] = '.';
    t[20] = '.';
    t[n] = '\0';
    return t;
}

static void largest_token_is_sent_whole(void** state) {
    struct fake_server* s = serve(state, login_allow);
    char* t = token_of_size(FRAME_MAX_ID_TOKEN);
    struct conversation c = {.answer = t};
    assert_pam_rc(PAM_SUCCESS, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_int_equal(s->log->last.id_token_len, FRAME_MAX_ID_TOKEN);
    __libc_free(t);
}

// ---- refused without asking jitd ----
static void refused_before_jitd(void** state, const char* answer) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.answer = answer};
    assert_pam_rc(PAM_AUTH_ERR, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_int_equal(server_connections(s), 0);
    assert_int_equal(watched_wiped, 1);
}

static void empty_answer_is_refused(void** state) {
    refused_before_jitd(state, "");
}
static void blank_answer_is_refused(void** state) {
    refused_before_jitd(state, " \t\r\n");
}
static void oversize_answer_is_refused(void** state) {
    char* t = token_of_size(FRAME_MAX_ID_TOKEN + 1);
    refused_before_jitd(state, t);
    __libc_free(t);
}
static void huge_answer_is_refused(void** state) {
    char* t = token_of_size(1 << 20);
    refused_before_jitd(state, t);
    __libc_free(t);
}
static void password_shaped_answer_is_refused(void** state) {
    refused_before_jitd(state, "hunter2 is my password");
}
static void token_with_two_parts_is_refused(void** state) {
    refused_before_jitd(state, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0");
}

static void no_conversation_function_is_refused(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct auth_result r = authenticate("auth", MANAGED_USER, NULL);
    assert_pam_rc(PAM_CONV_ERR, r.module_rc);
    assert_int_equal(server_connections(s), 0);
}

static void failing_conversation_is_refused(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.mode = ANSWER_FAIL};
    assert_pam_rc(PAM_CONV_ERR, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_int_equal(server_connections(s), 0);
}

static void conversation_without_answer_is_refused(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.mode = ANSWER_NULL};
    assert_pam_rc(PAM_CONV_ERR, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_int_equal(server_connections(s), 0);
}

// ---- jitd's other answers ----
static void jitd_down_is_refused(void** state) {
    (void)state;  // no server: nothing listens on the socket path
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("auth", MANAGED_USER, &c);
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, r.module_rc);
    assert_int_equal(watched_wiped, 1);
}

static void jitd_silent_is_refused_at_the_deadline(void** state) {
    serve(state, reply_never);
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("auth", MANAGED_USER, &c);
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, r.module_rc);
    if (r.elapsed_ms > 4000) fail_msg("took %lld ms; the deadline is 2000", r.elapsed_ms);
}

static void deny_is_refused_with_its_reason(void** state) {
    serve(state, login_deny);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_AUTH_ERR, authenticate("auth", MANAGED_USER, &c).module_rc);
    assert_non_null(strstr(c.info, "refs/heads/dev is not refs/heads/main"));
}

static void expired_allow_is_refused(void** state) {
    serve(state, login_allow_expired);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_AUTH_ERR, authenticate("auth", MANAGED_USER, &c).module_rc);
}

static void error_reply_is_refused(void** state) {
    serve(state, login_error);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, authenticate("auth", MANAGED_USER, &c).module_rc);
}

static void check_reply_is_refused(void** state) {
    serve(state, login_check_reply);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, authenticate("auth", MANAGED_USER, &c).module_rc);
}

static void garbage_is_refused(void** state) {
    serve(state, reply_garbage_bytes);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, authenticate("auth", MANAGED_USER, &c).module_rc);
}

// ---- pending requests ----
static void pending_without_wait_fails_naming_the_request(void** state) {
    struct fake_server* s = serve(state, login_pending);
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("auth", MANAGED_USER, &c);
    assert_pam_rc(PAM_AUTH_ERR, r.module_rc);
    assert_int_equal(server_requests(s), 1);
    assert_non_null(strstr(c.info, REQUEST_ID));
}

static void pending_then_approved_within_wait_succeeds(void** state) {
    struct fake_server* s = serve(state, login_pending_then_allow);
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("wait5", MANAGED_USER, &c);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    assert_int_equal(server_requests(s), 2);
    assert_string_equal(s->log->last.id_token, TOKEN);  // the same token, re-sent
    assert_int_equal(c.prompts, 1);                     // asked once
    assert_non_null(strstr(c.info, REQUEST_ID));
    assert_int_equal(watched_wiped, 1);
}

static void pending_past_wait_fails(void** state) {
    struct fake_server* s = serve(state, login_pending);
    struct conversation c = {.answer = TOKEN};
    struct auth_result r = authenticate("wait3", MANAGED_USER, &c);
    assert_pam_rc(PAM_AUTH_ERR, r.module_rc);
    assert_int_equal(server_requests(s), 2);
    if (r.elapsed_ms < 1900 || r.elapsed_ms > 3500)
        fail_msg("waited %lld ms with wait=3", r.elapsed_ms);
    assert_non_null(strstr(c.info, REQUEST_ID));
}

// ---- who and how ----
static void unmanaged_user_is_ignored_without_a_prompt(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_IGNORE, authenticate("auth", UNMANAGED_USER, &c).module_rc);
    assert_int_equal(c.prompts, 0);
    assert_int_equal(server_connections(s), 0);
}

static void line_without_token_word_is_a_service_error(void** state) {
    struct fake_server* s = serve(state, login_allow);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_SERVICE_ERR, authenticate("notoken", MANAGED_USER, &c).module_rc);
    assert_pam_rc(PAM_SERVICE_ERR, authenticate("notoken", UNMANAGED_USER, &c).module_rc);
    assert_int_equal(c.prompts, 0);
    assert_int_equal(server_connections(s), 0);
}

static void bad_wait_is_a_service_error(void** state) {
    serve(state, login_allow);
    struct conversation c = {.answer = TOKEN};
    assert_pam_rc(PAM_SERVICE_ERR, authenticate("badwait", MANAGED_USER, &c).module_rc);
    assert_pam_rc(PAM_SERVICE_ERR, authenticate("waitbig", MANAGED_USER, &c).module_rc);
}

int main(int argc, char** argv) {
    (void)argc;
    // Every pam_syslog line in the log, so tests/module/run can check that
    // none of them carries the token.
    setenv("PAM_WRAPPER_DEBUGLEVEL", "3", 0);
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(allow_succeeds_and_sends_the_token),
        JIT_TEST(blanks_around_the_token_are_trimmed),
        JIT_TEST(custom_prompt_is_shown),
        JIT_TEST(largest_token_is_sent_whole),
        JIT_TEST(empty_answer_is_refused),
        JIT_TEST(blank_answer_is_refused),
        JIT_TEST(oversize_answer_is_refused),
        JIT_TEST(huge_answer_is_refused),
        JIT_TEST(password_shaped_answer_is_refused),
        JIT_TEST(token_with_two_parts_is_refused),
        JIT_TEST(no_conversation_function_is_refused),
        JIT_TEST(failing_conversation_is_refused),
        JIT_TEST(conversation_without_answer_is_refused),
        JIT_TEST(jitd_down_is_refused),
        JIT_TEST(jitd_silent_is_refused_at_the_deadline),
        JIT_TEST(deny_is_refused_with_its_reason),
        JIT_TEST(expired_allow_is_refused),
        JIT_TEST(error_reply_is_refused),
        JIT_TEST(check_reply_is_refused),
        JIT_TEST(garbage_is_refused),
        JIT_TEST(pending_without_wait_fails_naming_the_request),
        JIT_TEST(pending_then_approved_within_wait_succeeds),
        JIT_TEST(pending_past_wait_fails),
        JIT_TEST(unmanaged_user_is_ignored_without_a_prompt),
        JIT_TEST(line_without_token_word_is_a_service_error),
        JIT_TEST(bad_wait_is_a_service_error),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    harness_finish();
    return failed;
}
