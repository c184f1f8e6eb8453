#include "sidechain/frame_transform.hpp"

#include <cstring>

#include "sidechain/filter_process.hpp"
#include "wire/checksum.hpp"

namespace vmp::sidechain {
namespace {

Buffer copy_to_buffer(const std::vector<std::byte>& bytes, BufferPool& pool) {
  Buffer out = pool.get(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

std::optional<std::string> encode_frame(FrameCodec& codec, const Compression& compression,
                                        const FilterCommand& filter, OutFrame& frame,
                                        BufferPool& pool) {
  auto& h = frame.header;
  const std::span<const std::byte> raw(frame.payload.data(), h.length);
  if (!filter.command.empty()) {
    auto& out = codec.filter_output();
    auto result = run_filter(filter.command, raw, {wire::kMaxPayload, filter.stall_timeout}, out);
    if (!result.ok) return "frame " + std::to_string(h.seq) + ": " + result.error;
    h.codec = wire::Codec::filter;
    h.wire_length = static_cast<std::uint32_t>(out.size());
    frame.payload = copy_to_buffer(out, pool);
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

std::variant<Buffer, DecodeError> decode_frame(FrameCodec& codec, const FilterCommand& unfilter,
                                               const wire::FrameHeader& header,
                                               std::span<const std::byte> wire, BufferPool& pool) {
  const auto name = "frame " + std::to_string(header.seq) + ": ";
  if (header.codec != wire::Codec::filter) {
    auto out = codec.decode(header.codec, wire, header.length);
    if (auto* err = std::get_if<std::string>(&out)) return DecodeError{false, name + *err};
    return std::move(std::get<Buffer>(out));
  }
  // The handshake refuses a filtering transmitter when we have no --unfilter; a frame that
  // says `filter` anyway is a forgery.
  if (unfilter.command.empty())
    return DecodeError{false, name + "filtered, and this receiver has no --unfilter"};
  // One byte more than the frame may hold, so that too much output is told apart from exact.
  auto& out = codec.filter_output();
  auto result = run_filter(unfilter.command, wire,
                           {std::size_t{header.length} + 1, unfilter.stall_timeout}, out);
  if (!result.ok) return DecodeError{true, name + result.error};
  if (out.size() != header.length)
    return DecodeError{true, name + "--unfilter '" + unfilter.command + "' gave back " +
                                 std::to_string(out.size()) + " bytes, not the " +
                                 std::to_string(header.length) +
                                 " the transmitter filtered: it does not invert the --filter"};
  return copy_to_buffer(out, pool);
}

}  // namespace vmp::sidechain
