// The HTTP side: serving /metrics, the address rules, and one-line start-up errors.
#include "vmp/metrics/exporter.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "exposition.hpp"
#include "fake_stats.hpp"
#include "http_get.hpp"
#include "vmp/metrics/bind_address.hpp"

namespace vmp::metrics::test {
namespace {

// The message of the std::runtime_error `f` throws, or "" when it does not throw.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A listening socket on 127.0.0.1 that keeps its port busy for the life of the object.
class BusyPort {
 public:
  BusyPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot make a busy port");
    }
    port_ = ntohs(a.sin_port);
  }
  ~BusyPort() { ::close(fd_); }
  BusyPort(const BusyPort&) = delete;
  BusyPort& operator=(const BusyPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(BindAddress, AcceptsPortHostPortAndBracketedV6) {
  auto p = parse_bind_address("9100");
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, 9100);
  auto h = parse_bind_address("0.0.0.0:9101");
  EXPECT_EQ(h.host, "0.0.0.0");
  EXPECT_EQ(h.port, 9101);
  auto n = parse_bind_address("localhost:0");
  EXPECT_EQ(n.host, "localhost");
  EXPECT_EQ(n.port, 0);
  auto v6 = parse_bind_address("[::1]:9102");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_TRUE(v6.bracketed);
  EXPECT_EQ(v6.to_string(), "[::1]:9102");
}

TEST(BindAddress, RejectsMalformedInputWithOneLine) {
  for (const char* bad :
       {"", "abc", "host:", ":9100", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9100s",
        "::1:9100", "[::1]9100", "[]:9100", "9100,9101", "127.0.0.1: 9100"}) {
    auto msg = error_of([&] { parse_bind_address(bad); });
    EXPECT_TRUE(msg.starts_with("metrics: bad address '")) << bad << " -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Exporter, ServesMetricsOnAnEphemeralPort) {
  FakeSource source(sample_tx());
  Exporter exporter("127.0.0.1:0", source);
  const auto endpoint = exporter.endpoint();
  ASSERT_TRUE(endpoint.starts_with("127.0.0.1:")) << endpoint;
  EXPECT_NE(endpoint, "127.0.0.1:0");

  auto r = http_get(endpoint, "/metrics");
  ASSERT_EQ(r.status, 200);
  auto e = parse_exposition(r.body);
  EXPECT_EQ(e.value(R"(viamillipede_input_bytes_total{role="tx"})"), 3000000);
  EXPECT_TRUE(e.has_family("process_cpu_seconds_total"));
  EXPECT_TRUE(e.has_family("process_resident_memory_bytes"));

  // Each scrape is a fresh snapshot.
  Stats later = sample_tx();
  later.bytes_in = 4000000;
  source.set(later);
  auto again = parse_exposition(http_get(endpoint, "/metrics").body);
  EXPECT_EQ(again.value(R"(viamillipede_input_bytes_total{role="tx"})"), 4000000);
}

TEST(Exporter, OnlyAPortMeansLoopback) {
  FakeSource source(sample_rx());
  Exporter exporter("0", source);
  EXPECT_TRUE(exporter.endpoint().starts_with("127.0.0.1:")) << exporter.endpoint();
  EXPECT_EQ(http_get(exporter.endpoint(), "/metrics").status, 200);
}

TEST(Exporter, HostNamesResolve) {
  FakeSource source(sample_rx());
  Exporter exporter("localhost:0", source);
  auto endpoint = exporter.endpoint();
  EXPECT_TRUE(endpoint.starts_with("127.0.0.1:") || endpoint.starts_with("[::1]:")) << endpoint;
  EXPECT_EQ(http_get(endpoint, "/metrics").status, 200);
}

TEST(Exporter, Ipv6Loopback) {
  FakeSource source(sample_rx());
  std::unique_ptr<Exporter> exporter;
  try {
    exporter = std::make_unique<Exporter>("[::1]:0", source);
  } catch (const std::runtime_error& e) {
    // Debian's civetweb is built without IPv6; that must be a clear line, not a civetweb-ism.
    ASSERT_EQ(std::string(e.what()),
              "metrics: cannot listen on [::1]:0: the HTTP server library (civetweb) was built "
              "without IPv6");
    GTEST_SKIP() << e.what();
  }
  EXPECT_TRUE(exporter->endpoint().starts_with("[::1]:")) << exporter->endpoint();
  EXPECT_EQ(http_get(exporter->endpoint(), "/metrics").status, 200);
}

TEST(Exporter, BusyPortIsOneReadableLine) {
  BusyPort busy;
  FakeSource source(sample_tx());
  const auto bind = "127.0.0.1:" + std::to_string(busy.port());
  auto msg = error_of([&] { Exporter e(bind, source); });
  EXPECT_EQ(msg, "metrics: cannot listen on " + bind + ": address already in use");
}

TEST(Exporter, BusyPortGivenAsPortOnly) {
  BusyPort busy;
  FakeSource source(sample_tx());
  auto msg = error_of([&] { Exporter e(std::to_string(busy.port()), source); });
  EXPECT_EQ(msg, "metrics: cannot listen on 127.0.0.1:" + std::to_string(busy.port()) +
                     ": address already in use");
}

TEST(Exporter, AddressNotOnThisHost) {
  FakeSource source(sample_tx());
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
  auto msg = error_of([&] { Exporter e("192.0.2.1:9100", source); });
  EXPECT_EQ(msg, "metrics: cannot listen on 192.0.2.1:9100: cannot assign requested address");
}

TEST(Exporter, BadAndUnresolvableAddresses) {
  FakeSource source(sample_tx());
  auto bad = error_of([&] { Exporter e("127.0.0.1:port", source); });
  EXPECT_TRUE(bad.starts_with("metrics: bad address '127.0.0.1:port'")) << bad;
  auto unknown = error_of([&] { Exporter e("no-such-host.invalid:9100", source); });
  EXPECT_TRUE(unknown.starts_with("metrics: cannot resolve 'no-such-host.invalid'")) << unknown;
  EXPECT_EQ(unknown.find('\n'), std::string::npos);
}

TEST(Exporter, StopsCleanlyAndFreesThePort) {
  FakeSource source(sample_tx());
  std::string endpoint;
  {
    Exporter first("127.0.0.1:0", source);
    endpoint = first.endpoint();
    EXPECT_EQ(http_get(endpoint, "/metrics").status, 200);
  }
  Exporter second(endpoint, source);  // the same port again
  EXPECT_EQ(second.endpoint(), endpoint);
}

}  // namespace
}  // namespace vmp::metrics::test
