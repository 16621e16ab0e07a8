#include "gradlab/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <vector>

#include "gradlab/error.h"

namespace gradlab {
namespace {

std::string reason() { return std::strerror(errno); }

// Writes everything, retrying on short writes and EINTR.
bool write_all(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  if (path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (data.size() > max_bytes) fail("standard input: more than {} bytes", max_bytes);
    return data;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, reason());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string why = reason();
    ::close(fd);
    fail("{}: cannot read: {}", path, why);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    fail("{}: is a directory, expected a file", path);
  }
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail("{}: file is {} bytes, more than the limit of {}", path, st.st_size, max_bytes);
  }
  std::string data;
  if (S_ISREG(st.st_mode)) data.reserve(static_cast<std::size_t>(st.st_size));
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = reason();
      ::close(fd);
      fail("{}: read failed: {}", path, why);
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      fail("{}: more than {} bytes", path, max_bytes);
    }
    data.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) fail("output path is empty");
  if (path == "-") {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) fail("standard output: write failed");
    return;
  }
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("{}: cannot create a temporary file beside it: {}", path, reason());
  // mkstemp creates 0600; give the file the usual permissions a plain open() would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  const bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
  const std::string why = ok ? "" : reason();
  if (::close(fd) != 0 || !ok) {
    ::unlink(temp.c_str());
    fail("{}: write failed: {}", path, why.empty() ? reason() : why);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string rename_why = reason();
    ::unlink(temp.c_str());
    fail("{}: cannot replace the file: {}", path, rename_why);
  }
}

}  // namespace gradlab
