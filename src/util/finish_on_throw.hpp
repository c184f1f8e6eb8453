// Completion handler for the engines' co_spawn calls, instead of asio::detached (which drops
// an exception on the floor). Every coroutine handles the errors it expects (a leg that dies,
// a stranger's garbage); anything that still escapes is a bug or an unexpected system failure,
// and a transfer that silently lost, say, its outage detection would hang or lie. So the
// exception ends the transfer with ExitCode::internal and its text as the one-line reason;
// if the transfer had already ended otherwise, the line is logged so it is not lost either.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "util/exception_text.hpp"
#include "util/exit_code.hpp"
#include "util/logger.hpp"

namespace vmp {

// `finish(ExitCode, std::string)` returns true when it decided the outcome.
template <class Finish>
auto finish_on_throw(Logger& log, std::string what, Finish finish) {
  return [&log, what = std::move(what), finish = std::move(finish)](std::exception_ptr e) {
    if (!e) return;
    std::string line = "internal error in " + what + ": ";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      line += exception_text(ex);
    } catch (...) {
      line += "unknown exception";
    }
    if (!finish(ExitCode::internal, line)) log.error(line);
  };
}

}  // namespace vmp
