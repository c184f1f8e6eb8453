#include "sidechain/frame_transform.hpp"

#include "sidechain/filter_process.hpp"
#include "wire/checksum.hpp"

namespace vmp::sidechain {
namespace {

// A filter's output goes straight into a frame buffer from the pool; `size` says how much of
// it the filter wrote.
struct PooledOutput {
  Buffer buffer;
  std::size_t size = 0;

  OutputPlace place(BufferPool& pool) {
    return [this, &pool](std::size_t bytes) {
      buffer = pool.get(bytes);
      size = bytes;
      return std::span<std::byte>(buffer.data(), bytes);
    };
  }
};

}  // namespace

// The frame's payload as it is, sealed in place (the tag goes to frame.tag); the header, now
// saying `sealed` and the wire length, is the associated data.
void seal_frame(const crypto::FrameKeys& keys, OutFrame& frame) {
  auto& h = frame.header;
  const std::span<std::byte> data(frame.payload.data(), h.payload_on_wire());
  h.flags |= static_cast<std::uint8_t>(wire::FrameFlag::sealed);
  h.wire_length = static_cast<std::uint32_t>(data.size() + crypto::kTagBytes);
  h.wire_checksum = 0;
  if (h.has(wire::FrameFlag::checksum)) h.checksum ^= keys.checksum_mask(h.seq);
  keys.seal(h.seq, h.encode(), data, frame.tag);
}

namespace {

std::optional<std::string> transform(FrameCodec& codec, const Compression& compression,
                                     const FilterCommand& filter, OutFrame& frame,
                                     BufferPool& pool) {
  auto& h = frame.header;
  const std::span<const std::byte> raw(frame.payload.data(), h.length);
  if (!filter.command.empty()) {
    PooledOutput out;
    auto result = run_filter(filter.command, raw, {wire::kMaxPayload, filter.stall_timeout},
                             out.place(pool), codec.filter_files());
    if (!result.ok) return "frame " + std::to_string(h.seq) + ": " + result.error;
    h.codec = wire::Codec::filter;
    h.wire_length = static_cast<std::uint32_t>(out.size);
    frame.payload = std::move(out.buffer);
  } else {
    auto encoded = codec.encode(compression, raw);
    if (!encoded) return std::nullopt;  // goes raw
    h.codec = compression.codec;
    h.wire_length = encoded->length;
    frame.payload = std::move(encoded->bytes);
  }
  h.wire_checksum =
      wire::wire_checksum(h, std::span<const std::byte>(frame.payload.data(), h.wire_length));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> encode_frame(FrameCodec& codec, const Compression& compression,
                                        const FilterCommand& filter, const crypto::FrameKeys* keys,
                                        OutFrame& frame, BufferPool& pool) {
  if (auto error = transform(codec, compression, filter, frame, pool)) return error;
  if (keys) seal_frame(*keys, frame);
  return std::nullopt;
}

std::variant<Buffer, DecodeError> decode_frame(FrameCodec& codec, const FilterCommand& unfilter,
                                               const crypto::FrameKeys* keys,
                                               const wire::FrameHeader& header, Buffer& wire_bytes,
                                               BufferPool& pool) {
  std::span<const std::byte> wire(wire_bytes.data(), header.payload_on_wire());
  const auto name = "frame " + std::to_string(header.seq) + ": ";
  const bool sealed = header.has(wire::FrameFlag::sealed);
  if (sealed != (keys != nullptr)) {
    return DecodeError{
        false, true,
        name + (sealed ? "sealed, and this session has no key" : "not sealed, in a keyed session")};
  }
  if (sealed) {
    const std::span<std::byte> data(wire_bytes.data(), wire.size() - crypto::kTagBytes);
    const crypto::ConstTag tag(wire_bytes.data() + data.size(), crypto::kTagBytes);
    if (!keys->open(header.seq, header.encode(), data, tag))
      return DecodeError{false, true, name + "failed authentication (forged or damaged)"};
    if (header.codec == wire::Codec::none) return std::move(wire_bytes);  // opened in place
    wire = data;
  }
  if (header.codec != wire::Codec::filter) {
    auto out = codec.decode(header.codec, wire, header.length);
    if (auto* err = std::get_if<std::string>(&out)) return DecodeError{false, false, name + *err};
    return std::move(std::get<Buffer>(out));
  }
  // The handshake refuses a filtering transmitter when we have no --unfilter; a frame that
  // says `filter` anyway is a forgery.
  if (unfilter.command.empty())
    return DecodeError{false, false, name + "filtered, and this receiver has no --unfilter"};
  // One byte more than the frame may hold, so that too much output is told apart from exact.
  PooledOutput out;
  auto result =
      run_filter(unfilter.command, wire, {std::size_t{header.length} + 1, unfilter.stall_timeout},
                 out.place(pool), codec.filter_files());
  if (!result.ok) return DecodeError{true, false, name + result.error};
  if (out.size != header.length)
    return DecodeError{true, false,
                       name + "--unfilter '" + unfilter.command + "' gave back " +
                           std::to_string(out.size) + " bytes, not the " +
                           std::to_string(header.length) +
                           " the transmitter filtered: it does not invert the --filter"};
  return std::move(out.buffer);
}

}  // namespace vmp::sidechain
