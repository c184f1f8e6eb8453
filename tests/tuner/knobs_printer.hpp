// Lets GoogleTest print Knobs readably in failure messages.
#pragma once

#include <ostream>

#include "knobs.hpp"

namespace vmp {
inline void PrintTo(const Knobs& k, std::ostream* os) {
  *os << to_string(k);
}
}  // namespace vmp
