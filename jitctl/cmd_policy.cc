#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon/policy/policy.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"

namespace jit::ctl {

namespace {

constexpr const char* kDefaultDir = "/etc/jit/policy.d";

std::string rule_line(const daemon::Rule& r) {
    std::string services;
    for (const auto& s : r.services) services += (services.empty() ? "" : ",") + s;
    std::string what = r.is_implicit()
                           ? "implicit " + format_duration(int64_t(*r.implicit)) +
                                 (r.implicit_per_window
                                      ? ", " + std::to_string(r.implicit_per_window) + " per window"
                                      : "")
                           : "approval " + r.approval.describe() + ", " +
                                 format_duration(int64_t(r.min_duration)) + ".." +
                                 format_duration(int64_t(r.max_duration));
    return r.name + " (" + r.origin() + "): " + r.accounts.describe() + " on " + services +
           " from " + r.from.describe() + (r.schedule ? ", " + r.schedule->describe() : "") + ", " +
           what;
}

int run_policy(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("policy"), g, argc, argv, opts, "+h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("policy", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    int rest = argc - optind;
    if (rest < 1 || strcmp(argv[optind], "check") != 0 || rest > 2)
        return usage_error("policy", "expects: check [DIR]");
    std::string dir = rest == 2 ? argv[optind + 1] : kDefaultDir;
    auto set = daemon::load_policy_dir(dir, daemon::PolicyOptions{});
    if (!set && set.error().code == EACCES) {
        // Closed by default (root and jitd's admin group): say so, rather
        // than pass the bare system error off as a policy error.
        fprintf(stderr,
                "jitctl: you may not read the policy (%s: permission denied): it is for root "
                "and jitd's admin group only; `jitctl explain` asks jitd what it allows\n",
                escape_text(set.error().place.file).c_str());
        return kExitPermission;
    }
    if (!set) {
        fprintf(stderr, "jitctl: %s\n", escape_text(set.error().to_string()).c_str());
        return kExitDenied;
    }
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("dir").value(dir).key("valid").value(true).key("rules").begin_array();
        for (const auto& r : set->rules) {
            w.begin_object().key("name").value(r.name).key("origin").value(r.origin());
            w.key("kind").value(r.is_implicit() ? "implicit" : "request").end_object();
        }
        w.end_array().end_object();
        printf("%s\n", w.str().c_str());
        return kExitOk;
    }
    printf("%s: %zu rule(s) in %zu file(s), valid\n", dir.c_str(), set->rules.size(),
           set->files.size());
    for (const auto& r : set->rules) printf("  %s\n", escape_text(rule_line(r)).c_str());
    return kExitOk;
}

}  // namespace

extern const Command kPolicyCommand{
    "policy", "check policy files without a daemon",
    "Usage: jitctl policy check [DIR]\n\n"
    "Reads DIR (default /etc/jit/policy.d) with the parser jitd uses and\n"
    "reports the first error as FILE:LINE: KEY: MESSAGE, or the rules.\n"
    "It reads with your own rights: the packaged directory is readable by\n"
    "root and jitd's admin group only.\n"
    "Exit status: 0 valid, 1 invalid, 2 usage, 4 not permitted to read.\n",
    run_policy};

}  // namespace jit::ctl
