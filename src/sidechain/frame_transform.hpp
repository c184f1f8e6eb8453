// What the sidechain stage does to one frame: compress or filter it on the transmitter, undo
// that on the receiver. Runs on a worker thread (see WorkerPool); pure apart from the codec
// contexts and the filter processes it starts.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "crypto/frame_keys.hpp"
#include "sidechain/frame_codec.hpp"
#include "tx/out_frame.hpp"

namespace vmp::sidechain {

// An external program of --filter / --unfilter (run as `sh -c command`). One that neither
// reads nor writes for stall_timeout (--filter-timeout) is taken to hang.
struct FilterCommand {
  std::string command;  // empty: none
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
};

// Transmitter: the frame leaves with codec, wire_length and wire_checksum set and its payload
// replaced by what goes on the wire, or unchanged (raw) when compression would not shrink it.
// A filter's output always goes (it may be an encryption; never skip it). With keys (a keyed
// session) what goes on the wire is then sealed. Returns the error line of a failed filter.
std::optional<std::string> encode_frame(FrameCodec& codec, const Compression& compression,
                                        const FilterCommand& filter, const crypto::FrameKeys* keys,
                                        OutFrame& frame, BufferPool& pool);

// A keyed session's frame as read, sealed in place (the tag goes to frame.tag): what
// encode_frame does when there is nothing to compress or filter.
void seal_frame(const crypto::FrameKeys& keys, OutFrame& frame);

// Receiver: the raw payload of a sealed frame (opened with keys, which a keyed session
// has; in place, so a sealed plain frame gives back wire_bytes itself) or of a transformed
// frame whose wire checksum was verified. wire_bytes holds the header's payload_on_wire().
struct DecodeError {
  // A built-in codec that fails is a damaged or forged frame: its leg is dropped and the
  // frame comes again. An --unfilter that fails cannot get better by resending: fatal.
  bool fatal = false;
  bool forged = false;  // failed authentication (or is not sealed in a keyed session)
  std::string text;
};
std::variant<Buffer, DecodeError> decode_frame(FrameCodec& codec, const FilterCommand& unfilter,
                                               const crypto::FrameKeys* keys,
                                               const wire::FrameHeader& header, Buffer& wire_bytes,
                                               BufferPool& pool);

}  // namespace vmp::sidechain
