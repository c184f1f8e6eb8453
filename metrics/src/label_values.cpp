#include "label_values.hpp"

#include <cstdio>

namespace vmp::metrics {

std::string session_id_hex(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace vmp::metrics
