#include <string.h>

#include "audit_commands.h"
#include "cli.h"
#include "jit/escape.h"

namespace jit::ctl {

namespace {

struct AuditSubcommand {
    const char* name;
    int (*run)(Globals g, int argc, char** argv);
};

// verify, prove and consistency read an export offline; show and export
// (jitctl/cmd_audit_live.cc) ask jitd.
const AuditSubcommand kAuditSubcommands[] = {
    {"verify", run_audit_verify},           {"prove", run_audit_prove},
    {"consistency", run_audit_consistency}, {"show", run_audit_show},
    {"export", run_audit_export},
};

int run_audit(Globals g, int argc, char** argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc >= 2) return print_help(*find_command("audit")), kExitOk;
        return usage_error("audit",
                           "expects a subcommand: show, export, verify, prove, consistency");
    }
    optind = 0;
    for (const auto& sub : kAuditSubcommands)
        if (strcmp(argv[1], sub.name) == 0) return sub.run(g, argc - 1, argv + 1);
    return usage_error("audit", std::string("unknown subcommand '") + escape_text(argv[1]) + "'");
}

}  // namespace

extern const Command kAuditCommand{
    "audit", "verify the tamper-evident audit log and prove what is in it",
    "Usage: jitctl audit show [--since WHEN] [--user NAME] [--json]\n"
    "       jitctl audit export [--since WHEN | --from SEQ]\n"
    "       jitctl audit verify --key KEYFILE [--from SEQ] [--anchor CHECKPOINT]... [FILE...|-]\n"
    "       jitctl audit prove SEQ (--key KEYFILE | --vkey VKEY) [--size N] [FILE...|-]\n"
    "       jitctl audit consistency OLD NEW (--key KEYFILE | --vkey VKEY) [FILE...|-]\n\n"
    "show and export read jitd's audit log (root or admin_group): show prints\n"
    "one line per record (time, event, account, message), or JSON with --json;\n"
    "--user keeps one account's records.  export writes the log in the export\n"
    "format (JSON lines), from the checkpoint before --since, for a SIEM or for\n"
    "verify; --from SEQ writes records from SEQ on, without the tree state\n"
    "before them (to follow sealed segment files in a verify).  WHEN is\n"
    "-DURATION (-1h: that long ago) or a date (2026-12-01, 2026-12-01T10:00:00Z).\n"
    "Both read the sealed segment files and jit.db, page by page through jitd,\n"
    "and write as they read.\n\n"
    "Offline checks of an audit export (JSON lines) or of sealed segment files\n"
    "given oldest first; FILE - or none reads standard input.\n\n"
    "verify checks every record's MAC under the key of its epoch (derived from\n"
    "KEYFILE, written by jitd --audit-init), the chain of digests, the sequence\n"
    "numbers and every signed checkpoint, and stops at the first bad record.\n"
    "--from SEQ checks records from SEQ on.  --anchor names a checkpoint kept\n"
    "off the host (the signed note, as journaled or sent to notify_command):\n"
    "a log that ends before it was truncated.  Without an anchor, records cut\n"
    "from the end, with the checkpoints after them, cannot be detected.\n\n"
    "prove prints an RFC 6962 inclusion proof that record SEQ is in the tree a\n"
    "signed checkpoint covers (the last one in the input, or the one of size N),\n"
    "and checks it.  consistency prints and checks the proof that the log at\n"
    "NEW only appended to the log at OLD; OLD and NEW are checkpoint sizes in the\n"
    "input, or files holding a signed checkpoint.  VKEY is the checkpoint\n"
    "verifier key (NAME+ID+KEY); KEYFILE holds it too.\n\n"
    "Exit status: 0 intact / proven, 1 not intact / not proven (the first bad\n"
    "record is named), 2 usage or unreadable key, 5 no such record or checkpoint.\n",
    run_audit};

}  // namespace jit::ctl
