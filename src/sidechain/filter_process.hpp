// One chunk of bytes through an external filter program: the command gets the chunk on
// its stdin and whatever it writes to stdout is the result (e.g. `gzip -1` on the transmitter,
// `gzip -dc` on the receiver). Each call starts a fresh process, so a frame's filtering depends
// on nothing but the frame.
//
// Made for a pool of worker threads: calls may run concurrently from any number of threads. It
// keeps no global state and installs no signal handler. What it does require of the program:
//  - SIGCHLD must not be ignored (SIG_IGN would reap the child before we can read its status),
//    and nothing else may reap children it did not start (waitpid(-1, ...)).
//  - SIGPIPE may be handled any way: the call writes to no pipe (the filter's stdin and stdout
//    are files in memory, see run_filter in the .cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sidechain/filter_files.hpp"
#include "util/unique_fd.hpp"

namespace vmp::sidechain {

struct FilterLimits {
  // More output than this is an error: a corrupt or hostile frame must not make `gzip -dc`
  // (a decompression bomb) fill the receiver's memory.
  std::size_t max_output;
  // Neither a byte read by the filter nor a byte written by it (stdout or stderr) for this
  // long: the filter is killed and the call fails. Must be positive.
  std::chrono::milliseconds stall_timeout;
};

struct FilterResult {
  bool ok = false;                // exited with status 0 within the limits
  std::vector<std::byte> output;  // its stdout (empty when !ok)
  // When !ok, one line for the user, naming the command, e.g.
  //   filter 'gzip -dc' exited with status 1: gzip: stdin: not in gzip format
  //   filter 'x' was killed by signal 11 (SIGSEGV)
  //   filter 'x' made no progress for 10 s
  //   filter 'x' wrote more than 1048576 bytes
  //   filter 'x' could not be started: No such file or directory
  std::string error;
  // The first non-blank line of its stderr (trimmed to about 200 characters), also when ok, so
  // that a filter's warning can be logged.
  std::string diagnostic;
};

// The command's words when the shell would do nothing but split it at blanks (letters, digits
// and `-_./=:,+@%` only, no `=` in the first word), e.g. `gzip -1` -> {"gzip", "-1"}; nullopt
// when any other character (quotes, `$`, `|`, globs, ...) needs the shell. Such a command is
// started directly, without `sh -c`: on this (virtual) machine the shell's exec and dynamic
// linking per frame were ~14% of a 'gzip -1' / 'gzip -dc' transfer's CPU.
std::optional<std::vector<std::string>> words_without_shell(const std::string& command);

// Runs the command (directly when words_without_shell says it may and the program is found
// on PATH, else `/bin/sh -c command`, which also reports a missing program) with `input` as
// its stdin and collects its stdout and stderr; stdin and stdout are files in memory (memfd,
// see FilterFiles), so the filter sees regular files, not pipes. Returns only
// after the process is gone: it runs in its own process group, which is sent SIGKILL before the
// filter is reaped (at once on failure, after it exited otherwise), so nothing it started outlives
// the call. A filter that exits without reading all its input (`head -c 10`) is judged by its exit
// status alone.
FilterResult run_filter(const std::string& command, std::span<const std::byte> input,
                        const FilterLimits& limits);
// Where the filter's output goes once it is complete and its size known: `bytes` bytes of
// space (e.g. a frame buffer from a pool).
using OutputPlace = std::function<std::span<std::byte>(std::size_t bytes)>;
// The same on a worker's own files (kept from call to call; limits.max_output at most
// files.max_output()), with stdout read straight into what `place` gives, called once and only
// when the filter succeeded (result.output stays empty): no zero-filled scratch and no second
// copy.
FilterResult run_filter(const std::string& command, std::span<const std::byte> input,
                        const FilterLimits& limits, const OutputPlace& place, FilterFiles& files);

}  // namespace vmp::sidechain
