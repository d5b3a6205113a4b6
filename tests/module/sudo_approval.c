// jit_sudo.so, the sudo approval plugin, driven the way sudo drives it:
// dlopen, the exported struct approval_plugin, then open, check and close
// with the vectors sudo(8) passes, against fake jitd servers.  Unmanaged
// accounts and root pass without a word to jitd; a managed account runs a
// command only on a complete, well-formed allow; everything else refuses.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sudo_plugin.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "measure.h"

#define MANAGED "deploy"
#define UNMANAGED "alice"
#define FAST_MS 2500

static struct {
    char dir[64];
    char socket_path[108];
    char plugin_path[PATH_MAX];
    void* handle;
    struct approval_plugin* plugin;
    char uid_opt[64], sock_opt[160];
    char printed[2048];  // what the plugin showed the user
} H;

// ---- sudo's side ----
static int capture_printf(int msg_type, const char* fmt, ...) {
    (void)msg_type;
    size_t used = strlen(H.printed);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(H.printed + used, sizeof H.printed - used, fmt, ap);
    va_end(ap);
    return n;
}

// One sudo invocation, as vectors.  NULL-terminated arrays throughout.
struct invocation {
    const char* user;             // user_info user=
    const char* const* options;   // sudo.conf words after the path; NULL: the default line
    const char* const* submit;    // sudo's argv, options included
    int optind;                   // where sudo's options end in submit
    const char* const* settings;  // extra settings (preserve_environment=true, ...)
    const char* const* info;      // command_info; NULL: a default one
    const char* const* run_argv;  // NULL: {"systemctl", "restart", "web.service"}
};

struct outcome {
    int open_rc, check_rc;
    const char* errstr;
    long long elapsed_ms;
    int fds_before, fds_after;
};

static const char* const kDefaultInfo[] = {"command=/usr/bin/systemctl", "runas_user=root",
                                           "runas_uid=0", "cwd=/srv/web", NULL};
static const char* const kDefaultArgv[] = {"systemctl", "restart", "web.service", NULL};
static const char* const kDefaultSubmit[] = {"sudo", "systemctl", "restart", "web.service", NULL};

static struct outcome run_sudo(const struct invocation* in) {
    const char* default_options[] = {H.sock_opt, H.uid_opt, "timeout_ms=5000",
                                     "managed_users=" MANAGED, NULL};
    char user_kv[128];
    snprintf(user_kv, sizeof user_kv, "user=%s", in->user ? in->user : MANAGED);
    const char* user_info[] = {user_kv, "uid=60501", "cwd=/home/deploy", "tty=/dev/pts/3", NULL};
    const char* no_settings[] = {NULL};
    const char* envp[] = {"PATH=/usr/bin:/bin", "HOME=/home/deploy", NULL};
    struct outcome o = {.open_rc = -99, .check_rc = -99};
    H.printed[0] = '\0';
    const char* err = NULL;
    o.open_rc = H.plugin->open(
        SUDO_API_VERSION, NULL, capture_printf,
        (char* const*)(in->settings ? in->settings : no_settings), (char* const*)user_info,
        in->submit ? in->optind : 1, (char* const*)(in->submit ? in->submit : kDefaultSubmit),
        (char* const*)envp, (char* const*)(in->options ? in->options : default_options), &err);
    if (o.open_rc != 1) return o;
    o.fds_before = count_open_fds();
    long long t0 = now_ms();
    o.check_rc = H.plugin->check((char* const*)(in->info ? in->info : kDefaultInfo),
                                 (char* const*)(in->run_argv ? in->run_argv : kDefaultArgv),
                                 (char* const*)envp, &err);
    o.elapsed_ms = now_ms() - t0;
    o.fds_after = count_open_fds();
    o.errstr = err;
    static char kept[512];  // errstr is valid until close(); keep a copy for the asserts
    snprintf(kept, sizeof kept, "%s", err ? err : "");
    o.errstr = kept;
    if (H.plugin->close) H.plugin->close();
    return o;
}

static struct outcome run_default(void) {
    struct invocation in = {0};
    return run_sudo(&in);
}

// ---- fixture ----
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

static void assert_untouched(const struct fake_server* s) {
    assert_int_equal(server_connections(s), 0);
    assert_false(server_has_pending_connection(s));
}

// A refusal that came from the reply itself, quickly, with no fd left behind.
static void assert_refused(struct outcome o) {
    assert_int_equal(o.open_rc, 1);
    assert_int_equal(o.check_rc, 0);
    assert_non_null(strstr(o.errstr, "jit: "));
    assert_non_null(strstr(H.printed, o.errstr));
    assert_int_equal(o.fds_before, o.fds_after);
    if (o.elapsed_ms >= FAST_MS) fail_msg("took %lld ms to refuse", o.elapsed_ms);
}

// ---- the plugin's shape ----
static void exports_an_approval_plugin_of_this_api(void** state) {
    (void)state;
    assert_int_equal(H.plugin->type, SUDO_APPROVAL_PLUGIN);
    assert_int_equal(SUDO_API_VERSION_GET_MAJOR(H.plugin->version), SUDO_API_VERSION_MAJOR);
    assert_non_null(H.plugin->open);
    assert_non_null(H.plugin->check);
    assert_non_null(H.plugin->show_version);
}

static void open_refuses_another_major_api(void** state) {
    (void)state;
    const char* err = NULL;
    const char* none[] = {NULL};
    int rc =
        H.plugin->open(SUDO_API_MKVERSION(2, 0), NULL, capture_printf, (char* const*)none,
                       (char* const*)none, 0, (char* const*)none, (char* const*)none, NULL, &err);
    assert_int_equal(rc, -1);
    assert_non_null(err);
    if (H.plugin->close) H.plugin->close();
}

static void check_without_open_is_an_error(void** state) {
    (void)state;
    const char* err = NULL;
    assert_int_equal(
        H.plugin->check((char* const*)kDefaultInfo, (char* const*)kDefaultArgv, NULL, &err), -1);
}

static void show_version_names_the_plugin(void** state) {
    (void)state;
    const char* err = NULL;
    const char* none[] = {NULL};
    H.printed[0] = '\0';
    assert_int_equal(
        H.plugin->open(SUDO_API_VERSION, NULL, capture_printf, (char* const*)none,
                       (char* const*)none, 0, (char* const*)none, (char* const*)none, NULL, &err),
        1);
    H.plugin->show_version(0);
    if (H.plugin->close) H.plugin->close();
    assert_non_null(strstr(H.printed, "jit_sudo"));
}

// ---- unmanaged accounts and root pass through ----
static void unmanaged_user_passes_without_contact(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    struct invocation in = {.user = UNMANAGED};
    struct outcome o = run_sudo(&in);
    assert_int_equal(o.check_rc, 1);
    assert_untouched(s);
}

static void name_prefix_is_not_managed(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    struct invocation in = {.user = "deploy2"};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    in.user = "deplo";
    assert_int_equal(run_sudo(&in).check_rc, 1);
    assert_untouched(s);
}

static void root_passes_even_when_named(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    const char* options[] = {H.sock_opt, H.uid_opt, "managed_users=root,deploy",
                             "managed_uids=0-4294967295", NULL};
    struct invocation in = {.user = "root", .options = options};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    assert_untouched(s);
}

static void root_passes_with_a_broken_sudo_conf_line(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    const char* options[] = {"managed_users=deploy", "no-such-option", NULL};
    struct invocation in = {.user = "root", .options = options};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    assert_untouched(s);
}

static void managed_by_uid_range_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    struct passwd* pw = getpwuid(getuid() == 0 ? 1 : getuid());  // daemon when we are root
    if (!pw) fail_msg("cannot look up a test account");
    char range[64];
    snprintf(range, sizeof range, "managed_uids=%u-%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
    const char* options[] = {H.sock_opt, H.uid_opt, range, NULL};
    struct invocation in = {.user = pw->pw_name, .options = options};
    assert_refused(run_sudo(&in));
    assert_int_equal(server_requests(s), 1);
    assert_string_equal(s->log->last.user.text, pw->pw_name);
}

// ---- managed: allowed, and what jitd is told ----
static void allow_in_force_runs_the_command(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    struct outcome o = run_default();
    assert_int_equal(o.check_rc, 1);
    assert_int_equal(o.fds_before, o.fds_after);
    assert_int_equal(server_requests(s), 1);
    assert_string_equal(H.printed, "");
}

static void request_names_resolved_path_argv_and_runas(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* info[] = {"command=/usr/bin/journalctl",
                          "runas_user=postgres",
                          "runas_group=adm",
                          "cwd=/var/tmp",
                          "runas_uid=107",
                          NULL};
    const char* argv[] = {"jc", "-u", "web.service", "--since", "-1h", NULL};
    struct invocation in = {.info = info, .run_argv = argv};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    const struct seen_request* q = &s->log->last;
    assert_true(q->complete);
    assert_int_equal(q->type, MSG_COMMAND_CHECK_REQUEST);
    assert_string_equal(q->user.text, MANAGED);
    assert_string_equal(q->service.text, "sudo");
    assert_string_equal(q->command.text, "/usr/bin/journalctl");
    // argv[0] is only the name it was invoked by: never sent, never matched.
    assert_int_equal(q->nargs, 4);
    assert_string_equal(q->args[0], "-u");
    assert_string_equal(q->args[1], "web.service");
    assert_string_equal(q->args[2], "--since");
    assert_string_equal(q->args[3], "-1h");
    assert_string_equal(q->runas_user.text, "postgres");
    assert_string_equal(q->runas_group.text, "adm");
    assert_string_equal(q->cwd.text, "/var/tmp");
    assert_string_equal(q->tty.text, "/dev/pts/3");
    assert_int_equal(q->nenv, 0);
    assert_int_equal(q->preserve_env, -1);
    assert_int_equal(q->shell_mode, -1);
    assert_int_equal(q->sudoedit, -1);
    assert_int_equal(q->other_fields + q->bad_fields, 0);
}

// Arguments are data: nothing in them is interpreted, split or expanded.
static void arguments_travel_verbatim(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* argv[] = {"systemctl", "restart", "web.service; rm -rf /", "$(id)", "",
                          "a b",       NULL};
    struct invocation in = {.run_argv = argv};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->nargs, 5);
    assert_string_equal(q->args[1], "web.service; rm -rf /");
    assert_string_equal(q->args[2], "$(id)");
    assert_string_equal(q->args[3], "");
    assert_string_equal(q->args[4], "a b");
}

static void environment_changes_are_reported(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    // sudo -E -u root FOO=1 --preserve-env=LANG,TZ -p a=b BAR=2 -- cmd
    const char* submit[] = {"sudo", "-E",  "-u",    "root", "FOO=1",     "--preserve-env=LANG,TZ",
                            "-p",   "a=b", "BAR=2", "--",   "systemctl", NULL};
    const char* settings[] = {"preserve_environment=true", NULL};
    struct invocation in = {.submit = submit, .optind = 10, .settings = settings};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    const struct seen_request* q = &s->log->last;
    assert_int_equal(q->preserve_env, 1);
    assert_int_equal(q->nenv, 4);  // "a=b" is -p's argument, not a variable
    assert_string_equal(q->env[0], "FOO");
    assert_string_equal(q->env[1], "LANG");
    assert_string_equal(q->env[2], "TZ");
    assert_string_equal(q->env[3], "BAR");
}

static void words_after_the_options_are_the_command(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* submit[] = {"sudo", "-u", "FOO=1", "/usr/bin/env", "X=1", NULL};
    struct invocation in = {.submit = submit, .optind = 3};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    assert_int_equal(s->log->last.nenv, 0);
}

static void shell_and_sudoedit_are_flagged(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* settings[] = {"run_shell=true", NULL};
    const char* info[] = {"command=/bin/bash", "runas_user=root", NULL};
    const char* argv[] = {"bash", "-c", "systemctl restart web.service", NULL};
    struct invocation in = {.settings = settings, .info = info, .run_argv = argv};
    assert_int_equal(run_sudo(&in).check_rc, 1);
    assert_int_equal(s->log->last.shell_mode, 1);
    assert_string_equal(s->log->last.command.text, "/bin/bash");

    const char* edit_info[] = {"command=/usr/bin/vi", "runas_user=root", "sudoedit=true", NULL};
    const char* edit_argv[] = {"vi", "--", "/etc/web.conf", NULL};
    struct invocation edit = {.info = edit_info, .run_argv = edit_argv};
    assert_int_equal(run_sudo(&edit).check_rc, 1);
    assert_int_equal(s->log->last.sudoedit, 1);
}

// ---- managed: refused ----
static void deny_refuses_and_says_why(void** state) {
    serve(state, reply_deny);
    struct outcome o = run_default();
    assert_refused(o);
    assert_non_null(strstr(o.errstr, "fake server"));  // jitd's reason reaches the user
}

static void missing_command_path_refuses_without_contact(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* info[] = {"runas_user=root", NULL};
    struct invocation in = {.info = info};
    assert_refused(run_sudo(&in));
    const char* relative[] = {"command=systemctl", "runas_user=root", NULL};
    in.info = relative;
    assert_refused(run_sudo(&in));
    const char* no_runas[] = {"command=/usr/bin/systemctl", NULL};
    in.info = no_runas;
    assert_refused(run_sudo(&in));
    assert_untouched(s);
}

static void missing_invoking_user_refuses(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    struct invocation in = {.user = ""};
    assert_refused(run_sudo(&in));
    assert_untouched(s);
}

static void broken_sudo_conf_line_refuses_everyone_but_root(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    const char* options[] = {H.sock_opt, "managed_users=deploy", "timeout_ms=abc", NULL};
    struct invocation in = {.options = options};
    struct outcome o = run_sudo(&in);
    assert_refused(o);
    assert_non_null(strstr(o.errstr, "timeout_ms=abc"));
    in.user = UNMANAGED;  // cannot be told apart while the line is broken
    assert_refused(run_sudo(&in));
    assert_untouched(s);
}

static void command_line_beyond_the_protocol_refuses(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    static const char* argv[400];
    argv[0] = "systemctl";
    for (int i = 1; i < 399; ++i) argv[i] = "x";
    argv[399] = NULL;
    struct invocation in = {.run_argv = argv};
    assert_refused(run_sudo(&in));
    assert_untouched(s);
}

// ---- jitd down or misbehaving ----
static void no_socket_refuses(void** state) {
    (void)state;
    unlink(H.socket_path);
    assert_refused(run_default());
}

static void stale_socket_refuses(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    server_kill(s);
    assert_refused(run_default());
}

static void silent_server_refuses_at_the_deadline(void** state) {
    serve(state, reply_never);
    const char* options[] = {H.sock_opt, H.uid_opt, "timeout_ms=300", "managed_users=" MANAGED,
                             NULL};
    struct invocation in = {.options = options};
    long long t0 = now_ms();
    struct outcome o = run_sudo(&in);
    long long took = now_ms() - t0;
    assert_int_equal(o.check_rc, 0);
    assert_true(took >= 250);
    if (took > 1500) fail_msg("one total deadline of 300 ms took %lld ms", took);
}

static void untrusted_server_uid_refuses(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    char other[64];
    snprintf(other, sizeof other, "server_uid=%u", getuid() == 65534 ? 65533u : 65534u);
    const char* options[] = {H.sock_opt, other, "managed_users=" MANAGED, NULL};
    struct invocation in = {.options = options};
    assert_refused(run_sudo(&in));
    assert_int_equal(server_requests(s), 0);
}

static void reply_allow_expired(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, time(NULL) - 1);
}
static void reply_allow_no_grant(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, NULL, time(NULL) + 3600);
}
static void reply_wrong_request_id(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id + 1, DECISION_ALLOW, GRANT_ID, time(NULL) + 3600);
}
static void reply_bad_magic(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "x");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    size_t n = frame_finish(&f);
    f.bytes[0] ^= 0xff;
    fake_send(conn, f.bytes, n);
}
static void reply_unknown_tag(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "x");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    frame_raw_field(&f, 999, KIND_STRING, 0, "x", 1);
    send_frame(conn, &f);
}
static void reply_wrong_type(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_LIST_REPLY, req->request_id);
    frame_i64(&f, TAG_NOW, time(NULL));
    send_frame(conn, &f);
}
static void reply_error(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_ERROR_REPLY, req->request_id);
    frame_u64(&f, TAG_ERROR_CODE, 13);
    frame_string(&f, TAG_MESSAGE, "policy says no");
    send_frame(conn, &f);
}
static void reply_truncated(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "x");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    fake_send(conn, f.bytes, frame_finish(&f) - 3);
}
static void reply_garbage(int conn, const struct seen_request* req) {
    (void)req;
    fake_send(conn, "HTTP/1.1 200 OK\r\n\r\nallow", 24);
}
static void reply_hang_up(int conn, const struct seen_request* req) {
    (void)conn;
    (void)req;
}

static void each_malformed_reply_refuses(void** state) {
    static const struct {
        const char* name;
        reply_fn fn;
    } cases[] = {
        {"allow already expired", reply_allow_expired},
        {"allow without a grant id", reply_allow_no_grant},
        {"another request id", reply_wrong_request_id},
        {"bad magic", reply_bad_magic},
        {"unknown tag", reply_unknown_tag},
        {"wrong message type", reply_wrong_type},
        {"error reply", reply_error},
        {"truncated frame", reply_truncated},
        {"not a frame at all", reply_garbage},
        {"hang up without a word", reply_hang_up},
    };
    struct fixture* fx = (struct fixture*)*state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        struct fake_server* s = serve(state, cases[i].fn);
        struct outcome o = run_default();
        if (o.check_rc != 0) fail_msg("%s: check returned %d", cases[i].name, o.check_rc);
        assert_refused(o);
        assert_int_equal(server_requests(s), 1);
        server_stop(&fx->server);
    }
}

static void error_reply_message_reaches_the_user(void** state) {
    serve(state, reply_error);
    struct outcome o = run_default();
    assert_refused(o);
    assert_non_null(strstr(o.errstr, "policy says no"));
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
    // RTLD_NOW: an unresolved symbol would otherwise surface inside sudo.
    H.handle = dlopen(H.plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!H.handle) {
        fprintf(stderr, "dlopen %s: %s\n", H.plugin_path, dlerror());
        exit(1);
    }
    H.plugin = (struct approval_plugin*)dlsym(H.handle, "jit_approval");
    if (!H.plugin) {
        fprintf(stderr, "jit_sudo.so has no jit_approval symbol\n");
        exit(1);
    }
}

int main(void) {
    const char* tmp = getenv("TMPDIR");
    snprintf(H.dir, sizeof H.dir, "%s/jsudo.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(H.dir)) return 1;
    snprintf(H.socket_path, sizeof H.socket_path, "%s/s", H.dir);
    snprintf(H.sock_opt, sizeof H.sock_opt, "socket=%s", H.socket_path);
    snprintf(H.uid_opt, sizeof H.uid_opt, "server_uid=%u", (unsigned)getuid());
    find_plugin();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exports_an_approval_plugin_of_this_api, setup, teardown),
        cmocka_unit_test_setup_teardown(open_refuses_another_major_api, setup, teardown),
        cmocka_unit_test_setup_teardown(check_without_open_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(show_version_names_the_plugin, setup, teardown),
        cmocka_unit_test_setup_teardown(unmanaged_user_passes_without_contact, setup, teardown),
        cmocka_unit_test_setup_teardown(name_prefix_is_not_managed, setup, teardown),
        cmocka_unit_test_setup_teardown(root_passes_even_when_named, setup, teardown),
        cmocka_unit_test_setup_teardown(root_passes_with_a_broken_sudo_conf_line, setup, teardown),
        cmocka_unit_test_setup_teardown(managed_by_uid_range_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(allow_in_force_runs_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(request_names_resolved_path_argv_and_runas, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(arguments_travel_verbatim, setup, teardown),
        cmocka_unit_test_setup_teardown(environment_changes_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(words_after_the_options_are_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_and_sudoedit_are_flagged, setup, teardown),
        cmocka_unit_test_setup_teardown(deny_refuses_and_says_why, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_command_path_refuses_without_contact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(missing_invoking_user_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_sudo_conf_line_refuses_everyone_but_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(command_line_beyond_the_protocol_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(no_socket_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_socket_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_server_refuses_at_the_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(untrusted_server_uid_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(each_malformed_reply_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(error_reply_message_reaches_the_user, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(H.dir);
    return failed;
}
