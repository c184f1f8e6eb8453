// Every leg and every connection a stranger opens is a descriptor. The soft limit (often
// 1024) is a historical default, not a budget: raise it to the hard limit at start, as
// servers do, so that a flood of idle connections meets the handshake caps first.
#pragma once

#include <cstdint>

namespace vmp {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force.
std::uint64_t raise_fd_limit();

}  // namespace vmp
