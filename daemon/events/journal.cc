#include "daemon/events/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <syslog.h>

// CODE_FILE/CODE_LINE would name this file, not the event: leave them out.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

namespace jit::daemon {

namespace {

struct EventInfo {
    Event event;
    const char* id;
    const char* name;
};

constexpr EventInfo kEvents[] = {
    {Event::Decision, "f8890bfe550343f0b368de205c0012e5", "decision"},
    {Event::GrantCreated, "a8be8f40e0ab46eb95dae9e30fa9eb58", "grant"},
    {Event::GrantRevoked, "162d4bf6524c4b7eb073bc787d26c115", "revoke"},
    {Event::GrantExpired, "1179d5d25c914702b096ed93670a2b09", "expire"},
    {Event::DaemonStarted, "6350b621c336458d8ba7ddaef836580e", "start"},
    {Event::DaemonStopping, "e2d9fe153afc48b4a564c12c1f3c4c0b", "stop"},
    {Event::ConfigReloaded, "7552693e4e42477fb4fd6f35fe901a2d", "reload"},
    {Event::ConfigRejected, "a01725fa6d2041fd86abe62ecd762485", "reload-failed"},
    {Event::ConfigWarning, "3b6f0c2a9d8e4f51a7c2e9d04b1f6a38", "config-warning"},
    {Event::RequestRefused, "589d0a923e8c42bca7ad1948b6ae63b2", "refused"},
    {Event::StoreFailed, "d54024c6f2e942dfbd4eb68e9446e8c9", "store-failed"},
    {Event::SessionOpened, "95326435606b4dbe8dc078862392eca0", "session-open"},
    {Event::SessionClosed, "d1a17eed98c94b52bfc586472aa1a025", "session-close"},
    {Event::SessionRefused, "64251d64ef784d28a125bed68bb94790", "session-refused"},
    {Event::SessionEnded, "5a6d6f7035c545a18b5dc20d45b765ab", "session-end"},
    {Event::SessionKept, "aa9c2660741744ccaa04a13460480f34", "session-kept"},
    {Event::SessionWarned, "c7f4ac2b37664ccf8323fe44f16241de", "session-warn"},
    {Event::SessionGone, "d87f32f9b08849ddbb3f93ec28ec47be", "session-gone"},
    {Event::SweepEnded, "0ac3117e7e5a4ce9bc569f3dba8dc5f4", "sweep-end"},
    {Event::AccountAdded, "10cc99bb25604eb788ca8a282fec2574", "account-add"},
    {Event::AccountRemoved, "36e1b16ea123457e9443805ddbaab72f", "account-remove"},
    {Event::JitGroupCreated, "f79a7d70f23d4291a3c741a8d1e886cd", "group-create"},
    {Event::NssSnapshotFailed, "9b4b9fd770c542bf89c4085ed36b1736", "nss-snapshot-failed"},
    {Event::RequestCreated, "9eed1bd5ff7b4cee83875a11a8a43cd0", "request"},
    {Event::RequestApproval, "bda63376cae942628ee7a13302600990", "approval"},
    {Event::RequestApproved, "8385a20a8488483c96e69722741bcdab", "request-approved"},
    {Event::RequestDenied, "96fa0327e2cb429fa2c6aa79bd2cd4d1", "request-denied"},
    {Event::RequestExpired, "54383e6986444892a95ccab41e808a4f", "request-expired"},
    {Event::RequestCancelled, "6990f136c2154d929716589f1394e4ff", "request-cancelled"},
    {Event::PolicyLoaded, "815de31989bf4f01a088e6b283ae6390", "policy"},
    {Event::PolicyRejected, "a53ad90ecb474a5fb60c02f9d197d226", "policy-rejected"},
    {Event::PolicyReadable, "e33a0e933a944bcc88390741d03240b4", "policy-readable"},
    {Event::NotifyFailed, "67a558827a464dbeaf669d102bb52865", "notify-failed"},
    {Event::ReplyLost, "df7fd2eff8a8478db5accdc231790d62", "reply-lost"},
    {Event::ClockBehind, "047ae44dec924164b130bf8d80324141", "clock-behind"},
    {Event::ClockFloorReset, "f78ffa49e251438e81cf46d3071b8e3b", "clock-floor-reset"},
    {Event::StateRepaired, "fe4eb378eda94bc7963ccf09c7718623", "state-repaired"},
    {Event::AuditCheckpoint, "536c5b4bc24541b3b9a8e66500648606", "audit-checkpoint"},
    {Event::AuditFailed, "c5c92c9f9ea04be7a422acfd9e37479b", "audit-failed"},
    {Event::AuditRecovered, "3bc99c50f8a843338d02b93882bb11b2", "audit-recovered"},
    {Event::AuditSealed, "24d45eceb6ca42f2899d0bb19607587f", "audit-sealed"},
    {Event::AuditRemoved, "49fa7ce0e6da4b98926ef691e62da31f", "audit-removed"},
    {Event::AuditSegmentRecovered, "99a5c73b01e2474ab75d1f88f4f0234f", "audit-segment-recovered"},
    {Event::AuditSegmentMissing, "c14bd5f5452245e8a76285c0e78c6825", "audit-segment-missing"},
    {Event::CommandExited, "44c58880b5a04535b106692fc881f91f", "command-exit"},
    {Event::FleetStale, "8073afdb28f3419e83a3f772b55fb981", "fleet-stale"},
    {Event::FleetFresh, "e7979f72117f4399b5b3d2916985ac6d", "fleet-fresh"},
    {Event::IdentityLoaded, "28c822c8001c4a67807ccb7fc7dc1075", "identity-loaded"},
    {Event::IdentityRejected, "daf0f766cf794431a2bb3650eb27e029", "identity-rejected"},
};

const EventInfo& info(Event e) {
    for (const auto& i : kEvents)
        if (i.event == e) return i;
    return kEvents[0];
}

// systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to journald.
bool stderr_is_journal() {
    const char* env = getenv("JOURNAL_STREAM");
    if (!env) return false;
    unsigned long long dev, ino;
    if (sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

const char* message_id(Event event) {
    return info(event).id;
}
const char* event_name(Event event) {
    return info(event).name;
}

SystemJournal::SystemJournal(const char* identifier)
    : identifier_(identifier), mirror_to_stderr_(!stderr_is_journal()) {}

SystemJournal::~SystemJournal() {
    socket_.drain();
}

void SystemJournal::attach(sd_event* event) {
    socket_.open();  // none yet: send() connects once journald is there
    socket_.attach(event);
}

void SystemJournal::hold() {
    held_ = true;
    socket_.hold();
}

void SystemJournal::release() {
    held_ = false;
    socket_.release();
    if (held_lines_.empty()) return;
    for (const auto& line : held_lines_) fputs(line.c_str(), stderr);
    fflush(stderr);
    held_lines_.clear();
}

void SystemJournal::record(Event event, int priority, const std::string& message,
                           const Fields& fields) {
    std::vector<std::string> items;
    items.reserve(fields.size() + 5);
    items.push_back(std::string("MESSAGE_ID=") + message_id(event));
    items.push_back("MESSAGE=" + message);
    items.push_back("PRIORITY=" + std::to_string(priority));
    items.push_back(std::string("SYSLOG_IDENTIFIER=") + identifier_);
    items.push_back(std::string("JIT_EVENT=") + event_name(event));
    for (const auto& [key, value] : fields) {
        // Sized once: key + "=" + value would allocate twice per field.
        std::string item;
        item.reserve(key.size() + 1 + value.size());
        item.append(key).append(1, '=').append(value);
        items.push_back(std::move(item));
    }
    // Losing an audit line must not take the daemon down; journald being
    // absent (unprivileged tests) is reported on stderr instead.
    int r = 0;
    if (socket_.is_attached()) {
        r = socket_.send(std::move(items)) ? 0 : -1;
    } else {
        std::vector<iovec> iov;
        iov.reserve(items.size());
        for (auto& s : items) iov.push_back({s.data(), s.size()});
        r = sd_journal_sendv(iov.data(), int(iov.size()));
    }
    if (mirror_to_stderr_ || r < 0) {
        if (held_) {
            held_lines_.push_back(std::string(identifier_) + ": " + message + "\n");
            return;
        }
        fprintf(stderr, "%s: %s\n", identifier_, message.c_str());
        fflush(stderr);
    }
}

}  // namespace jit::daemon
