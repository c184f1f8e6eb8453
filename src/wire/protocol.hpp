// Wire protocol, version 3. Every connection ("leg") starts with a fixed-size Hello from the
// transmitter and a HelloReply from the receiver; then the transmitter sends data frames
// (FrameHeader + payload) and the receiver sends only Control messages (acks, abort).
// All integers are big-endian at fixed offsets; decode() validates before anything is
// allocated, so garbage is rejected on its header alone.
//
// The end of a stream is confirmed both ways: the receiver's completion ack carries what it
// wrote (frames, bytes and, with checksums, a digest of the whole stream); the transmitter
// compares that with what it read and answers with an end frame carrying its own count. Each
// side exits 0 only when the two counts agree (version 2; version 1 trusted the `last` flag).
//
// Version 3: a data frame may be transformed by the sidechain stage (compressed, filtered).
// Its seq, offset and length still describe the raw stream; the codec, the transformed
// (wire) length and a checksum of what crossed the wire travel beside them.
//
// Version 4: keyed sessions (--key-file). A keyed Hello is followed by a KeyOffer; the
// receiver answers `authenticate` and a KeyChallenge, the transmitter sends its proof, and
// only then comes the real HelloReply, with a tag (crypto/leg_auth.hpp). Data frames are
// `sealed`: their payload on the wire is AEAD ciphertext and tag (crypto/frame_keys.hpp), the
// 48 header bytes its associated data. Cancel and end frames and the receiver's Controls are
// each followed by a tag. A refusal before the proofs carries no tag: it says only why.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmp::wire {

inline constexpr std::uint16_t kVersion = 4;
inline constexpr std::uint32_t kMaxPayload = 16 * 1024 * 1024;  // == knob frame-size maximum
inline constexpr std::uint32_t kProbeLeg = 0xFFFFFFFF;  // a Hello that only asks "are you there"

using Checkphrase = std::array<std::byte, 4>;
// Pads (with NUL) or rejects: a checkphrase is at most 4 bytes, as in the original tool.
std::optional<Checkphrase> make_checkphrase(std::string_view text);

enum class HelloFlag : std::uint16_t {
  checksums = 1,
  filtered = 2,  // frames pass through the transmitter's --filter: the receiver must unfilter
  keyed = 4,     // a KeyOffer follows: the transmitter holds a key and seals every frame
};

struct Hello {
  static constexpr std::size_t kSize = 32;
  std::uint16_t version = kVersion;
  std::uint16_t flags = 0;
  Checkphrase checkphrase{};
  std::uint64_t session = 0;
  std::uint32_t leg = 0;
  std::uint32_t outage_timeout_seconds = 0;  // how long the receiver must wait for us

  bool has(HelloFlag f) const { return (flags & static_cast<std::uint16_t>(f)) != 0; }
  std::array<std::byte, kSize> encode() const;
  // Fails only on a wrong magic: a wrong version still decodes so it can be answered.
  static std::optional<Hello> decode(std::span<const std::byte, kSize> in);
};

enum class ReplyCode : std::uint16_t {
  accept = 0,
  complete = 1,  // this session already finished: nothing left to send
  bad_version = 2,
  bad_checkphrase = 3,
  busy = 4,  // the receiver serves another session
  malformed = 5,
  checksums_required = 6,  // the receiver was started with `checksum`, the transmitter was not
  // One end runs a --filter / --unfilter and the other does not: the receiver would write
  // filtered bytes, or unfilter bytes that were never filtered.
  filter_mismatch = 7,
  key_required = 8,   // the receiver has --key-file, the transmitter does not
  no_key = 9,         // the transmitter has --key-file, the receiver does not
  authenticate = 10,  // a KeyChallenge follows: prove you hold the key
  bad_key = 11,       // the transmitter's proof is wrong: it holds another key
};
std::string_view describe(ReplyCode code);

// What one end counted of the stream: frames and bytes, and with checksums the chain of the
// frames' checksums in order (see wire/checksum.hpp); 0 without checksums.
struct StreamCount {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t digest = 0;
  bool operator==(const StreamCount&) const = default;
};
std::string to_string(const StreamCount& c);  // "16 frames, 131072 bytes"

// Only an accept or complete reply fills the fields after `code`: a rejected stranger learns
// why, and nothing about the transfer.
struct HelloReply {
  static constexpr std::size_t kSize = 48;
  std::uint16_t version = kVersion;
  ReplyCode code = ReplyCode::accept;
  std::uint64_t next_seq = 0;  // every frame below this was written by the receiver
  // Random per receiver process: a transmitter that sees it change mid-transfer is talking to
  // a restarted receiver, which no longer has what it confirmed.
  std::uint64_t receiver_id = 0;
  // The most payload the receiver holds for reordering (its --window): the transmitter keeps
  // no more than this unconfirmed.
  std::uint64_t window_bytes = 0;
  std::uint64_t bytes = 0;   // written so far (with `complete`: the whole stream)
  std::uint64_t digest = 0;  // with `complete` and checksums: the stream digest

  std::array<std::byte, kSize> encode() const;
  static std::optional<HelloReply> decode(std::span<const std::byte, kSize> in);
};

// After a keyed Hello: what the transmitter brings to the leg's proofs and keys.
struct KeyOffer {
  static constexpr std::size_t kSize = 72;
  std::array<std::byte, 32> session_salt{};  // random, one per transmitter run (the frame keys)
  std::array<std::byte, 32> leg_nonce{};     // random, one per connection
  std::uint8_t cipher = 0;                   // crypto::Cipher

  std::array<std::byte, kSize> encode() const;
  static std::optional<KeyOffer> decode(std::span<const std::byte, kSize> in);
};

// After an `authenticate` reply: the receiver's fresh random value and its proof.
struct KeyChallenge {
  static constexpr std::size_t kSize = 64;
  std::array<std::byte, 32> receiver_nonce{};
  std::array<std::byte, 32> proof{};

  std::array<std::byte, kSize> encode() const;
  static KeyChallenge decode(std::span<const std::byte, kSize> in);
};
inline constexpr std::size_t kProofSize = 32;  // the transmitter's proof
inline constexpr std::size_t kTagSize = 16;    // after each control message of a keyed leg

enum class FrameFlag : std::uint8_t {
  last = 1,
  checksum = 2,
  // Keyed session: the payload is AEAD ciphertext followed by a kTagSize tag, wire_length
  // bytes in all; the header (wire_checksum 0) is the associated data.
  sealed = 4,
};

// How a data frame's payload was transformed on its way to the wire. The receiver undoes the
// built-in codecs by itself; `filter` frames go through its own --unfilter command (the wire
// never names a command).
enum class Codec : std::uint8_t { none = 0, lz4 = 1, zstd = 2, filter = 3 };
std::string_view describe(Codec codec);  // "none", "lz4", "zstd", "filter"

// Why a transmitter gave up: sent to the receiver in a cancel frame, so that it exits at once
// (with the transmitter's exit code) instead of waiting out the outage timeout.
enum class CancelReason : std::uint16_t {
  none = 0,
  source_failed = 1,
  interrupted = 2,
  internal = 3,
  mismatch = 4,       // the receiver's count of the stream is not what was sent
  filter_failed = 5,  // the transmitter's --filter failed (exit status, signal, hang)
};
std::string_view describe(CancelReason reason);

enum class FrameKind : std::uint8_t {
  data = 'D',
  cancel = 'C',  // no payload: the transmitter gave up (reason in `cancel`)
  // No payload: the transmitter checked the receiver's completion and confirms it; `seq`,
  // `offset` and `checksum` carry its own frame count, byte count and stream digest.
  end = 'E',
};

struct FrameHeader {
  static constexpr std::size_t kSize = 48;
  FrameKind kind = FrameKind::data;
  CancelReason cancel = CancelReason::none;
  std::uint8_t flags = 0;
  std::uint32_t length = 0;
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  // With FrameFlag::checksum: frame_checksum() of the header's other fields and the payload,
  // so a rewritten seq, offset, length or `last` flag is caught like a damaged payload.
  std::uint64_t checksum = 0;
  // Transformed frames (codec != none): wire_length payload bytes follow the header, and
  // wire_checksum is XXH3 of the header (wire_checksum zeroed) and those bytes, so damage on
  // the wire is told apart from a decoder or --unfilter that does not give back the raw
  // frame. Plain frames: wire_length == length, wire_checksum 0.
  Codec codec = Codec::none;
  std::uint32_t wire_length = 0;
  std::uint64_t wire_checksum = 0;

  bool has(FrameFlag f) const { return (flags & static_cast<std::uint8_t>(f)) != 0; }
  static FrameHeader end_of(const StreamCount& count);
  StreamCount end_count() const { return {seq, offset, checksum}; }
  std::array<std::byte, kSize> encode() const;
  // Bytes of payload that follow this header on the wire.
  std::uint32_t payload_on_wire() const {
    return codec == Codec::none && !has(FrameFlag::sealed) ? length : wire_length;
  }
  // Rejects unknown types/flags/codecs and payloads (raw or on the wire) above max_payload
  // (plus a tag, when sealed) before any allocation.
  static std::optional<FrameHeader> decode(std::span<const std::byte, kSize> in,
                                           std::uint32_t max_payload = kMaxPayload);
};

enum class ControlType : std::uint8_t { ack = 'A', abort = 'X' };
enum class AbortCode : std::uint16_t {
  none = 0,
  sink_failed = 1,
  protocol = 2,
  shutdown = 3,
  mismatch = 4,       // frames that contradict each other (offsets, a copy unlike the original)
  filter_failed = 5,  // the receiver's --unfilter failed or did not give back the raw frame
};
std::string_view describe(AbortCode code);

struct Control {
  static constexpr std::size_t kSize = 32;
  ControlType type = ControlType::ack;
  bool complete = false;  // ack: the receiver wrote and flushed the last byte
  AbortCode abort = AbortCode::none;
  std::uint64_t next_seq = 0;  // frames below this are written
  std::uint64_t bytes = 0;     // bytes written so far
  std::uint64_t digest = 0;    // with `complete` and checksums: the stream digest

  StreamCount count() const { return {next_seq, bytes, digest}; }

  std::array<std::byte, kSize> encode() const;
  static std::optional<Control> decode(std::span<const std::byte, kSize> in);
};

}  // namespace vmp::wire
