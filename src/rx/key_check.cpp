#include "rx/key_check.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <vector>

#include "crypto/primitives.hpp"

namespace vmp {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Reads exactly buf's size before the deadline; an error message otherwise.
asio::awaitable<std::optional<std::string>> read_before(asio::ip::tcp::socket& socket,
                                                        std::span<std::byte> buf,
                                                        asio::steady_timer& deadline) {
  auto got = co_await (asio::async_read(socket, asio::buffer(buf.data(), buf.size()), nothrow) ||
                       deadline.async_wait(nothrow));
  if (got.index() == 1) co_return "no proof of the key within the handshake timeout";
  if (auto [ec, n] = std::get<0>(got); ec)
    co_return "closed during authentication (" + ec.message() + ")";
  co_return std::nullopt;
}

}  // namespace

asio::awaitable<KeyCheck> check_key(asio::ip::tcp::socket& socket, const crypto::Secret& key,
                                    std::span<const std::byte, wire::Hello::kSize> hello,
                                    asio::steady_timer& deadline) {
  KeyCheck out;
  std::array<std::byte, wire::KeyOffer::kSize> offer_bytes{};
  if (auto error = co_await read_before(socket, offer_bytes, deadline)) {
    out.failure = *error;
    co_return out;
  }
  const auto offer = wire::KeyOffer::decode(offer_bytes);
  const auto cipher = offer ? crypto::cipher_from_wire(offer->cipher) : std::nullopt;
  if (!cipher) {
    out.failure = "malformed key offer (unknown cipher)";
    co_return out;
  }
  std::vector<std::byte> transcript(hello.begin(), hello.end());
  transcript.insert(transcript.end(), offer_bytes.begin(), offer_bytes.end());
  wire::KeyChallenge challenge;
  crypto::random_bytes(challenge.receiver_nonce);
  transcript.insert(transcript.end(), challenge.receiver_nonce.begin(),
                    challenge.receiver_nonce.end());
  challenge.proof = crypto::receiver_proof(key, transcript);
  wire::HelloReply ask;
  ask.code = wire::ReplyCode::authenticate;
  std::vector<std::byte> message;
  const auto ask_bytes = ask.encode();
  const auto challenge_bytes = challenge.encode();
  message.insert(message.end(), ask_bytes.begin(), ask_bytes.end());
  message.insert(message.end(), challenge_bytes.begin(), challenge_bytes.end());
  if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(message), nothrow); ec) {
    out.failure = "closed during authentication (" + ec.message() + ")";
    co_return out;
  }
  crypto::Mac proof{};
  if (auto error = co_await read_before(socket, proof, deadline)) {
    out.failure = *error + ": it did not prove the key (it holds another one?)";
    out.failed_proof = true;
    co_return out;
  }
  if (!crypto::equal_constant_time(proof, crypto::transmitter_proof(key, transcript))) {
    out.failure =
        "failed authentication: it holds another key (--key-file), or replayed an old "
        "handshake";
    out.failed_proof = true;
    wire::HelloReply refusal;
    refusal.code = wire::ReplyCode::bad_key;
    const auto bytes = refusal.encode();
    co_await asio::async_write(socket, asio::buffer(bytes), nothrow);
    co_return out;
  }
  out.leg.emplace(
      ProvenLeg{crypto::leg_auth(key, transcript, crypto::Role::receiver), *offer, *cipher});
  co_return out;
}

}  // namespace vmp
