// The etcd roles that enforce the key schema's ownership (records.h): one
// etcd user per host, one role each.  Printed by `jit-fleet etcd-roles` as
// etcdctl argument lists, so an operator (or the fleet tests) configures
// etcd from the same trust file the hosts read.
#pragma once

#include <string>
#include <vector>

#include "fleet/trust.h"

namespace jit::fleet {

std::string role_name(const std::string& host);  // "jit-host-<host>"

// For every host in the trust file (and this host): role add, its
// grant-permission lines, user grant-role.  Users themselves (and their
// passwords) are the operator's: etcdctl user add HOST.
std::vector<std::vector<std::string>> etcd_role_commands(const FleetConfig& c);

}  // namespace jit::fleet
