#include "daemon/refresh_progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <unistd.h>

namespace dirsync::daemon {

std::string describe(const sync::RefreshProgress& p)
{
  if (p.stage == "users") {
    return fmt::format("refresh: users: {} departments of {} paged, {} users", p.departments_paged,
                       p.departments + 1, p.users);
  }
  if (p.stage == "departments") {
    return fmt::format("refresh: departments: {} listed", p.departments);
  }
  return fmt::format("refresh: {} ({} departments, {} users)", p.stage, p.departments, p.users);
}

RefreshProgressDisplay::RefreshProgressDisplay()
  : m_tty(isatty(STDERR_FILENO) == 1),
    m_last(std::chrono::steady_clock::now())
{
}

RefreshProgressDisplay::~RefreshProgressDisplay()
{
  clear();
}

void RefreshProgressDisplay::show(const sync::RefreshProgress& p)
{
  const auto now = std::chrono::steady_clock::now();
  const bool new_stage = p.stage != m_stage;
  m_stage = p.stage;
  if (m_tty) {
    if (new_stage || !m_drawn || now - m_last >= std::chrono::milliseconds(200)) {
      m_last = now;
      const std::string line = describe(p);
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
      std::fflush(stderr);
      m_drawn = true;
    }
  } else if (now - m_last >= std::chrono::seconds(10)) {
    m_last = now;
    spdlog::info("{}", describe(p));
  }
}

void RefreshProgressDisplay::clear()
{
  if (m_drawn) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    m_drawn = false;
  }
}

} // namespace dirsync::daemon
