// Runs what the command line asked for: a transmitter, a receiver, or both side by side (full
// duplex), each fed from its source and writing to its sink (DESIGN.md "Growth"):
//   source of the transmitter: stdin | the prbs generator | the tunnelled connection
//   sink of the receiver:      stdout | the prbs checker -> stdout | the tunnelled connection
// The engines are the same in every case; only the file descriptors they get differ.
#pragma once

#include "cli/options.hpp"

namespace vmp::app {

// The process's exit status (ExitCode); the reason has been printed, one line per failure.
int run_transfer(const Config& cfg);

}  // namespace vmp::app
