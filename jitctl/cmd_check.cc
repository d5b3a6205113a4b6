#include "cli.h"

#include <stdio.h>
#include <time.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

int run_check(Globals g, int argc, char** argv) {
    static const option opts[] = {{"rhost", required_argument, nullptr, 'r'},
                                  {"tty", required_argument, nullptr, 't'},
                                  {"ruser", required_argument, nullptr, 'u'},
                                  JIT_COMMON_OPTIONS};
    msg::CheckRequest req;
    OptionParser p{*find_command("check"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'r')
            req.rhost = optarg;
        else if (c == 't')
            req.tty = optarg;
        else if (c == 'u')
            req.ruser = optarg;
        else if (c != 'h')
            return usage_error("check", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 2) return usage_error("check", "expects USER and SERVICE");
    req.user = argv[optind];
    req.service = argv[optind + 1];
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::CheckReply);
    if (!reply) return failed(reply.error());
    auto r = msg::decode_check_reply(reply->view);
    bool allow = r.decision == proto::Decision::Allow;
    int64_t now = int64_t(time(nullptr));
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("decision").value(allow ? "allow" : "deny");
        w.key("user").value(req.user).key("service").value(req.service);
        w.key("reason").value(r.reason).key("rule").value(r.rule);
        w.key("grant_id");
        if (r.grant_id.empty())
            w.null();
        else
            w.value(r.grant_id);
        w.key("not_after");
        if (r.not_after)
            w.value(format_iso8601(*r.not_after));
        else
            w.null();
        w.end_object();
        printf("%s\n", w.str().c_str());
    } else if (allow) {
        printf("allow: %s may use %s under grant %s until %s (%s)\n", escape_text(req.user).c_str(),
               escape_text(req.service).c_str(), escape_text(r.grant_id).c_str(),
               format_utc(r.not_after.value_or(0)).c_str(),
               format_relative(r.not_after.value_or(0), now).c_str());
    } else {
        printf("deny: %s may not use %s: %s\n", escape_text(req.user).c_str(),
               escape_text(req.service).c_str(), escape_text(r.reason).c_str());
    }
    return allow ? kExitOk : kExitDenied;
}

}  // namespace

extern const Command kCheckCommand{
    "check", "ask whether USER may use SERVICE now (as PAM would)",
    "Usage: jitctl check USER SERVICE [--rhost HOST] [--tty TTY] [--ruser USER]\n\n"
    "Asks jitd the question pam_jit.so asks, and records the decision like any other;\n"
    "like a PAM check it may create an implicit grant (explain asks without effect).\n"
    "Only root (or the uid jitd runs as) may ask.\n"
    "Exit status: 0 allowed, 1 denied, 3 jitd unreachable, 4 not permitted.\n",
    run_check};

}  // namespace jit::ctl
