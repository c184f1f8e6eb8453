#include "tx/dialer.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <vector>

#include "crypto/primitives.hpp"

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

template <typename Buffer>
asio::awaitable<asio::error_code> read_within(tcp::socket& sock, Buffer buf,
                                              std::chrono::seconds timeout) {
  auto [in_time, ec] = co_await with_deadline(asio::async_read(sock, buf, nothrow), timeout);
  co_return ec;
}

// After an `authenticate` reply: check the receiver's proof, send ours, then read the real
// reply and its tag. Fills out.status (ok, wrong_key, forged) or returns an I/O error.
asio::awaitable<asio::error_code> prove_key(tcp::socket& sock, const Target& target,
                                            const DialKey& key, std::vector<std::byte> transcript,
                                            std::chrono::seconds timeout, DialResult& out) {
  std::array<std::byte, wire::KeyChallenge::kSize> challenge_bytes{};
  if (auto ec = co_await read_within(sock, asio::buffer(challenge_bytes), timeout)) co_return ec;
  const auto challenge = wire::KeyChallenge::decode(challenge_bytes);
  transcript.insert(transcript.end(), challenge.receiver_nonce.begin(),
                    challenge.receiver_nonce.end());
  // Our proof goes only to a receiver that proved itself: given to anyone else (someone on the
  // path relaying the real receiver's nonce), it would let them hold a leg of our session.
  if (!crypto::equal_constant_time(crypto::receiver_proof(*key.secret, transcript),
                                   challenge.proof)) {
    out.status = DialResult::Status::wrong_key;
    out.error = "receiver " + target.label() +
                " holds a different key (--key-file): it failed to prove ours";
    co_return asio::error_code{};
  }
  const auto proof = crypto::transmitter_proof(*key.secret, transcript);
  auto [wok, werr] =
      co_await with_deadline(asio::async_write(sock, asio::buffer(proof), nothrow), timeout);
  if (werr) co_return werr;
  std::array<std::byte, wire::HelloReply::kSize + wire::kTagSize> reply_bytes{};
  if (auto ec = co_await read_within(sock, asio::buffer(reply_bytes), timeout)) co_return ec;
  auto auth = crypto::leg_auth(*key.secret, transcript, crypto::Role::transmitter);
  const std::span<const std::byte> reply_span(reply_bytes.data(), wire::HelloReply::kSize);
  const std::span<const std::byte> tag(reply_bytes.data() + wire::HelloReply::kSize,
                                       wire::kTagSize);
  const auto reply = wire::HelloReply::decode(reply_span.first<wire::HelloReply::kSize>());
  if (!auth.incoming.verify(reply_span, tag) || !reply) {
    out.status = DialResult::Status::forged;
    out.error = "the reply of " + target.label() + " failed authentication (altered on the way?)";
    co_return asio::error_code{};
  }
  out.status = DialResult::Status::ok;
  out.reply = *reply;
  out.auth.emplace(std::move(auth));
  co_return asio::error_code{};
}

}  // namespace

asio::awaitable<DialResult> dial(const Target& target, const wire::Hello& hello, const DialKey* key,
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
    // The Hello, and with a key the offer: one write, and the start of the leg's transcript.
    std::vector<std::byte> transcript;
    const auto hello_bytes = hello.encode();
    transcript.assign(hello_bytes.begin(), hello_bytes.end());
    if (key) {
      wire::KeyOffer offer;
      offer.session_salt = key->session_salt;
      crypto::random_bytes(offer.leg_nonce);
      offer.cipher = static_cast<std::uint8_t>(key->cipher);
      const auto offer_bytes = offer.encode();
      transcript.insert(transcript.end(), offer_bytes.begin(), offer_bytes.end());
    }
    std::array<std::byte, wire::HelloReply::kSize> reply_bytes{};
    auto [wok, werr] =
        co_await with_deadline(asio::async_write(sock, asio::buffer(transcript), nothrow), timeout);
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
    const bool asks_proof = reply->code == wire::ReplyCode::authenticate;
    if (key && asks_proof) {
      if (auto perr = co_await prove_key(sock, target, *key, std::move(transcript), timeout, out)) {
        out.error = "handshake with " + target.label() + ": " + perr.message();
        continue;
      }
      if (out.status == DialResult::Status::ok) out.socket.emplace(std::move(sock));
      co_return out;
    }
    // Unkeyed, this is the reply. Keyed, only a refusal a keyed receiver sends before the
    // proofs (which says why and nothing else) comes untagged: anything else is not from our
    // receiver (an accept that skips the proofs, a `busy` it would only say after them).
    const auto c = reply->code;
    const bool before_proofs = c == wire::ReplyCode::bad_version ||
                               c == wire::ReplyCode::bad_checkphrase ||
                               c == wire::ReplyCode::key_required || c == wire::ReplyCode::no_key ||
                               c == wire::ReplyCode::malformed;
    if (asks_proof || (key && !before_proofs)) {
      out.status = key ? DialResult::Status::forged : DialResult::Status::bad_reply;
      out.error = target.label() + " answered out of turn (" +
                  std::string(wire::describe(reply->code)) + ")";
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
