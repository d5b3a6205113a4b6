// jit_sudo.so's audit plugin, jit_audit, driven the way sudo 1.9 drives it
// around the approval plugin in the same file: audit open; the policy's
// accept; approval open, check, the approval's accept or reject, approval
// close; the front end's accept; the command runs; audit close with how it
// ended.  Against fake jitd servers.  jit_audit only records: whatever jitd
// does, every hook returns 1 (anything else would make sudo refuse or fail
// the command), close returns within the deadline, a lost record is a
// warning on stderr, and no fd is left behind.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sudo_plugin.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "measure.h"

#define MANAGED "deploy"
#define UNMANAGED "alice"
#define NOT_RECORDED "jit: exit status not recorded"

static struct {
    char dir[64];
    char socket_path[108];
    char plugin_path[PATH_MAX];
    void* handle;
    struct approval_plugin* approval;
    struct audit_plugin* audit;
    char uid_opt[64], sock_opt[160];
    char printed[2048];  // what either plugin showed the user
} H;

static int capture_printf(int msg_type, const char* fmt, ...) {
    (void)msg_type;
    size_t used = strlen(H.printed);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(H.printed + used, sizeof H.printed - used, fmt, ap);
    va_end(ap);
    return n;
}

// One sudo run.  NULL members take the defaults below.
struct run {
    const char* user;                     // user_info user=
    const char* const* audit_options;     // the jit_audit line's words
    const char* const* approval_options;  // the jit_approval line's words
    unsigned int audit_version;           // 0: SUDO_API_VERSION
    const char* const* info;              // command_info
    const char* const* argv;              // run_argv
    int policy_rejects;                   // sudoers says no: no approval, no front end
    int front_end_fails;                  // sudo errs after approval (audit error, SUDO_ERROR)
    int status_type, status;              // audit close()
    struct fake_server* dies;             // killed while the command runs
};

// What each hook returned, and what the run left behind.
struct outcome {
    int open_rc, policy_accept_rc, approval_rc, approval_audit_rc, front_end_rc;
    long long close_ms;
    int fds_before, fds_after;
};

static const char* const kInfo[] = {"command=/usr/bin/systemctl", "runas_user=root", "runas_uid=0",
                                    "cwd=/srv/web", NULL};
static const char* const kArgv[] = {"systemctl", "restart", "web.service", NULL};
static const char* const kSubmit[] = {"sudo", "systemctl", "restart", "web.service", NULL};

static struct outcome sudo_run(const struct run* r) {
    const char* default_options[] = {H.sock_opt, H.uid_opt, "timeout_ms=5000",
                                     "managed_users=" MANAGED, NULL};
    const char* const* options = r->audit_options ? r->audit_options : default_options;
    const char* const* approval_options = r->approval_options ? r->approval_options : options;
    char user_kv[128];
    snprintf(user_kv, sizeof user_kv, "user=%s", r->user ? r->user : MANAGED);
    const char* user_info[] = {user_kv, "uid=60501", "cwd=/home/deploy", "tty=/dev/pts/3", NULL};
    const char* settings[] = {NULL};
    const char* envp[] = {"PATH=/usr/bin:/bin", NULL};
    char* const* info = (char* const*)(r->info ? r->info : kInfo);
    char* const* argv = (char* const*)(r->argv ? r->argv : kArgv);
    struct outcome o = {-99, -99, -99, -99, -99, 0, 0, 0};
    const char* err = NULL;
    H.printed[0] = '\0';
    o.fds_before = count_open_fds();

    o.open_rc =
        H.audit->open(r->audit_version ? r->audit_version : SUDO_API_VERSION, NULL, capture_printf,
                      (char* const*)settings, (char* const*)user_info, 1, (char* const*)kSubmit,
                      (char* const*)envp, (char* const*)options, &err);
    if (r->policy_rejects) {
        o.policy_accept_rc =
            H.audit->reject("sudoers", SUDO_POLICY_PLUGIN, "command not allowed", info, &err);
    } else {
        o.policy_accept_rc =
            H.audit->accept("sudoers", SUDO_POLICY_PLUGIN, info, argv, (char* const*)envp, &err);
        // The approval plugin: open, check, its audit event, close.
        if (H.approval->open(SUDO_API_VERSION, NULL, capture_printf, (char* const*)settings,
                             (char* const*)user_info, 1, (char* const*)kSubmit, (char* const*)envp,
                             (char* const*)approval_options, &err) != 1)
            fail_msg("the approval plugin did not open");
        const char* why = NULL;
        o.approval_rc = H.approval->check(info, argv, (char* const*)envp, &why);
        if (o.approval_rc == 1)
            o.approval_audit_rc = H.audit->accept("jit_approval", SUDO_APPROVAL_PLUGIN, info, argv,
                                                  (char* const*)envp, &err);
        else
            o.approval_audit_rc = H.audit->reject("jit_approval", SUDO_APPROVAL_PLUGIN,
                                                  why ? why : "rejected", info, &err);
        if (H.approval->close) H.approval->close();
        if (o.approval_rc == 1 && r->front_end_fails)
            o.front_end_rc = H.audit->error("sudo", SUDO_FRONT_END, "unable to run", info, &err);
        else if (o.approval_rc == 1)
            o.front_end_rc =
                H.audit->accept("sudo", SUDO_FRONT_END, info, argv, (char* const*)envp, &err);
    }
    if (r->dies) server_kill(r->dies);
    long long t0 = now_ms();
    H.audit->close(r->status_type, r->status);
    o.close_ms = now_ms() - t0;
    // Killing the server closed the harness's own copy of its listening socket.
    o.fds_after = count_open_fds() + (r->dies ? 1 : 0);
    return o;
}

// Every hook that ran returned 1 and nothing was left open.
static void assert_quiet_hooks(struct outcome o) {
    assert_int_equal(o.open_rc, 1);
    assert_int_equal(o.policy_accept_rc, 1);
    if (o.approval_audit_rc != -99) assert_int_equal(o.approval_audit_rc, 1);
    if (o.front_end_rc != -99) assert_int_equal(o.front_end_rc, 1);
    assert_int_equal(o.fds_before, o.fds_after);
}

// An approved command that ran and ended with status_type/status.
static struct outcome ran_and_ended(int status_type, int status) {
    struct run r = {.status_type = status_type, .status = status};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_int_equal(o.front_end_rc, 1);
    assert_quiet_hooks(o);
    return o;
}

// ---- fixture and fake jitd ----
struct fixture {
    struct fake_server server;
};

static int setup(void** state) {
    static struct fixture fx;
    memset(&fx, 0, sizeof fx);
    fx.server.pid = -1;
    fx.server.listen_fd = -1;
    *state = &fx;
    return 0;
}

static int teardown(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    server_stop(&fx->server);
    unlink(H.socket_path);
    return 0;
}

static struct fake_server* serve(void** state, reply_fn reply) {
    struct fixture* fx = (struct fixture*)*state;
    if (server_start(&fx->server, H.socket_path, reply) != 0) fail_msg("cannot start fake server");
    return &fx->server;
}

static void send_exit_reply(int conn, uint32_t request_id) {
    static struct frame f;
    frame_begin(&f, MSG_COMMAND_EXIT_REPLY, request_id);
    send_frame(conn, &f);
}

// jitd as it is: allows the command, takes the record.
static void reply_jitd(int conn, const struct seen_request* req) {
    if (req->type == MSG_COMMAND_EXIT_REQUEST)
        send_exit_reply(conn, req->request_id);
    else
        reply_allow(conn, req);
}

// jitd that allows the command and then misbehaves at the exit record.
static void exit_garbage(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    fake_send(conn, "HTTP/1.1 200 OK\r\n\r\nok", 21);
}
static void exit_hang_up(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) reply_allow(conn, req);
}
static void exit_silent(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    reply_never(conn, req);
}
static void exit_wrong_type(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    reply_allow(conn, req);  // a CHECK_REPLY where the empty COMMAND_EXIT_REPLY belongs
}
static void exit_error_reply(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    static struct frame f;
    frame_begin(&f, MSG_ERROR_REPLY, req->request_id);
    frame_u64(&f, TAG_ERROR_CODE, 5);
    frame_string(&f, TAG_MESSAGE, "journal is full");
    send_frame(conn, &f);
}
static void exit_other_request_id(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    send_exit_reply(conn, req->request_id + 1);
}
static void exit_truncated(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    static struct frame f;
    frame_begin(&f, MSG_COMMAND_EXIT_REPLY, req->request_id);
    fake_send(conn, f.bytes, frame_finish(&f) - 5);
}
static void exit_unknown_tag(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    static struct frame f;
    frame_begin(&f, MSG_COMMAND_EXIT_REPLY, req->request_id);
    frame_raw_field(&f, 999, KIND_STRING, 0, "x", 1);
    send_frame(conn, &f);
}
static void exit_lying_length(int conn, const struct seen_request* req) {
    if (req->type != MSG_COMMAND_EXIT_REQUEST) return reply_allow(conn, req);
    static struct frame f;
    frame_begin(&f, MSG_COMMAND_EXIT_REPLY, req->request_id);
    size_t n = frame_finish(&f);
    frame_set_body_len(&f, 0xffffffffu);
    fake_send(conn, f.bytes, n);
}

// ---- the plugin's shape ----
static void exports_an_audit_plugin_of_this_api(void** state) {
    (void)state;
    assert_int_equal(H.audit->type, SUDO_AUDIT_PLUGIN);
    assert_int_equal(SUDO_API_VERSION_GET_MAJOR(H.audit->version), SUDO_API_VERSION_MAJOR);
    assert_non_null(H.audit->open);
    assert_non_null(H.audit->close);
    assert_non_null(H.audit->accept);
    assert_non_null(H.audit->reject);
    assert_non_null(H.audit->error);
    assert_non_null(H.audit->show_version);
}

static void show_version_names_the_audit_plugin(void** state) {
    (void)state;
    const char* err = NULL;
    const char* none[] = {NULL};
    H.printed[0] = '\0';
    assert_int_equal(
        H.audit->open(SUDO_API_VERSION, NULL, capture_printf, (char* const*)none,
                      (char* const*)none, 0, (char* const*)none, (char* const*)none, NULL, &err),
        1);
    assert_int_equal(H.audit->show_version(0), 1);
    H.audit->close(SUDO_PLUGIN_NO_STATUS, 0);
    assert_non_null(strstr(H.printed, "jit_sudo audit plugin"));
}

// ---- what the record says ----
static void exit_status_is_recorded_with_the_command_and_grant(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, 3 << 8);  // exit(3)
    assert_true(server_wait_finished(s, 2, 2000));
    assert_int_equal(server_requests(s), 2);  // the check, then the record
    const struct seen_request* q = &s->log->last;
    assert_true(q->complete);
    assert_int_equal(q->type, MSG_COMMAND_EXIT_REQUEST);
    assert_string_equal(q->user.text, MANAGED);
    assert_string_equal(q->service.text, "sudo");
    assert_string_equal(q->command.text, "/usr/bin/systemctl");
    assert_int_equal(q->nargs, 2);  // argv[0] is not sent, as in the check
    assert_string_equal(q->args[0], "restart");
    assert_string_equal(q->args[1], "web.service");
    assert_string_equal(q->runas_user.text, "root");
    assert_int_equal(q->runas_group.count, 0);
    assert_string_equal(q->grant_id.text, GRANT_ID);  // the grant jitd allowed it under
    assert_int_equal(q->exit_status, 3);
    assert_int_equal(q->exit_signal, -1);
    assert_int_equal(q->core_dumped, -1);
    assert_int_equal(q->exec_error, -1);
    assert_int_equal(q->other_fields + q->bad_fields, 0);
    assert_string_equal(H.printed, "");
}

static void exit_status_zero_is_recorded(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, 0);
    assert_int_equal(server_requests(s), 2);
    assert_int_equal(s->log->last.type, MSG_COMMAND_EXIT_REQUEST);
    assert_int_equal(s->log->last.exit_status, 0);
    assert_int_equal(s->log->last.exit_signal, -1);
}

static void runas_group_is_recorded(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    const char* info[] = {"command=/usr/bin/journalctl", "runas_user=postgres", "runas_group=adm",
                          NULL};
    const char* argv[] = {"journalctl", "-u", "web.service", NULL};
    struct run r = {.info = info, .argv = argv, .status_type = SUDO_PLUGIN_WAIT_STATUS};
    assert_quiet_hooks(sudo_run(&r));
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->type, MSG_COMMAND_EXIT_REQUEST);
    assert_string_equal(q->command.text, "/usr/bin/journalctl");
    assert_string_equal(q->runas_user.text, "postgres");
    assert_string_equal(q->runas_group.text, "adm");
}

static void signal_is_recorded(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, SIGTERM);  // killed by SIGTERM, no core
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->type, MSG_COMMAND_EXIT_REQUEST);
    assert_int_equal(q->exit_signal, SIGTERM);
    assert_int_equal(q->core_dumped, -1);
    assert_int_equal(q->exit_status, -1);
    assert_int_equal(q->exec_error, -1);
    assert_string_equal(q->grant_id.text, GRANT_ID);
}

static void signal_with_core_dump_is_recorded(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, SIGSEGV | 0x80);  // WCOREDUMP
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->exit_signal, SIGSEGV);
    assert_int_equal(q->core_dumped, 1);
    assert_int_equal(q->exit_status, -1);
}

static void exec_error_is_recorded(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_EXEC_ERROR, ENOENT);
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->type, MSG_COMMAND_EXIT_REQUEST);
    assert_int_equal(q->exec_error, ENOENT);
    assert_int_equal(q->exit_status, -1);
    assert_int_equal(q->exit_signal, -1);
    assert_string_equal(q->grant_id.text, GRANT_ID);
}

// ---- when there is nothing to record ----
static void refused_command_has_no_record(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    struct run r = {.status_type = SUDO_PLUGIN_NO_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 0);
    assert_quiet_hooks(o);
    assert_int_equal(server_requests(s), 1);  // the check only
    assert_null(strstr(H.printed, NOT_RECORDED));
}

static void policy_refusal_has_no_record(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    struct run r = {.policy_rejects = 1, .status_type = SUDO_PLUGIN_NO_STATUS};
    assert_quiet_hooks(sudo_run(&r));
    assert_int_equal(server_connections(s), 0);
    assert_string_equal(H.printed, "");
}

// sudo's front end failed after the approval (audit error, SUDO_ERROR):
// nothing ran, so nothing is recorded.
static void sudo_error_after_approval_has_no_record(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    struct run r = {.front_end_fails = 1, .status_type = SUDO_PLUGIN_SUDO_ERROR, .status = EIO};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_int_equal(o.front_end_rc, 1);  // the error hook answered 1 too
    assert_quiet_hooks(o);
    assert_int_equal(server_requests(s), 1);
    assert_string_equal(H.printed, "");
}

static void no_status_has_no_record(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_NO_STATUS, 0);
    assert_int_equal(server_requests(s), 1);
    assert_string_equal(H.printed, "");
}

// One record per approved run: a later run in the same process that jitd
// was not asked about (an unmanaged account, root) sends nothing.
static void record_is_not_reused_by_the_next_run(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, 0);
    assert_int_equal(server_requests(s), 2);
    struct run r = {.user = UNMANAGED, .status_type = SUDO_PLUGIN_WAIT_STATUS};
    assert_quiet_hooks(sudo_run(&r));
    r.user = "root";
    assert_quiet_hooks(sudo_run(&r));
    assert_int_equal(server_requests(s), 2);
    assert_int_equal(server_connections(s), 2);
}

// ---- jitd down or misbehaving: a warning, never a changed result ----
// jitd dies while the command runs: the record finds a stale socket.
static void jitd_gone_at_exit_warns_only(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    struct run r = {.status_type = SUDO_PLUGIN_WAIT_STATUS, .status = 7 << 8, .dies = s};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_int_equal(o.front_end_rc, 1);
    assert_quiet_hooks(o);
    assert_non_null(strstr(H.printed, NOT_RECORDED));
}

static void no_socket_at_exit_warns_only(void** state) {
    (void)state;
    unlink(H.socket_path);
    // No jitd at all: an unmanaged run is untouched, a managed one refused
    // by the approval half, so neither has a record to lose.
    struct run r = {.status_type = SUDO_PLUGIN_WAIT_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 0);
    assert_quiet_hooks(o);
    assert_null(strstr(H.printed, NOT_RECORDED));
}

static void each_bad_exit_reply_warns_only(void** state) {
    static const struct {
        const char* name;
        reply_fn fn;
    } cases[] = {
        {"not a frame at all", exit_garbage},
        {"hang up without a word", exit_hang_up},
        {"a CHECK_REPLY instead", exit_wrong_type},
        {"an error reply", exit_error_reply},
        {"another request id", exit_other_request_id},
        {"truncated frame", exit_truncated},
        {"unknown tag", exit_unknown_tag},
        {"a body length past any frame", exit_lying_length},
    };
    struct fixture* fx = (struct fixture*)*state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        struct fake_server* s = serve(state, cases[i].fn);
        struct outcome o = ran_and_ended(SUDO_PLUGIN_WAIT_STATUS, 1 << 8);
        if (!strstr(H.printed, NOT_RECORDED))
            fail_msg("%s: no warning (printed: '%s')", cases[i].name, H.printed);
        if (o.close_ms >= 2500) fail_msg("%s: close took %lld ms", cases[i].name, o.close_ms);
        assert_int_equal(server_requests(s), 2);
        assert_int_equal(s->log->last.type, MSG_COMMAND_EXIT_REQUEST);
        server_stop(&fx->server);
    }
}

static void silent_jitd_at_exit_costs_one_deadline(void** state) {
    serve(state, exit_silent);
    const char* options[] = {H.sock_opt, H.uid_opt, "timeout_ms=300", "managed_users=" MANAGED,
                             NULL};
    struct run r = {.audit_options = options, .status_type = SUDO_PLUGIN_WAIT_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_quiet_hooks(o);
    assert_true(o.close_ms >= 250);
    if (o.close_ms > 1500) fail_msg("close took %lld ms with a 300 ms deadline", o.close_ms);
    assert_non_null(strstr(H.printed, NOT_RECORDED));
}

// The approval line trusts the server; the audit line names another uid.
static void untrusted_server_uid_gets_no_record(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    char other[64];
    snprintf(other, sizeof other, "server_uid=%u", getuid() == 65534 ? 65533u : 65534u);
    const char* approval[] = {H.sock_opt, H.uid_opt, "managed_users=" MANAGED, NULL};
    const char* audit[] = {H.sock_opt, other, "managed_users=" MANAGED, NULL};
    struct run r = {.audit_options = audit,
                    .approval_options = approval,
                    .status_type = SUDO_PLUGIN_WAIT_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_quiet_hooks(o);
    assert_int_equal(server_requests(s), 1);  // the check; the record was never sent
    assert_non_null(strstr(H.printed, NOT_RECORDED));
}

// A jit_audit line sudo.conf got wrong: sudo still runs the command (the
// hooks answer 1), and the lost record is said, naming the word.
static void bad_audit_option_warns_and_never_fails(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    const char* audit[] = {H.sock_opt, H.uid_opt, "managed_users=" MANAGED, "timeout_ms=abc", NULL};
    const char* approval[] = {H.sock_opt, H.uid_opt, "managed_users=" MANAGED, NULL};
    struct run r = {.audit_options = audit,
                    .approval_options = approval,
                    .status_type = SUDO_PLUGIN_WAIT_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.approval_rc, 1);
    assert_quiet_hooks(o);
    assert_int_equal(server_requests(s), 1);
    assert_non_null(strstr(H.printed, NOT_RECORDED));
    assert_non_null(strstr(H.printed, "timeout_ms=abc"));
}

static void another_major_api_stays_idle(void** state) {
    struct fake_server* s = serve(state, reply_jitd);
    struct run r = {.audit_version = SUDO_API_MKVERSION(2, 0),
                    .status_type = SUDO_PLUGIN_WAIT_STATUS};
    struct outcome o = sudo_run(&r);
    assert_int_equal(o.open_rc, 1);  // an audit plugin that fails to open stops sudo
    assert_quiet_hooks(o);
    assert_int_equal(server_requests(s), 1);  // the approval's check only
    assert_non_null(strstr(H.printed, NOT_RECORDED));
    assert_non_null(strstr(H.printed, "another major sudo plugin API"));
}

// ---- boot ----
static void find_plugin(void) {
    const char* given = getenv("JIT_SUDO_PLUGIN");
    char exe[PATH_MAX], guess[PATH_MAX + 32];
    if (!given) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) exit(1);
        exe[n] = '\0';
        *strrchr(exe, '/') = '\0';
        snprintf(guess, sizeof guess, "%s/../../jit_sudo.so", exe);
        given = guess;
    }
    if (!realpath(given, H.plugin_path)) {
        fprintf(stderr, "cannot find jit_sudo.so (set JIT_SUDO_PLUGIN)\n");
        exit(1);
    }
    H.handle = dlopen(H.plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!H.handle) {
        fprintf(stderr, "dlopen %s: %s\n", H.plugin_path, dlerror());
        exit(1);
    }
    H.approval = (struct approval_plugin*)dlsym(H.handle, "jit_approval");
    H.audit = (struct audit_plugin*)dlsym(H.handle, "jit_audit");
    if (!H.approval || !H.audit) {
        fprintf(stderr, "jit_sudo.so lacks jit_approval or jit_audit\n");
        exit(1);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const char* tmp = getenv("TMPDIR");
    snprintf(H.dir, sizeof H.dir, "%s/jaudit.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(H.dir)) return 1;
    snprintf(H.socket_path, sizeof H.socket_path, "%s/s", H.dir);
    snprintf(H.sock_opt, sizeof H.sock_opt, "socket=%s", H.socket_path);
    snprintf(H.uid_opt, sizeof H.uid_opt, "server_uid=%u", (unsigned)getuid());
    find_plugin();
    const struct CMUnitTest tests[] = {
        T(exports_an_audit_plugin_of_this_api),
        T(show_version_names_the_audit_plugin),
        T(exit_status_is_recorded_with_the_command_and_grant),
        T(exit_status_zero_is_recorded),
        T(runas_group_is_recorded),
        T(signal_is_recorded),
        T(signal_with_core_dump_is_recorded),
        T(exec_error_is_recorded),
        T(refused_command_has_no_record),
        T(policy_refusal_has_no_record),
        T(sudo_error_after_approval_has_no_record),
        T(no_status_has_no_record),
        T(record_is_not_reused_by_the_next_run),
        T(jitd_gone_at_exit_warns_only),
        T(no_socket_at_exit_warns_only),
        T(each_bad_exit_reply_warns_only),
        T(silent_jitd_at_exit_costs_one_deadline),
        T(untrusted_server_uid_gets_no_record),
        T(bad_audit_option_warns_and_never_fails),
        T(another_major_api_stays_idle),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(H.dir);
    return failed;
}
