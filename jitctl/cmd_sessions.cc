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

const char* session_state_name(proto::SessionState s) {
    switch (s) {
        case proto::SessionState::Open:
            return "open";
        case proto::SessionState::Closed:
            return "closed";
        case proto::SessionState::Terminated:
            return "ended";
        case proto::SessionState::Refused:
            return "refused";
        case proto::SessionState::Gone:
            return "gone";
    }
    return "unknown";
}

std::string sessions_table(const std::vector<msg::SessionRecord>& sessions, int64_t now) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : sessions)
        rows.push_back({escape_text(s.id), escape_text(s.user), escape_text(s.service),
                        session_state_name(s.state), escape_text(s.grant_id), std::to_string(s.pid),
                        s.tty.empty() ? "-" : escape_text(s.tty),
                        s.rhost.empty() ? "-" : escape_text(s.rhost),
                        format_relative(s.opened, now),
                        s.ended ? format_relative(*s.ended, now) : "-", escape_text(s.reason)});
    return table(
        {"ID", "USER", "SERVICE", "STATE", "GRANT", "PID", "TTY", "FROM", "OPENED", "ENDED", "WHY"},
        rows);
}

void session_json(JsonWriter& w, const msg::SessionRecord& s) {
    w.begin_object();
    w.key("id").value(s.id);
    w.key("user").value(s.user);
    w.key("service").value(s.service);
    w.key("state").value(session_state_name(s.state));
    w.key("grant_id").value(s.grant_id);
    w.key("pid").value(s.pid);
    w.key("sid");
    if (s.sid)
        w.value(*s.sid);
    else
        w.null();
    w.key("audit_session");
    if (s.audit_session)
        w.value(*s.audit_session);
    else
        w.null();
    w.key("logind_session").value(s.logind_session);
    w.key("tty").value(s.tty);
    w.key("rhost").value(s.rhost);
    w.key("ruser").value(s.ruser);
    w.key("opened").value(format_iso8601(s.opened));
    w.key("ended");
    if (s.ended)
        w.value(format_iso8601(*s.ended));
    else
        w.null();
    w.key("reason").value(s.reason);
    w.end_object();
}

int run_sessions(Globals g, int argc, char** argv) {
    static const option opts[] = {{"user", required_argument, nullptr, 'u'},
                                  {"all", no_argument, nullptr, 'a'},
                                  JIT_COMMON_OPTIONS};
    msg::ListRequest req;
    OptionParser p{*find_command("sessions"), g, argc, argv, opts, "hu:a"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'u')
            req.user = optarg;
        else if (c == 'a')
            req.include_ended = true;
        else if (c != 'h')
            return usage_error("sessions", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("sessions", "takes no arguments");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply =
        conn.call(msg::encode_session_list_request(req, request_id()), MsgType::SessionListReply);
    if (!reply) return failed(reply.error());
    auto list = msg::decode_session_list(reply->view);
    if (g.json) {
        JsonWriter w;
        w.begin_object();
        w.key("now").value(format_iso8601(list.now));
        w.key("sessions").begin_array();
        for (const auto& s : list.sessions) session_json(w, s);
        w.end_array();
        w.end_object();
        printf("%s\n", w.str().c_str());
    } else if (list.sessions.empty()) {
        printf(req.include_ended ? "No sessions.\n" : "No open sessions.\n");
    } else {
        printf("%s", sessions_table(list.sessions, list.now).c_str());
    }
    return kExitOk;
}

}  // namespace

extern const Command kSessionsCommand{
    "sessions", "show the sessions jitd tracks",
    "Usage: jitctl sessions [--user USER] [--all]\n\n"
    "Shows open sessions of managed accounts: the grant covering each, the PAM\n"
    "process, terminal and source.  --all adds closed, ended (by jit), refused\n"
    "and gone (earlier boot) sessions, newest first.  Any local user.\n",
    run_sessions};

}  // namespace jit::ctl
