#include "daemon/server/account_wire.h"

namespace jit::daemon {

AccountAsk from_wire(const msg::AccountAddRequest& m) {
    return AccountAsk{m.name, m.uid, m.groups, m.home, m.shell, m.gecos, m.visibility};
}

msg::AccountRecord to_wire(const NssAccount& a) {
    msg::AccountRecord r;
    r.name = a.name;
    r.uid = a.uid;
    r.gid = a.gid;
    r.home = a.home;
    r.shell = a.shell;
    r.gecos = a.gecos;
    r.visibility = a.visibility == Visibility::Always ? proto::AccountVisibility::Always
                                                      : proto::AccountVisibility::Granted;
    r.groups = a.groups;
    r.origin = a.origin == AccountOrigin::Config ? proto::AccountOrigin::Config
                                                 : proto::AccountOrigin::Jitctl;
    r.created = a.created;
    return r;
}

}  // namespace jit::daemon
