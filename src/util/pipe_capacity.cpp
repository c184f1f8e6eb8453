#include "util/pipe_capacity.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace vmp {

void widen_if_pipe(int fd, int bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
  if (::fcntl(fd, F_GETPIPE_SZ) >= bytes) return;
  (void)::fcntl(fd, F_SETPIPE_SZ, bytes);  // EPERM above fs.pipe-max-size: keep what it has
}

}  // namespace vmp
