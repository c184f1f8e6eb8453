#include "tx/dialer.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace vmp {
namespace {

using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Runs `op` against a deadline; false when the deadline won.
template <typename Op>
asio::awaitable<std::pair<bool, asio::error_code>> with_deadline(Op op,
                                                                 std::chrono::seconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(timeout);
  auto result = co_await (std::move(op) || timer.async_wait(nothrow));
  if (result.index() == 1) co_return std::pair{false, asio::error::timed_out};
  co_return std::pair{true, std::get<0>(std::get<0>(result))};
}

}  // namespace

asio::awaitable<DialResult> dial(const Target& target, const wire::Hello& hello,
                                 const SocketTuning& tuning, std::chrono::seconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  DialResult out;
  tcp::resolver resolver(ex);
  auto [rerr, endpoints] =
      co_await resolver.async_resolve(target.host, std::to_string(target.port), nothrow);
  if (rerr) {
    out.status = DialResult::Status::unresolvable;
    out.error = "cannot resolve " + target.host + ": " + rerr.message();
    co_return out;
  }
  for (const auto& entry : endpoints) {
    tcp::socket sock(ex);
    asio::error_code ec;
    sock.open(entry.endpoint().protocol(), ec);
    if (ec) continue;
    // Before connect, so the window scale offered in the SYN matches the buffer size.
    apply_socket_tuning(sock.native_handle(), tuning);
    auto [in_time, cerr] =
        co_await with_deadline(sock.async_connect(entry.endpoint(), nothrow), timeout);
    if (cerr) {
      out.error = "connect " + target.label() + ": " + cerr.message();
      continue;
    }
    const auto hello_bytes = hello.encode();
    std::array<std::byte, wire::HelloReply::kSize> reply_bytes{};
    auto [wok, werr] = co_await with_deadline(
        asio::async_write(sock, asio::buffer(hello_bytes), nothrow), timeout);
    auto [rok, rderr] =
        werr ? std::pair{false, werr}
             : co_await with_deadline(asio::async_read(sock, asio::buffer(reply_bytes), nothrow),
                                      timeout);
    if (werr || rderr) {
      out.error = "handshake with " + target.label() + ": " + (werr ? werr : rderr).message();
      continue;
    }
    auto reply = wire::HelloReply::decode(reply_bytes);
    if (!reply) {
      out.status = DialResult::Status::bad_reply;
      out.error = target.label() + " is not a viamillipede receiver (unexpected handshake reply)";
      co_return out;
    }
    out.status = DialResult::Status::ok;
    out.reply = *reply;
    out.socket.emplace(std::move(sock));
    co_return out;
  }
  if (out.error.empty()) out.error = "no usable address for " + target.label();
  out.status = DialResult::Status::unreachable;
  co_return out;
}

}  // namespace vmp
