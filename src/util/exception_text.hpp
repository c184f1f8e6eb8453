// One readable line for an exception that ended a leg. Asio's awaitable `||` reports two
// failing branches as asio::multiple_exceptions; the first one is the cause worth printing.
#pragma once

#include <asio/multiple_exceptions.hpp>
#include <exception>
#include <string>
#include <system_error>

namespace vmp {

inline std::string exception_text(const std::exception& e) {
  if (const auto* many = dynamic_cast<const asio::multiple_exceptions*>(&e)) {
    try {
      std::rethrow_exception(many->first_exception());
    } catch (const std::exception& first) {
      return exception_text(first);
    } catch (...) {
      return "unknown error";
    }
  }
  if (const auto* se = dynamic_cast<const std::system_error*>(&e)) return se->code().message();
  return e.what();
}

}  // namespace vmp
