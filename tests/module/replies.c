// pam_jit.so against fake jitd replies: only a complete, well-formed allow
// that is still in force lets a managed account in; every other reply denies.
#define _GNU_SOURCE
#include "pam_harness.h"

// A generous timeout: every fake server here answers (or hangs up) at once,
// so a denial must come from the reply itself, quickly, never from the clock.
#define REPLY_TIMEOUT_MS 5000
#define FAST_MS 2500

static const struct service_def services[] = {
    {"reply", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=5000 managed_users=deploy"},
    {"sshd", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy"},
};

// Runs one check for the managed user against a fake server answering with
// reply, and returns pam_jit's result after checking that the module really
// sent its request and did not wait for the timeout.
static int check_with(void** state, reply_fn reply) {
    struct fake_server* s = serve(state, reply);
    struct call_result r = account("reply", MANAGED_USER);
    assert_int_equal(server_connections(s), 1);
    assert_int_equal(server_requests(s), 1);
    assert_true(s->log->last.complete);
    if (r.elapsed_ms >= FAST_MS)
        fail_msg("took %lld ms: the reply was not judged on its own", r.elapsed_ms);
    return r.module_rc;
}

// ---- the one way in ----
static void allow_with_future_expiry_succeeds(void** state) {
    assert_pam_rc(PAM_SUCCESS, check_with(state, reply_allow));
}

static void check_request_carries_user_service_and_items(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    struct pam_items items = {.rhost = "203.0.113.7", .tty = "ssh", .ruser = "ci-runner"};
    struct call_result r = account_call("sshd", MANAGED_USER, &items, NULL);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    const struct seen_request* q = &s->log->last;
    assert_true(q->complete);
    assert_int_equal(q->magic, FRAME_MAGIC);
    assert_int_equal(q->version, FRAME_VERSION);
    assert_int_equal(q->type, MSG_CHECK_REQUEST);
    assert_int_equal(q->user.count, 1);
    assert_string_equal(q->user.text, MANAGED_USER);
    assert_int_equal(q->service.count, 1);
    assert_string_equal(q->service.text, "sshd");
    assert_int_equal(q->rhost.count, 1);
    assert_string_equal(q->rhost.text, "203.0.113.7");
    assert_int_equal(q->tty.count, 1);
    assert_string_equal(q->tty.text, "ssh");
    assert_int_equal(q->ruser.count, 1);
    assert_string_equal(q->ruser.text, "ci-runner");
    assert_int_equal(q->other_fields, 0);
    assert_int_equal(q->bad_fields, 0);
}

static void check_request_omits_unset_items(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_pam_rc(PAM_SUCCESS, account("sshd", MANAGED_USER).module_rc);
    const struct seen_request* q = &s->log->last;
    assert_true(q->complete);
    assert_string_equal(q->user.text, MANAGED_USER);
    assert_string_equal(q->service.text, "sshd");
    assert_int_equal(q->rhost.count, 0);
    assert_int_equal(q->tty.count, 0);
    assert_int_equal(q->ruser.count, 0);
    assert_int_equal(q->other_fields + q->bad_fields, 0);
}

// The protocol allows Reason, GrantId and Rule up to 4096 bytes each: the
// largest legal allow must still be read whole and honoured.
static void reply_largest_legal_allow(int conn, const struct seen_request* req) {
    static char big[FRAME_MAX_STRING + 1];
    static struct frame f;
    memset(big, 'r', FRAME_MAX_STRING);
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, big);
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    frame_string(&f, TAG_RULE, big);
    send_frame(conn, &f);
}
static void largest_legal_allow_succeeds(void** state) {
    assert_pam_rc(PAM_SUCCESS, check_with(state, reply_largest_legal_allow));
}

// ---- well-formed replies that are not an allow in force ----
static void reply_deny_with_grant_fields(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_DENY, GRANT_ID, time(NULL) + 3600);
}
static void reply_allow_expired(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, time(NULL) - 1);
}
// NotAfter is exclusive: a grant ending this very second is over.
static void reply_allow_expiring_now(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, time(NULL));
}
static void reply_allow_no_grant_id(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, NULL, time(NULL) + 3600);
}
static void reply_allow_empty_grant_id(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, "", time(NULL) + 3600);
}
static void reply_allow_no_expiry(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, NO_NOT_AFTER);
}
static void reply_decision_0(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, 0, GRANT_ID, time(NULL) + 3600);
}
static void reply_decision_3(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, 3, GRANT_ID, time(NULL) + 3600);
}

static void deny_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_deny));
}
static void deny_carrying_grant_fields_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_deny_with_grant_fields));
}
static void allow_with_past_expiry_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_allow_expired));
}
static void allow_expiring_this_second_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_allow_expiring_now));
}
static void allow_without_grant_id_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_allow_no_grant_id));
}
static void allow_with_empty_grant_id_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_allow_empty_grant_id));
}
static void allow_without_expiry_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_allow_no_expiry));
}
static void decision_0_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_decision_0));
}
static void decision_3_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_decision_3));
}

static void reply_error(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_ERROR_REPLY, req->request_id);
    frame_u64(&f, TAG_ERROR_CODE, EPERM);
    frame_string(&f, TAG_MESSAGE, "not allowed");
    send_frame(conn, &f);
}
static void error_reply_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_error));
}

// ---- malformed frames ----
static void reply_garbage(int conn, const struct seen_request* req) {
    (void)req;
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    fake_send(conn, text, sizeof text - 1);
}
static void garbage_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_garbage));
}

// Announces a body over the protocol limit and then holds the line: the module
// must refuse from the header alone instead of waiting for the body.
static void reply_oversize_body_len(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_set_body_len(&f, FRAME_MAX_BODY + 1);
    fake_send(conn, f.bytes, FRAME_HEADER_SIZE);
    sleep_ms(10 * 1000);
}
static void oversize_body_len_is_denied_from_the_header(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_oversize_body_len));
}

// Within the protocol's frame limit, but larger than any legal CHECK_REPLY
// (three maximal strings and the fixed fields).
static void reply_body_len_beyond_any_check_reply(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_set_body_len(&f, 4 * (FIELD_HEADER_SIZE + FRAME_MAX_STRING));
    fake_send(conn, f.bytes, FRAME_HEADER_SIZE);
    sleep_ms(10 * 1000);
}
static void body_len_beyond_any_check_reply_is_denied_from_the_header(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_body_len_beyond_any_check_reply));
}

static void reply_truncated_body(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "fake server");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    fake_send(conn, f.bytes, frame_finish(&f) - 10);
}
static void reply_truncated_header(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    fake_send(conn, f.bytes, FRAME_HEADER_SIZE - 6);
}
static void reply_nothing(int conn, const struct seen_request* req) {
    (void)conn;
    (void)req;
}
static void truncated_body_then_close_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_truncated_body));
}
static void truncated_header_then_close_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_truncated_header));
}
static void close_without_reply_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_nothing));
}

// A valid allow with one extra field appended by add(), or built wrong by it.
static void allow_plus(int conn, uint32_t request_id, void (*add)(struct frame*)) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "fake server");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    add(&f);
    send_frame(conn, &f);
}
static void add_unknown_tag(struct frame* f) {
    frame_raw_field(f, TAG_LAST_KNOWN + 1, KIND_STRING, 0, "x", 1);
}
static void add_user_field(struct frame* f) {
    frame_string(f, TAG_USER, MANAGED_USER);
}
static void add_flagged_rule(struct frame* f) {
    frame_raw_field(f, TAG_RULE, KIND_STRING, 1, "rule", 4);
}
static void add_non_utf8_rule(struct frame* f) {
    frame_string(f, TAG_RULE, "\xff\xfe");
}
static void add_second_decision(struct frame* f) {
    frame_u64(f, TAG_DECISION, DECISION_ALLOW);
}
static void add_rule_as_u64(struct frame* f) {
    frame_u64(f, TAG_RULE, 7);
}

static void reply_unknown_tag(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_unknown_tag);
}
static void reply_foreign_field(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_user_field);
}
static void reply_flags_set(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_flagged_rule);
}
static void reply_bad_utf8(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_non_utf8_rule);
}
static void reply_repeated_decision(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_second_decision);
}
static void reply_kind_mismatch(int c, const struct seen_request* q) {
    allow_plus(c, q->request_id, add_rule_as_u64);
}

static void unknown_field_tag_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_unknown_tag));
}
static void field_foreign_to_check_reply_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_foreign_field));
}
static void reserved_flags_set_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_flags_set));
}
static void non_utf8_string_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_bad_utf8));
}
static void repeated_decision_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_repeated_decision));
}
static void field_kind_mismatch_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_kind_mismatch));
}

// ---- well-formed frames that do not answer this request ----
static void reply_wrong_request_id(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id + 1, DECISION_ALLOW, GRANT_ID, time(NULL) + 3600);
}
// Sends the module's own request back: a valid frame, of the wrong type.
static void reply_echo(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REQUEST, req->request_id);
    frame_string(&f, TAG_USER, req->user.text);
    frame_string(&f, TAG_SERVICE, req->service.text);
    send_frame(conn, &f);
}
static void reply_list(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_LIST_REPLY, req->request_id);
    frame_i64(&f, TAG_NOW, time(NULL));
    send_frame(conn, &f);
}
static void reply_unknown_type(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, 99, req->request_id);
    send_frame(conn, &f);
}
static void reply_version_2(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "fake server");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    frame_finish(&f);
    le_put16(f.bytes + 4, 2);
    fake_send(conn, f.bytes, f.len);
}

static void wrong_request_id_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_wrong_request_id));
}
static void echoed_request_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_echo));
}
static void list_reply_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_list));
}
static void unknown_message_type_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_unknown_type));
}
static void other_protocol_version_is_denied(void** state) {
    assert_pam_rc(PAM_PERM_DENIED, check_with(state, reply_version_2));
}

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(allow_with_future_expiry_succeeds),
        JIT_TEST(check_request_carries_user_service_and_items),
        JIT_TEST(check_request_omits_unset_items),
        JIT_TEST(largest_legal_allow_succeeds),
        JIT_TEST(deny_is_denied),
        JIT_TEST(deny_carrying_grant_fields_is_denied),
        JIT_TEST(allow_with_past_expiry_is_denied),
        JIT_TEST(allow_expiring_this_second_is_denied),
        JIT_TEST(allow_without_grant_id_is_denied),
        JIT_TEST(allow_with_empty_grant_id_is_denied),
        JIT_TEST(allow_without_expiry_is_denied),
        JIT_TEST(decision_0_is_denied),
        JIT_TEST(decision_3_is_denied),
        JIT_TEST(error_reply_is_denied),
        JIT_TEST(garbage_is_denied),
        JIT_TEST(oversize_body_len_is_denied_from_the_header),
        JIT_TEST(body_len_beyond_any_check_reply_is_denied_from_the_header),
        JIT_TEST(truncated_body_then_close_is_denied),
        JIT_TEST(truncated_header_then_close_is_denied),
        JIT_TEST(close_without_reply_is_denied),
        JIT_TEST(unknown_field_tag_is_denied),
        JIT_TEST(field_foreign_to_check_reply_is_denied),
        JIT_TEST(reserved_flags_set_is_denied),
        JIT_TEST(non_utf8_string_is_denied),
        JIT_TEST(repeated_decision_is_denied),
        JIT_TEST(field_kind_mismatch_is_denied),
        JIT_TEST(wrong_request_id_is_denied),
        JIT_TEST(echoed_request_is_denied),
        JIT_TEST(list_reply_is_denied),
        JIT_TEST(unknown_message_type_is_denied),
        JIT_TEST(other_protocol_version_is_denied),
    };
    int failed = cmocka_run_group_tests_name("pam_jit replies", tests, NULL, NULL);
    harness_finish();
    return failed;
}
