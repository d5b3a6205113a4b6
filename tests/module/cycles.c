// pam_jit.so over 10,000 whole logins in one process: pam_start, the account
// check, the session's open and close, pam_end, each against a fake jitd.  The
// count of open descriptors never moves.  tests/module/run runs this binary
// twice: as it is, and under valgrind memcheck, where a leak or an invalid
// access fails it.
#define _GNU_SOURCE
#include "pam_harness.h"

#define CYCLES 10000
#define FD_SAMPLE_EVERY 100
#define SESSION_ID "s-ab12cd34"  // "s-" and 8 id characters, as protocol.h requires

static const struct service_def services[] = {
    {"login", STACK_ACCOUNT_AND_SESSION,
     "socket={sock} server_uid={uid} timeout_ms=10000 managed_users=deploy"},
};

// Answers each phase the way jitd does when the login is allowed.  A close
// that does not carry the open's session id gets no answer, which fails the
// close (PAM_SESSION_ERR).
static void reply_login(int conn, const struct seen_request* req) {
    static struct frame f;
    switch (req->type) {
        case MSG_CHECK_REQUEST:
            reply_allow(conn, req);
            return;
        case MSG_SESSION_OPEN_REQUEST:
            frame_begin(&f, MSG_SESSION_OPEN_REPLY, req->request_id);
            frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
            frame_string(&f, TAG_REASON, "fake server");
            frame_string(&f, TAG_SESSION_ID, SESSION_ID);
            frame_string(&f, TAG_GRANT_ID, GRANT_ID);
            frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
            send_frame(conn, &f);
            return;
        case MSG_SESSION_CLOSE_REQUEST:
            if (strcmp(req->session_id.text, SESSION_ID) != 0) return;
            frame_begin(&f, MSG_SESSION_CLOSE_REPLY, req->request_id);
            frame_string(&f, TAG_SESSION_ID, SESSION_ID);
            send_frame(conn, &f);
            return;
        default:
            return;
    }
}

// One login; returns 0, or the number of the phase that failed (1-5).
static int one_login(int* rc) {
    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t* pamh = NULL;
    if ((*rc = pam_start("login", MANAGED_USER, &conv, &pamh)) != PAM_SUCCESS) return 1;
    int phase = 0;
    if ((*rc = pam_acct_mgmt(pamh, 0)) != PAM_SUCCESS)
        phase = 2;
    else if ((*rc = pam_open_session(pamh, 0)) != PAM_SUCCESS)
        phase = 3;
    else if ((*rc = pam_close_session(pamh, 0)) != PAM_SUCCESS)
        phase = 4;
    int end_rc = pam_end(pamh, phase ? *rc : PAM_SUCCESS);
    if (!phase && end_rc != PAM_SUCCESS) {
        *rc = end_rc;
        phase = 5;
    }
    return phase;
}

static void ten_thousand_logins_keep_the_descriptor_count_flat(void** state) {
    static const char* phases[] = {
        "", "pam_start", "pam_acct_mgmt", "pam_open_session", "pam_close_session", "pam_end"};
    struct fake_server* s = serve(state, reply_login);
    // The front (pam_jit.so) stays loaded once libpam has loaded it (it is
    // linked -z nodelete); it loads the core (pam_jit_core.so, beside it) for
    // each managed login and unloads it at pam_end.  Held here, both stay
    // mapped, so what they leak or leave open shows up across cycles, and
    // valgrind does not re-read the core 10,000 times (front.c shows that
    // pam_end unloads it).
    char core[PATH_MAX];
    snprintf(core, sizeof core, "%s", H.module);
    strcpy(strrchr(core, '/'), "/pam_jit_core.so");
    void* held = dlopen(H.module, RTLD_NOW | RTLD_NODELETE);
    if (!held) fail_msg("cannot load %s: %s", H.module, dlerror());
    void* held_core = dlopen(core, RTLD_NOW | RTLD_NODELETE);
    if (!held_core) fail_msg("cannot load %s: %s", core, dlerror());
    const int before = count_open_fds();
    for (int i = 0; i < CYCLES; ++i) {
        int rc = 0, phase = one_login(&rc);
        if (phase) fail_msg("login %d: %s gave %s (%d)", i, phases[phase], pam_code_name(rc), rc);
        if (i % FD_SAMPLE_EVERY == 0 && count_open_fds() != before)
            fail_msg("login %d: %d descriptors open, %d before the first", i, count_open_fds(),
                     before);
    }
    const int after = count_open_fds();
    print_message("%d logins: %d descriptors open before, %d after\n", CYCLES, before, after);
    assert_int_equal(after, before);
    // Every phase reached the server: a check, an open and a close per login.
    assert_true(server_wait_finished(s, 3 * CYCLES, 5000));
    assert_int_equal(server_requests(s), 3 * CYCLES);
}

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(ten_thousand_logins_keep_the_descriptor_count_flat),
    };
    int failed = cmocka_run_group_tests_name("pam_jit over 10,000 logins", tests, NULL, NULL);
    harness_finish();
    return failed;
}
