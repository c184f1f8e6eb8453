// Knobs <-> genome. A genome is a point in the unit cube [0,1]^d, one coordinate ("gene") per
// knob the tuner may change, so that one mutation step means the same thing for every knob.
// Byte sizes and leg counts are log-scaled (4 -> 8 legs matters as much as 32 -> 64), integers
// are rounded, the congestion control is a category picked from what the kernel offers, the
// codec a step of the compression ladder (cheapest first, so it is ordered), and
// knobs the user pinned are not genes at all: they are held at their given values.
// decode() is total: every vector, even one outside the cube, yields validate()-clean Knobs.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "knobs.hpp"
#include "vmp/tuner/operators.hpp"

namespace vmp::tuner {

// Where the search may go inside the declared ranges. The declared maxima are what a user may
// ask for by hand; the tuner stays lower by default because it explores unattended and memory
// is not free: a window is held on both hosts, and a socket buffer is per leg (64 legs x 32 MiB
// is already 2 GiB of kernel memory).
struct SearchBounds {
  // Frames beyond a few MiB buy nothing measurable (per-frame overhead is already well under
  // 1%), yet they hold more memory per leg, make every resend after a leg dies bigger, and
  // make the receiver release data in bigger bursts.
  std::uint32_t max_frame_bytes = 4 * MiB;
  // 256 MiB keeps a 10 Gbit/s x 200 ms path (250 MB in flight) busy.
  std::uint64_t max_window_bytes = 256 * MiB;
  // Per leg; below 64 KiB a leg cannot fill even 10 Mbit/s x 50 ms, so the search does not
  // waste experiments there (0 = kernel autotuning is always a choice).
  std::uint32_t min_sockbuf_bytes = 64 * KiB;
  std::uint32_t max_sockbuf_bytes = 32 * MiB;
  // Compressing threads (when the codec is a gene): more than the cores only queue for them.
  // 0 = the cores this machine has.
  std::uint32_t max_sidechain_workers = 0;
};

enum class GeneKind {
  log_count,    // legs: log scale, integer
  legs_share,   // legs_per_link_max as a share of legs between 1/links and 1
  log_bytes,    // frame, window: log scale, rounded to 4 KiB
  sockbuf,      // 0 (kernel autotuning) for the bottom fifth, else log scale
  congestion,   // category index into the kernel's list
  link_weight,  // relative share of one link, 0..100
  codec,        // a step of kCompressChoices: ordinal, so a small step is a neighbouring level
};

struct Gene {
  KnobId knob;
  GeneKind kind;
  std::size_t link = 0;  // which link, for link_weight genes
  double lo = 0;         // value range the gene spans (log_count, log_bytes, sockbuf)
  double hi = 0;
};

class GenomeCodec {
 public:
  // `base` supplies every knob that is not a gene (pinned ones and ones meaningless here, e.g.
  // link weights with a single link). `congestion_choices` empty = the congestion control is
  // not tuned.
  GenomeCodec(Knobs base, KnobSet pinned, std::size_t link_count,
              std::vector<std::string> congestion_choices, SearchBounds bounds = {});

  std::size_t dimension() const { return genes_.size(); }
  const std::vector<Gene>& genes() const { return genes_; }
  const Knobs& base() const { return base_; }
  std::size_t link_count() const { return link_count_; }
  GeneShape shape(std::size_t gene) const;
  // Short name for logs, e.g. "window" or "weight[1]".
  std::string gene_name(std::size_t gene) const;

  // Clamps each knob into the searchable range; knobs that are not genes are ignored.
  Eigen::VectorXd encode(const Knobs& knobs) const;
  // Genes outside [0,1] are clamped. Always validate()-clean (given a valid base).
  Knobs decode(const Eigen::VectorXd& genome) const;
  // encode(decode(g)): the representative point of the knob setting g stands for, so that two
  // genomes meaning the same knobs compare equal.
  Eigen::VectorXd canonical(const Eigen::VectorXd& genome) const { return encode(decode(genome)); }

 private:
  Knobs base_;
  std::size_t link_count_;
  std::vector<std::string> congestion_;
  std::vector<Gene> genes_;
};

// Legs that actually run: no more than every link can hold.
std::uint32_t effective_legs(const Knobs& knobs, std::size_t link_count);

}  // namespace vmp::tuner
