// A minimal HTTP/1.0 GET over loopback for the exporter tests (no client library needed).
#pragma once

#include <string>

namespace vmp::metrics::test {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// endpoint: "127.0.0.1:PORT" or "[::1]:PORT". Throws std::runtime_error on connection errors.
HttpResponse http_get(const std::string& endpoint, const std::string& path);

}  // namespace vmp::metrics::test
