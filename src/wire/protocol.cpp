#include "wire/protocol.hpp"

#include <algorithm>
#include <cstring>

#include "wire/byte_order.hpp"

namespace vmp::wire {
namespace {

constexpr std::array<std::byte, 4> kHelloMagic{std::byte{'V'}, std::byte{'M'}, std::byte{'P'},
                                               std::byte{'D'}};
constexpr std::array<std::byte, 4> kReplyMagic{std::byte{'V'}, std::byte{'M'}, std::byte{'P'},
                                               std::byte{'R'}};
constexpr std::uint8_t kKnownFrameFlags = static_cast<std::uint8_t>(FrameFlag::last) |
                                          static_cast<std::uint8_t>(FrameFlag::checksum) |
                                          static_cast<std::uint8_t>(FrameFlag::sealed);

template <std::size_t N>
bool starts_with(std::span<const std::byte> in, const std::array<std::byte, N>& magic) {
  return std::equal(magic.begin(), magic.end(), in.begin());
}

}  // namespace

std::optional<Checkphrase> make_checkphrase(std::string_view text) {
  if (text.size() > 4) return std::nullopt;
  Checkphrase out{};
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::array<std::byte, Hello::kSize> Hello::encode() const {
  std::array<std::byte, kSize> out{};
  std::copy(kHelloMagic.begin(), kHelloMagic.end(), out.begin());
  put_be<std::uint16_t>(out, 4, version);
  put_be<std::uint16_t>(out, 6, flags);
  std::copy(checkphrase.begin(), checkphrase.end(), out.begin() + 8);
  put_be<std::uint64_t>(out, 12, session);
  put_be<std::uint32_t>(out, 20, leg);
  put_be<std::uint32_t>(out, 24, outage_timeout_seconds);
  return out;
}

std::optional<Hello> Hello::decode(std::span<const std::byte, kSize> in) {
  if (!starts_with(in, kHelloMagic)) return std::nullopt;
  Hello h;
  h.version = get_be<std::uint16_t>(in, 4);
  h.flags = get_be<std::uint16_t>(in, 6);
  std::copy(in.begin() + 8, in.begin() + 12, h.checkphrase.begin());
  h.session = get_be<std::uint64_t>(in, 12);
  h.leg = get_be<std::uint32_t>(in, 20);
  h.outage_timeout_seconds = get_be<std::uint32_t>(in, 24);
  return h;
}

std::string_view describe(ReplyCode code) {
  switch (code) {
    case ReplyCode::accept:
      return "accepted";
    case ReplyCode::complete:
      return "transfer already complete";
    case ReplyCode::bad_version:
      return "protocol version not supported by the receiver";
    case ReplyCode::bad_checkphrase:
      return "checkphrase does not match the receiver's";
    case ReplyCode::busy:
      return "receiver is busy with another transfer";
    case ReplyCode::malformed:
      return "malformed handshake";
    case ReplyCode::checksums_required:
      return "receiver requires checksums (add `checksum` on the transmitter)";
    case ReplyCode::filter_mismatch:
      return "one end has --filter/--unfilter and the other does not (give both or neither)";
    case ReplyCode::key_required:
      return "receiver requires a key (give both ends --key-file)";
    case ReplyCode::no_key:
      return "receiver has no key (give both ends --key-file, or neither)";
    case ReplyCode::authenticate:
      return "receiver asks for proof of the key";
    case ReplyCode::bad_key:
      return "receiver holds a different key (--key-file)";
  }
  return "unknown reply";
}

std::array<std::byte, HelloReply::kSize> HelloReply::encode() const {
  std::array<std::byte, kSize> out{};
  std::copy(kReplyMagic.begin(), kReplyMagic.end(), out.begin());
  put_be<std::uint16_t>(out, 4, version);
  put_be<std::uint16_t>(out, 6, static_cast<std::uint16_t>(code));
  put_be<std::uint64_t>(out, 8, next_seq);
  put_be<std::uint64_t>(out, 16, receiver_id);
  put_be<std::uint64_t>(out, 24, window_bytes);
  put_be<std::uint64_t>(out, 32, bytes);
  put_be<std::uint64_t>(out, 40, digest);
  return out;
}

std::optional<HelloReply> HelloReply::decode(std::span<const std::byte, kSize> in) {
  if (!starts_with(in, kReplyMagic)) return std::nullopt;
  HelloReply r;
  r.version = get_be<std::uint16_t>(in, 4);
  const auto code = get_be<std::uint16_t>(in, 6);
  if (code > static_cast<std::uint16_t>(ReplyCode::bad_key)) return std::nullopt;
  r.code = static_cast<ReplyCode>(code);
  r.next_seq = get_be<std::uint64_t>(in, 8);
  r.receiver_id = get_be<std::uint64_t>(in, 16);
  r.window_bytes = get_be<std::uint64_t>(in, 24);
  r.bytes = get_be<std::uint64_t>(in, 32);
  r.digest = get_be<std::uint64_t>(in, 40);
  return r;
}

std::array<std::byte, KeyOffer::kSize> KeyOffer::encode() const {
  std::array<std::byte, kSize> out{};
  std::copy(session_salt.begin(), session_salt.end(), out.begin());
  std::copy(leg_nonce.begin(), leg_nonce.end(), out.begin() + 32);
  out[64] = std::byte{cipher};
  return out;
}

std::optional<KeyOffer> KeyOffer::decode(std::span<const std::byte, kSize> in) {
  if (!std::all_of(in.begin() + 65, in.end(), [](std::byte b) { return b == std::byte{0}; }))
    return std::nullopt;
  KeyOffer o;
  std::copy(in.begin(), in.begin() + 32, o.session_salt.begin());
  std::copy(in.begin() + 32, in.begin() + 64, o.leg_nonce.begin());
  o.cipher = std::to_integer<std::uint8_t>(in[64]);
  return o;
}

std::array<std::byte, KeyChallenge::kSize> KeyChallenge::encode() const {
  std::array<std::byte, kSize> out{};
  std::copy(receiver_nonce.begin(), receiver_nonce.end(), out.begin());
  std::copy(proof.begin(), proof.end(), out.begin() + 32);
  return out;
}

KeyChallenge KeyChallenge::decode(std::span<const std::byte, kSize> in) {
  KeyChallenge c;
  std::copy(in.begin(), in.begin() + 32, c.receiver_nonce.begin());
  std::copy(in.begin() + 32, in.end(), c.proof.begin());
  return c;
}

FrameHeader FrameHeader::end_of(const StreamCount& count) {
  FrameHeader h;
  h.kind = FrameKind::end;
  h.seq = count.frames;
  h.offset = count.bytes;
  h.checksum = count.digest;
  return h;
}

std::array<std::byte, FrameHeader::kSize> FrameHeader::encode() const {
  std::array<std::byte, kSize> out{};
  out[0] = std::byte{static_cast<std::uint8_t>(kind)};
  switch (kind) {
    case FrameKind::cancel:
      put_be<std::uint16_t>(out, 2, static_cast<std::uint16_t>(cancel));
      return out;
    case FrameKind::end:
      put_be<std::uint64_t>(out, 8, seq);
      put_be<std::uint64_t>(out, 16, offset);
      put_be<std::uint64_t>(out, 24, checksum);
      return out;
    case FrameKind::data:
      break;
  }
  out[1] = std::byte{flags};
  put_be<std::uint32_t>(out, 4, length);
  put_be<std::uint64_t>(out, 8, seq);
  put_be<std::uint64_t>(out, 16, offset);
  put_be<std::uint64_t>(out, 24, checksum);
  out[32] = std::byte{static_cast<std::uint8_t>(codec)};
  put_be<std::uint32_t>(out, 36, payload_on_wire());
  put_be<std::uint64_t>(out, 40,
                        codec == Codec::none || has(FrameFlag::sealed) ? 0 : wire_checksum);
  return out;
}

std::optional<FrameHeader> FrameHeader::decode(std::span<const std::byte, kSize> in,
                                               std::uint32_t max_payload) {
  auto zero = [&](std::size_t from, std::size_t to) {
    return std::all_of(in.begin() + static_cast<std::ptrdiff_t>(from),
                       in.begin() + static_cast<std::ptrdiff_t>(to),
                       [](std::byte b) { return b == std::byte{0}; });
  };
  FrameHeader h;
  const auto type = std::to_integer<std::uint8_t>(in[0]);
  if (type == static_cast<std::uint8_t>(FrameKind::cancel)) {
    const auto reason = get_be<std::uint16_t>(in, 2);
    if (reason == 0 || reason > static_cast<std::uint16_t>(CancelReason::filter_failed))
      return std::nullopt;
    if (!zero(4, kSize) || in[1] != std::byte{0}) return std::nullopt;
    h.kind = FrameKind::cancel;
    h.cancel = static_cast<CancelReason>(reason);
    return h;
  }
  if (type == static_cast<std::uint8_t>(FrameKind::end)) {
    if (!zero(1, 8)) return std::nullopt;
    h.kind = FrameKind::end;
    h.seq = get_be<std::uint64_t>(in, 8);
    h.offset = get_be<std::uint64_t>(in, 16);
    h.checksum = get_be<std::uint64_t>(in, 24);
    if (!zero(32, kSize)) return std::nullopt;
    return h;
  }
  if (type != static_cast<std::uint8_t>(FrameKind::data)) return std::nullopt;
  h.flags = std::to_integer<std::uint8_t>(in[1]);
  if ((h.flags & ~kKnownFrameFlags) != 0) return std::nullopt;
  if (get_be<std::uint16_t>(in, 2) != 0) return std::nullopt;
  h.length = get_be<std::uint32_t>(in, 4);
  if (h.length > max_payload) return std::nullopt;
  h.seq = get_be<std::uint64_t>(in, 8);
  h.offset = get_be<std::uint64_t>(in, 16);
  h.checksum = get_be<std::uint64_t>(in, 24);
  const auto codec = std::to_integer<std::uint8_t>(in[32]);
  if (codec > static_cast<std::uint8_t>(Codec::filter) || !zero(33, 36)) return std::nullopt;
  h.codec = static_cast<Codec>(codec);
  h.wire_length = get_be<std::uint32_t>(in, 36);  // == length for a plain frame
  h.wire_checksum = get_be<std::uint64_t>(in, 40);
  if (h.has(FrameFlag::sealed)) {
    // Ciphertext and tag; what it holds (raw or compressed) is checked once it is opened.
    if (h.wire_checksum != 0 || h.wire_length < kTagSize ||
        h.wire_length - kTagSize > max_payload ||
        (h.codec == Codec::none && h.wire_length - kTagSize != h.length))
      return std::nullopt;
  } else if (h.codec == Codec::none ? (h.wire_length != h.length || h.wire_checksum != 0)
                                    : h.wire_length > max_payload) {
    return std::nullopt;
  }
  return h;
}

std::string to_string(const StreamCount& c) {
  return std::to_string(c.frames) + " frames, " + std::to_string(c.bytes) + " bytes";
}

std::string_view describe(Codec codec) {
  switch (codec) {
    case Codec::none:
      return "none";
    case Codec::lz4:
      return "lz4";
    case Codec::zstd:
      return "zstd";
    case Codec::filter:
      return "filter";
  }
  return "unknown";
}

std::string_view describe(CancelReason reason) {
  switch (reason) {
    case CancelReason::none:
      return "no reason";
    case CancelReason::source_failed:
      return "the transmitter's input failed";
    case CancelReason::interrupted:
      return "the transmitter was interrupted";
    case CancelReason::internal:
      return "the transmitter failed internally";
    case CancelReason::mismatch:
      return "what the receiver wrote is not what the transmitter sent";
    case CancelReason::filter_failed:
      return "the transmitter's --filter failed";
  }
  return "unknown reason";
}

std::string_view describe(AbortCode code) {
  switch (code) {
    case AbortCode::none:
      return "no reason";
    case AbortCode::sink_failed:
      return "the receiver's output failed";
    case AbortCode::protocol:
      return "protocol error";
    case AbortCode::shutdown:
      return "the receiver was shut down";
    case AbortCode::mismatch:
      return "frames that contradict each other arrived (the stream was altered)";
    case AbortCode::filter_failed:
      return "the receiver's --unfilter failed or did not invert the --filter";
  }
  return "unknown reason";
}

std::array<std::byte, Control::kSize> Control::encode() const {
  std::array<std::byte, kSize> out{};
  out[0] = std::byte{static_cast<std::uint8_t>(type)};
  out[1] = std::byte{static_cast<std::uint8_t>(complete ? 1 : 0)};
  put_be<std::uint16_t>(out, 2, static_cast<std::uint16_t>(abort));
  put_be<std::uint64_t>(out, 8, next_seq);
  put_be<std::uint64_t>(out, 16, bytes);
  put_be<std::uint64_t>(out, 24, digest);
  return out;
}

std::optional<Control> Control::decode(std::span<const std::byte, kSize> in) {
  Control c;
  const auto type = std::to_integer<std::uint8_t>(in[0]);
  if (type != static_cast<std::uint8_t>(ControlType::ack) &&
      type != static_cast<std::uint8_t>(ControlType::abort)) {
    return std::nullopt;
  }
  c.type = static_cast<ControlType>(type);
  const auto complete = std::to_integer<std::uint8_t>(in[1]);
  if (complete > 1 || get_be<std::uint32_t>(in, 4) != 0) return std::nullopt;
  c.complete = complete == 1;
  const auto code = get_be<std::uint16_t>(in, 2);
  if (code > static_cast<std::uint16_t>(AbortCode::filter_failed)) return std::nullopt;
  c.abort = static_cast<AbortCode>(code);
  c.next_seq = get_be<std::uint64_t>(in, 8);
  c.bytes = get_be<std::uint64_t>(in, 16);
  c.digest = get_be<std::uint64_t>(in, 24);
  return c;
}

}  // namespace vmp::wire
