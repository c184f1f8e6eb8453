// The two ends of a TCP tunnel (the original's `terminate` and `initiate`). A tunnel carries
// one connection per run, as the original does: `terminate` accepts one client and then stops
// listening; `initiate` dials its target once, when the tunnel's stream starts. Sockets get
// TCP_NODELAY: a tunnel carries interactive protocols (ssh) whose small writes must not wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "tx/link_planner.hpp"
#include "util/unique_fd.hpp"

namespace vmp::streams {

class TunnelListener {
 public:
  // Listens at once, so a port in use is reported before anything else happens; throws
  // std::runtime_error with one line ("terminate: cannot listen on 127.0.0.1:9022: Address
  // already in use").
  TunnelListener(const std::string& address, std::uint16_t port);
  // Waits for the one client, then closes the listening socket. Throws std::runtime_error.
  UniqueFd accept_one();
  std::string endpoint() const { return endpoint_; }

 private:
  UniqueFd fd_;
  std::string endpoint_;
};

// Connects to `target` (every address it resolves to, in order, each within `timeout`).
// The error is one line: "initiate: cannot connect to localhost:22: Connection refused".
std::variant<UniqueFd, std::string> dial_tunnel(const Target& target, std::chrono::seconds timeout);

// Moves everything from `pipe_fd` into `socket_fd` until the pipe's writer closes it, then
// half-closes the socket (the far side reads its end of file). Returns "" then, or the error
// ("writing to localhost:22: Broken pipe").
std::string pump_to_socket(int pipe_fd, int socket_fd, const std::string& label);

// Reads and drops everything from `fd` until its end of file (the receiver writing into it
// must not block on a tunnel that failed to connect).
void drain(int fd);

}  // namespace vmp::streams
