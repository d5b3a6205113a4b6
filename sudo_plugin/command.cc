#include "command.h"

#include <errno.h>
#include <string.h>

#include "jit/guest_args.h"
#include "jit/wire.h"

namespace jit::sudo {

namespace {

using proto::FieldTag;

const char* or_empty(const char* s) {
    return s ? s : "";
}

// sudo's options that take the next word as their argument (sudo(8); the
// short ones from its getopt string, the long ones from its option table).
bool takes_argument(const char* word) {
    static const char kShort[] = "aCcDgpRrTtUu";
    if (word[1] != '-') {
        // "-Eu": the last letter decides, unless the argument is attached.
        size_t n = strlen(word);
        for (size_t i = 1; i < n; ++i)
            if (strchr(kShort, word[i])) return i == n - 1;
        return false;
    }
    static const char* const kLong[] = {"close-from", "login-class",     "chdir",      "group",
                                        "host",       "prompt",          "chroot",     "role",
                                        "type",       "command-timeout", "other-user", "user"};
    if (strchr(word, '=')) return false;
    for (const char* name : kLong)
        if (strcmp(word + 2, name) == 0) return true;
    return false;
}

// The variables a sudo command line sets: "NAME=value" words among the
// options (sudo consumes them there, before submit_optind) and the names of
// --preserve-env=LIST.  Calls add(name) for each; false when add refuses.
template <typename Add>
bool each_env_change(char* const* argv, int optind, Add add) {
    bool argument_next = false;
    for (int i = 1; i < optind && argv[i]; ++i) {
        const char* w = argv[i];
        if (argument_next) {
            argument_next = false;
            continue;
        }
        if (strcmp(w, "--") == 0) break;
        if (strncmp(w, "--preserve-env=", 15) == 0) {
            for (const char* p = w + 15; *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0 && !add(std::string_view(p, n))) return false;
                p += n + (p[n] == ',');
            }
            continue;
        }
        if (w[0] == '-') {
            argument_next = takes_argument(w);
            continue;
        }
        // sudo's own test for an assignment: not a path, and an '=' in it.
        const char* eq = strchr(w, '=');
        if (w[0] != '/' && eq && !add(std::string_view(w, size_t(eq - w)))) return false;
    }
    return true;
}

}  // namespace

const char* lookup(char* const* vec, const char* name) {
    if (!vec) return nullptr;
    size_t n = strlen(name);
    for (; *vec; ++vec)
        if (strncmp(*vec, name, n) == 0 && (*vec)[n] == '=') return *vec + n + 1;
    return nullptr;
}

bool flag(char* const* vec, const char* name) {
    const char* v = lookup(vec, name);
    return v && strcmp(v, "true") == 0;
}

Result<CommandInput> gather(const SudoContext& ctx, char* const* command_info,
                            char* const* run_argv) {
    CommandInput in;
    in.user = or_empty(lookup(ctx.user_info, "user"));
    in.tty = or_empty(lookup(ctx.user_info, "tty"));
    in.command = or_empty(lookup(command_info, "command"));
    in.runas_user = or_empty(lookup(command_info, "runas_user"));
    in.runas_group = or_empty(lookup(command_info, "runas_group"));
    in.cwd = or_empty(lookup(command_info, "cwd"));
    in.argv = run_argv;
    in.preserve_env = flag(ctx.settings, "preserve_environment");
    in.shell_mode = flag(ctx.settings, "run_shell") || flag(ctx.settings, "login_shell");
    in.sudoedit = flag(command_info, "sudoedit") || flag(ctx.settings, "sudoedit");
    in.submit_argv = ctx.submit_argv;
    in.submit_optind = ctx.submit_optind;
    if (!*in.user) return make_error(EINVAL, "sudo did not name the invoking user");
    if (in.command[0] != '/')
        return make_error(EINVAL, "sudo did not give an absolute command path");
    if (!*in.runas_user) return make_error(EINVAL, "sudo did not say whom the command runs as");
    return in;
}

Result<size_t> encode_command_check(const CommandInput& in, uint8_t* buf, size_t cap) {
    wire::FrameWriter w(buf, cap, proto::MsgType::CommandCheckRequest, guest::request_id());
    w.add_string(FieldTag::User, in.user);
    w.add_string(FieldTag::Service, "sudo");
    w.add_string(FieldTag::Command, in.command);
    uint32_t args = 0;
    // argv[0] is whatever name the command was invoked by; jitd matches the path.
    for (char* const* a = in.argv && in.argv[0] ? in.argv + 1 : nullptr; a && *a; ++a) {
        if (++args > proto::kMaxArgs) return make_error(EMSGSIZE, "too many arguments for jitd");
        w.add_string(FieldTag::Arg, *a);
    }
    w.add_string(FieldTag::RunasUser, in.runas_user);
    if (*in.runas_group) w.add_string(FieldTag::RunasGroup, in.runas_group);
    if (*in.cwd) w.add_string(FieldTag::Cwd, in.cwd);
    if (*in.tty) w.add_string(FieldTag::Tty, in.tty);
    uint32_t names = 0;
    bool fits = !in.submit_argv ||
                each_env_change(in.submit_argv, in.submit_optind, [&](std::string_view name) {
                    if (++names > proto::kMaxEnvSet) return false;
                    w.add_string(FieldTag::EnvSet, name);
                    return true;
                });
    if (!fits) return make_error(EMSGSIZE, "too many variables set");
    if (in.preserve_env) w.add_bool(FieldTag::PreserveEnv, true);
    if (in.shell_mode) w.add_bool(FieldTag::ShellMode, true);
    if (in.sudoedit) w.add_bool(FieldTag::Sudoedit, true);
    return w.finish();
}

}  // namespace jit::sudo
