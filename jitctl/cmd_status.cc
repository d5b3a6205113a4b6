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

std::string joined_or_none(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + escape_text(s);
    return out.empty() ? "(none)" : out;
}

int run_status(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("status"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("status", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("status", "takes no arguments");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode_status_request(request_id()), MsgType::StatusReply);
    if (!reply) return failed(reply.error());
    auto s = msg::decode_status_reply(reply->view);
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("version").value(s.version).key("pid").value(s.pid);
        w.key("uptime_seconds").value(s.uptime).key("now").value(format_iso8601(s.now));
        w.key("grants_in_force").value(s.active_grants).key("socket").value(g.socket_path);
        w.key("state_dir").value(s.state_dir).key("schema_version").value(s.schema_version);
        for (auto [name, items] : {std::pair{"managed_users", &s.managed_users},
                                   std::pair{"managed_groups", &s.managed_groups},
                                   std::pair{"managed_uids", &s.managed_uids}}) {
            w.key(name).begin_array();
            for (const auto& i : *items) w.value(i);
            w.end_array();
        }
        w.end_object();
        printf("%s\n", w.str().c_str());
        return kExitOk;
    }
    printf("jitd %s (pid %llu), up %s\n", escape_text(s.version).c_str(), (unsigned long long)s.pid,
           format_duration(int64_t(s.uptime)).c_str());
    printf("  socket:          %s\n", escape_text(g.socket_path).c_str());
    printf("  state:           %s (schema %llu)\n", escape_text(s.state_dir).c_str(),
           (unsigned long long)s.schema_version);
    printf("  grants in force: %llu\n", (unsigned long long)s.active_grants);
    printf("  managed users:   %s\n", joined_or_none(s.managed_users).c_str());
    printf("  managed groups:  %s\n", joined_or_none(s.managed_groups).c_str());
    printf("  managed uids:    %s\n", joined_or_none(s.managed_uids).c_str());
    printf("  server time:     %s\n", format_utc(s.now).c_str());
    return kExitOk;
}

}  // namespace

extern const Command kStatusCommand{
    "status", "show jitd's state",
    "Usage: jitctl status\n\nShows jitd's version, uptime, state and managed accounts.\n",
    run_status};

}  // namespace jit::ctl
