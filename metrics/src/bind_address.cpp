#include "vmp/metrics/bind_address.hpp"

#include <charconv>
#include <stdexcept>

namespace vmp::metrics {
namespace {

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw std::runtime_error("metrics: bad address '" + text + "': " + why +
                           " (expected PORT, HOST:PORT or [IPV6]:PORT)");
}

std::uint16_t parse_port(const std::string& text, std::string_view port) {
  unsigned value = 0;
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc() || ptr != end || value > 65535) {
    bad(text, "port '" + std::string(port) + "' is not a number 0..65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string BindAddress::to_string() const {
  return (bracketed ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

BindAddress parse_bind_address(const std::string& text) {
  BindAddress out;
  if (text.empty()) bad(text, "empty");
  if (text.find_first_of(" \t,") != std::string::npos) bad(text, "contains a space or comma");
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      bad(text, "an IPv6 address must be written [ADDRESS]:PORT");
    }
    out.host = text.substr(1, close - 1);
    out.bracketed = true;
    if (out.host.empty()) bad(text, "empty IPv6 address");
    out.port = parse_port(text, std::string_view(text).substr(close + 2));
    return out;
  }
  auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    out.host = "127.0.0.1";
    out.port = parse_port(text, text);
    return out;
  }
  if (text.find(':') != colon) bad(text, "an IPv6 address must be written [ADDRESS]:PORT");
  out.host = text.substr(0, colon);
  if (out.host.empty()) bad(text, "empty host");
  out.port = parse_port(text, std::string_view(text).substr(colon + 1));
  return out;
}

}  // namespace vmp::metrics
